import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import { BadInputError, ConflictError } from '../../core/errors';
import { Indicator, IndicatorKind } from '../indicator/indicator.entity';
import { findIndicatorAndRegion } from '../indicator/indicator.lookup';
import { checkFigure, checkInYear, checkStorable } from '../indicator/indicator.rules';
import { Region } from '../region/region.entity';
import { assertMayWrite } from '../user/user.scope';
import { User } from '../user/user.entity';
import { Submission, SubmissionStatus } from './submission.entity';
import { figureEntered } from '../events/facts';
import type { UnitOfWork } from '../events/unit-of-work';
import type { SubmitFigureInput } from './submission.input';
import { audit, snapshot } from '../audit/audit.service';
import { resolveUrges } from '../urge/urge.service';

/** What the audit trail keeps of a submission. */
export const SUBMISSION_FIELDS = ['indicator', 'region', 'value', 'numerator', 'denominator', 'asOf', 'note', 'status', 'submittedBy', 'reviewedBy', 'reviewNote'] as const;

/** How far value may stray from 100 × numerator / denominator (rounding in the report). */
const RATIO_TOLERANCE = 0.05;

export interface SubmitResult {
  submission: Submission;
  /** False when the idempotency key returned an earlier submission. */
  created: boolean;
}

function checkRatio(indicator: Indicator, input: SubmitFigureInput): void {
  const { numerator, denominator, value } = input;
  if (numerator == null && denominator == null) return;
  if (indicator.kind !== IndicatorKind.PERCENT) {
    throw new BadInputError(`${indicator.code} is not a percentage; it takes no numerator or denominator`, 'numerator');
  }
  if (numerator == null || denominator == null) throw new BadInputError('numerator and denominator go together', numerator == null ? 'numerator' : 'denominator');
  checkStorable(numerator, 'numerator');
  checkStorable(denominator, 'denominator');
  if (numerator < 0) throw new BadInputError('numerator must be a number, zero or more', 'numerator');
  if (denominator <= 0) throw new BadInputError('denominator must be a number above zero', 'denominator');
  if (numerator > denominator) throw new BadInputError(`numerator ${numerator} exceeds denominator ${denominator}: a share above 100%`, 'numerator');
  const implied = (100 * numerator) / denominator;
  if (Math.abs(implied - value) > RATIO_TOLERANCE + 0.5 * 10 ** -indicator.decimals) {
    throw new BadInputError(`value ${value} is not ${numerator} / ${denominator} = ${implied.toFixed(2)}%`, 'value');
  }
}

function samePayload(s: Submission, indicator: Indicator, region: Region, input: SubmitFigureInput): boolean {
  return s.indicator.id === indicator.id && s.region.code === region.code && s.value === input.value && s.asOf === input.asOf
    && (s.numerator ?? null) === (input.numerator ?? null) && (s.denominator ?? null) === (input.denominator ?? null)
    && (s.note ?? null) === (input.note ?? null);
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
  assertMayWrite(user, indicator.programme, region, 'figures');
  if (region.level !== indicator.reportingLevel) {
    throw new BadInputError(
      `${indicator.code} is reported by ${indicator.reportingLevel.toLowerCase()}; ${region.name} (${region.code}) is a ${region.level.toLowerCase()}`,
      'region');
  }
  checkFigure(indicator, input.value, 'value');
  checkRatio(indicator, input);
  checkInYear(input.asOf, indicator.programme.year, 'asOf');
  if (input.asOf > clock.today()) throw new BadInputError(`asOf ${input.asOf} is after today (${clock.today()})`, 'asOf');
  const note = input.note?.trim() || undefined;
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
