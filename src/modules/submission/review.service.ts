import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import { BadInputError, ConflictError, NotFoundError } from '../../server/errors';
import { progressChangedEvents } from '../board/board.events';
import { appendEvents, type NewEvent } from '../events/outbox.service';
import { User } from '../user/user.entity';
import { assertMayWrite } from '../user/user.scope';
import { ReviewDecision, type ReviewSubmissionInput } from './review.input';
import { Submission, SubmissionStatus } from './submission.entity';
import { SUBMISSION_FIELDS } from './submission.service';
import { audit, snapshot } from '../audit/audit.service';

/**
 * Approves or returns a submitted figure (ADMIN, or the DEPARTMENT that leads its programme). A
 * returned figure leaves the roll-up; the boards, and the reporter, are told in the same commit.
 */
export async function reviewSubmission(em: EntityManager, clock: Clock, user: User, input: ReviewSubmissionInput): Promise<{ submission: Submission; lastSeq?: string }> {
  if (!/^\d{1,18}$/.test(input.submission)) throw new NotFoundError('Submission', input.submission);
  const note = input.note?.trim() || undefined;
  if (input.decision === ReviewDecision.RETURNED && !note) throw new BadInputError('A returned figure needs a reason (note)', 'note');
  return em.transactional(async (tx) => {
    const submission = await tx.findOne(Submission, { id: input.submission }, { populate: ['indicator.programme', 'region'], lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!submission) throw new NotFoundError('Submission', input.submission);
    assertMayWrite(user, submission.indicator.programme, submission.region, 'reviews');
    if (submission.status !== SubmissionStatus.SUBMITTED) {
      throw new ConflictError(`Submission ${submission.id} was already reviewed (${submission.status})`, { status: submission.status });
    }
    const before = snapshot(submission, SUBMISSION_FIELDS);
    submission.status = input.decision === ReviewDecision.APPROVED ? SubmissionStatus.APPROVED : SubmissionStatus.RETURNED;
    submission.reviewedBy = tx.getReference(User, user.id);
    submission.reviewedAt = clock.now();
    submission.reviewNote = note;
    const { indicator, region } = submission;
    audit(tx, user, clock.now(), {
      action: submission.status === SubmissionStatus.APPROVED ? 'APPROVE' : 'RETURN', entityType: 'Submission', entityId: submission.id,
      indicatorCode: indicator.code, regionCode: region.code, before, after: snapshot(submission, SUBMISSION_FIELDS),
    });
    await tx.flush();
    const events: NewEvent[] = [
      { type: 'SubmissionReviewed', programmeId: indicator.programme.id, regionCode: region.code, parentCode: region.parent?.code, payload: { submissionId: submission.id } },
      ...(submission.status === SubmissionStatus.RETURNED ? await progressChangedEvents(tx, clock, indicator, region) : []),
      {
        type: 'Notification', userId: submission.submittedBy.id,
        payload: { kind: 'SUBMISSION_REVIEWED', submissionId: submission.id,
          message: `${indicator.code} ${region.name}: ${submission.status === SubmissionStatus.APPROVED ? '已通过' : `已退回：${note}`}` },
      },
    ];
    return { submission, lastSeq: await appendEvents(tx, events, clock.now()) };
  });
}
