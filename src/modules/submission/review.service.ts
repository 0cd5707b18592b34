import { LockMode } from '@mikro-orm/core';
import { BadInputError, ConflictError, NotFoundError } from '../../core/errors';
import type { UnitOfWork } from '../events/unit-of-work';
import { User } from '../user/user.entity';
import { assertMayWrite } from '../user/user.scope';
import { ReviewDecision, type ReviewSubmissionInput } from './review.input';
import { Submission, SubmissionStatus } from './submission.entity';
import { SUBMISSION_FIELDS } from './submission.service';
import { audit, snapshot } from '../audit/audit.service';

/**
 * Approves or returns a submitted figure (ADMIN, or the DEPARTMENT that leads its programme). A
 * returned figure leaves the roll-up (the projector folds the review); the boards, and the
 * reporter, are told in the same commit.
 */
export async function reviewSubmission(unit: UnitOfWork, user: User, input: ReviewSubmissionInput): Promise<Submission> {
  const { clock } = unit;
  if (!/^\d{1,18}$/.test(input.submission)) throw new NotFoundError('Submission', input.submission);
  const note = input.note?.trim() || undefined;
  if (input.decision === ReviewDecision.RETURNED && !note) throw new BadInputError('A returned figure needs a reason (note)', 'note');
  return unit.transaction(async (tx, outbox) => {
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
    outbox.add(
      {
        type: 'SubmissionReviewed', programmeId: indicator.programme.id, regionCode: region.code, parentCode: region.parent?.code,
        payload: { submissionId: submission.id, indicatorId: indicator.id, regionCode: region.code },
      },
      {
        type: 'Notification', userId: submission.submittedBy.id,
        payload: { kind: 'SUBMISSION_REVIEWED', submissionId: submission.id,
          message: `${indicator.code} ${region.name}: ${submission.status === SubmissionStatus.APPROVED ? '已通过' : `已退回：${note}`}` },
      },
    );
    return submission;
  });
}
