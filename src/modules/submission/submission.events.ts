import { eventHeader, payloadValues, type EventType } from '../events/event-builder';
import { SubmissionReviewed } from '../board/board.types';
import { Submission } from './submission.entity';

export const submissionReviewed: EventType = {
  type: 'SubmissionReviewed',
  async prepare(em, rows) {
    const submissions = await em.find(Submission, { id: { $in: payloadValues<string>(rows, 'submissionId') } });
    const byId = new Map(submissions.map((s) => [s.id, s]));
    return (row) => Object.assign(new SubmissionReviewed(), eventHeader(row), { submission: byId.get(row.payload.submissionId as string)! });
  },
};
