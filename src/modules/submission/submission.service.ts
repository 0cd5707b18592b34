import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ConflictError } from '../../core/errors';
import type { Indicator } from '../indicator/indicator.entity';
import { findIndicatorAndRegion } from '../indicator/indicator.lookup';
import type { Region } from '../region/region.entity';
import { User } from '../user/user.entity';
import { Submission, SubmissionStatus } from './submission.entity';
import { figureEntered } from '../events/facts';
import type { UnitOfWork } from '../events/unit-of-work';
import type { SubmitFigureInput } from './submission.input';
import { checkSubmission, sameFigure, storedNote } from './submission.checks';
import { audit, snapshot } from '../audit/audit.service';
import { resolveUrges } from '../urge/urge.service';

/** What the audit trail keeps of a submission. */
export const SUBMISSION_FIELDS = ['indicator', 'region', 'value', 'numerator', 'denominator', 'asOf', 'note', 'status', 'submittedBy', 'reviewedBy', 'reviewNote'] as const;

export interface SubmitResult {
  submission: Submission;
  /** False when the idempotency key returned an earlier submission. */
  created: boolean;
}

function samePayload(s: Submission, indicator: Indicator, region: Region, input: SubmitFigureInput): boolean {
  return sameFigure(
    { indicatorId: s.indicator.id, regionCode: s.region.code, value: s.value, asOf: s.asOf, numerator: s.numerator, denominator: s.denominator, note: s.note },
    { indicatorId: indicator.id, regionCode: region.code, value: input.value, asOf: input.asOf, numerator: input.numerator, denominator: input.denominator, note: input.note });
}

/**
 * Records a figure: checks everything first (a clear error, nothing written), then inserts it in
 * one transaction with the fact that it was entered (no roll-up: the projector folds the fact).
 * The same idempotency key with the same figure returns the first submission; with another figure,
 * CONFLICT.
 */
export async function submitFigure(unit: UnitOfWork, user: User, input: SubmitFigureInput): Promise<SubmitResult> {
  const { em, clock } = unit;
  const { indicator, region } = await findIndicatorAndRegion(em, input);
  checkSubmission(user, indicator, region, input, clock.today());
  const note = storedNote(input.note);
  const normalised = { ...input, note };

  const existing = async () => input.idempotencyKey
    ? em.fork().findOne(Submission, { submittedBy: user.id, idempotencyKey: input.idempotencyKey }, { populate: ['indicator', 'region'] })
    : null;
  const replay = (earlier: Submission): SubmitResult => {
    if (!samePayload(earlier, indicator, region, normalised)) {
      throw new ConflictError(`idempotencyKey "${input.idempotencyKey}" was used for a different figure (submission ${earlier.id})`,
        { submission: earlier.id });
    }
    return { submission: earlier, created: false };
  };

  const earlier = await existing();
  if (earlier) return replay(earlier);
  try {
    const submission = await unit.transaction(async (tx, outbox) => {
      const row = tx.create(Submission, {
        indicator, region, value: input.value, numerator: input.numerator ?? undefined, denominator: input.denominator ?? undefined,
        asOf: input.asOf, note, status: SubmissionStatus.SUBMITTED, submittedBy: tx.getReference(User, user.id),
        submittedAt: clock.now(), idempotencyKey: input.idempotencyKey, synthetic: false,
      });
      await tx.flush();
      // A second figure for the same day is a correction of the first.
      const corrects = await tx.count(Submission, { indicator, region, asOf: input.asOf, id: { $ne: row.id } });
      audit(tx, user, clock.now(), {
        action: corrects ? 'CORRECT' : 'SUBMIT', entityType: 'Submission', entityId: row.id, indicatorCode: indicator.code, regionCode: region.code,
        after: snapshot(row, SUBMISSION_FIELDS),
      });
      // The figure's open urges are answered by it, in the same transaction.
      outbox.add(...await resolveUrges(tx, clock, row, indicator, region));
      outbox.add(figureEntered(row.id, indicator.id, region.code));
      return row;
    });
    return { submission, created: true };
  } catch (error) {
    // A concurrent request with the same key won the race: answer as the replay would.
    if (error instanceof UniqueConstraintViolationException) {
      const winner = await existing();
      if (winner) return replay(winner);
    }
    throw error;
  }
}
