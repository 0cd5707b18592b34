import { payloadValues, type EventType } from '../events/event-builder';
import { Comment } from '../comment/comment.entity';
import { Submission } from '../submission/submission.entity';
import { Urge } from '../urge/urge.entity';
import { Notice } from '../notice/notice.entity';
import { Notification, type NotificationKind } from './notification.types';

/** A user's notification, with what it is about (a submission, a comment, an urge or a notice) loaded for the page. */
export const notification: EventType = {
  type: 'Notification',
  async prepare(em, rows) {
    const [submissions, comments, urges, notices] = await Promise.all([
      em.find(Submission, { id: { $in: payloadValues<string>(rows, 'submissionId') } }),
      em.find(Comment, { id: { $in: payloadValues<string>(rows, 'commentId') } }),
      em.find(Urge, { id: { $in: payloadValues<string>(rows, 'urgeId') } }),
      em.find(Notice, { id: { $in: payloadValues<string>(rows, 'noticeId') } }),
    ]);
    const submission = new Map(submissions.map((x) => [x.id, x]));
    const comment = new Map(comments.map((c) => [c.id, c]));
    const urge = new Map(urges.map((u) => [u.id, u]));
    const notice = new Map(notices.map((n) => [n.id, n]));
    return (row) => Object.assign(new Notification(), {
      cursor: row.seq, at: row.createdAt, kind: row.payload.kind as NotificationKind, message: row.payload.message as string,
      submission: row.payload.submissionId ? submission.get(row.payload.submissionId as string) ?? null : null,
      comment: row.payload.commentId ? comment.get(row.payload.commentId as string) ?? null : null,
      urge: row.payload.urgeId ? urge.get(row.payload.urgeId as string) ?? null : null,
      notice: row.payload.noticeId ? notice.get(row.payload.noticeId as string) ?? null : null,
    });
  },
};
