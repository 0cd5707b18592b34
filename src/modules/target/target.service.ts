import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { BadInputError, ConflictError, NotFoundError } from '../../core/errors';
import { Indicator } from '../indicator/indicator.entity';
import { findIndicatorAndRegion } from '../indicator/indicator.lookup';
import { checkFigure, checkInYear } from '../indicator/indicator.rules';
import { LEVEL_DEPTH, type Region } from '../region/region.entity';
import { User } from '../user/user.entity';
import { assertMayWrite } from '../user/user.scope';
import { audit, snapshot } from '../audit/audit.service';
import { Comparator, Target } from './target.entity';
import type { SetTargetInput } from './target.input';
import { targetChangedEvent } from './target.events';
import type { UnitOfWork } from '../events/unit-of-work';

function checkShape(indicator: Indicator, input: SetTargetInput): void {
  if (input.comparator === Comparator.RANGE) {
    if (input.value != null) throw new BadInputError('A RANGE target takes min and max, not value', 'value');
    if (input.min == null || input.max == null) throw new BadInputError('A RANGE target needs min and max', input.min == null ? 'min' : 'max');
    checkFigure(indicator, input.min, 'min');
    checkFigure(indicator, input.max, 'max');
    if (input.min > input.max) throw new BadInputError(`min ${input.min} is above max ${input.max}`, 'min');
    return;
  }
  if (input.min != null || input.max != null) throw new BadInputError(`A ${input.comparator} target takes value, not min and max`, 'min');
  if (input.value == null) {
    if (indicator.kind === 'MILESTONE') return;
    throw new BadInputError(`A ${input.comparator} target needs a value`, 'value');
  }
  checkFigure(indicator, input.value, 'value');
}

const TARGET_FIELDS = ['indicator', 'region', 'deadline', 'comparator', 'value', 'min', 'max', 'note', 'version'] as const;

/**
 * Creates the target for indicator × region × deadline, or changes it when expectedVersion is current.
 * The board is told (TargetChanged), and the projector judges the region and its ancestors again.
 */
export async function setTarget(unit: UnitOfWork, user: User, input: SetTargetInput): Promise<Target> {
  const { indicator, region } = await findIndicatorAndRegion(unit.em, input);
  assertMayWrite(user, indicator.programme, region, 'targets');
  if (LEVEL_DEPTH[region.level] > LEVEL_DEPTH[indicator.reportingLevel]) {
    throw new BadInputError(`${indicator.code} is reported by ${indicator.reportingLevel.toLowerCase()}; no target below that level`, 'region');
  }
  checkShape(indicator, input);
  if (input.deadline) checkInYear(input.deadline, indicator.programme.year, 'deadline');

  const deadline = input.deadline ?? null;
  try {
    return await writeTarget(unit, user, input, indicator, region, deadline);
  } catch (error) {
    // Two requests created this target at once (there was no row to lock): the first won; this one wrote nothing.
    if (error instanceof UniqueConstraintViolationException) {
      throw new ConflictError(
        `The target of ${indicator.code} in ${region.code} ${deadline ? `by ${deadline}` : 'without deadline'} was created at the same time by another request; read it, then pass its expectedVersion`);
    }
    throw error;
  }
}

function writeTarget(unit: UnitOfWork, user: User, input: SetTargetInput, indicator: Indicator, region: Region, deadline: string | null): Promise<Target> {
  const { clock } = unit;
  return unit.transaction(async (tx, outbox) => {
    const existing = await tx.findOne(Target, { indicator, region, deadline }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const values = {
      comparator: input.comparator, value: input.value ?? undefined, min: input.min ?? undefined, max: input.max ?? undefined,
      note: input.note?.trim() || undefined, synthetic: false, updatedBy: tx.getReference(User, user.id), updatedAt: clock.now(),
    };
    const before = existing ? snapshot(existing, TARGET_FIELDS) : null;
    let target: Target;
    if (!existing) {
      if (input.expectedVersion != null) throw new NotFoundError('Target', `${indicator.code} ${region.code} ${deadline ?? 'without deadline'}`);
      target = tx.create(Target, { indicator, region, deadline: deadline ?? undefined, ...values });
    } else {
      if (input.expectedVersion !== existing.version) {
        throw new ConflictError(
          `The target was changed (version ${existing.version}); read it again and pass expectedVersion ${existing.version}`,
          { version: existing.version });
      }
      // Unset columns must be cleared too (a RANGE becoming a GTE loses its min and max).
      tx.assign(existing, { ...values, value: input.value ?? null, min: input.min ?? null, max: input.max ?? null } as never);
      target = existing;
    }
    await tx.flush();
    audit(tx, user, clock.now(), {
      action: 'SET_TARGET', entityType: 'Target', entityId: target.id, indicatorCode: indicator.code, regionCode: region.code,
      before, after: snapshot(target, TARGET_FIELDS),
    });
    outbox.add(targetChangedEvent(target, indicator.programme.id));
    return target;
  });
}
