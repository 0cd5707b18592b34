import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../common/pg-array';
import { BadInputError, ConflictError, NotFoundError } from '../../core/errors';
import { audit } from '../audit/audit.service';
import { targetChangedEvent } from '../target/target.events';
import type { UnitOfWork } from '../events/unit-of-work';
import { findIndicatorAndRegion } from '../indicator/indicator.lookup';
import { checkFigure, checkInYear } from '../indicator/indicator.rules';
import { Target } from '../target/target.entity';
import { User } from '../user/user.entity';
import { assertMayWrite } from '../user/user.scope';
import { Trajectory } from './trajectory.entity';
import type { SetTrajectoryInput } from './trajectory.input';
import type { Plan } from './trajectory.plan';

/**
 * The plans of targets as they stood at the end of `day` (the latest version set by then), by
 * target id: one statement.
 */
export async function plansAsOf(em: EntityManager, targetIds: number[], day: string, timeZone: string): Promise<Map<number, Plan>> {
  if (targetIds.length === 0) return new Map();
  const rows = await em.execute<{ target_id: number; interpolation: Plan['interpolation']; starts_on: string | null; milestones: Plan['milestones'] }[]>(`
    select distinct on (target_id) target_id, interpolation, to_char(starts_on, 'YYYY-MM-DD') as starts_on, milestones from trajectory
    where target_id = any(?::int[]) and set_at < ((?::date + 1)::timestamp at time zone ?)
    order by target_id, version desc`, [pgArray(targetIds), day, timeZone]);
  return new Map(rows.map((r) => [Number(r.target_id), { interpolation: r.interpolation, startsOn: r.starts_on, milestones: r.milestones }]));
}

const MAX_MILESTONES = 60;

/** The latest version of a target's trajectory, if any (what a sheet's row compares itself with). */
export function latestTrajectory(em: EntityManager, targetId: number): Promise<Trajectory | null> {
  return em.findOne(Trajectory, { target: targetId }, { orderBy: { version: 'desc' } });
}

/**
 * Sets a target's trajectory (a new version): ADMIN or the leading DEPARTMENT, as for targets; for
 * a target of any level (the city's, an allocated county's or township's). In the unit's
 * transaction, with a TargetChanged fact: the projector judges the region and the regions above
 * again, and the boards' progress moves with it.
 */
export async function setTrajectory(unit: UnitOfWork, user: User, input: SetTrajectoryInput): Promise<Trajectory> {
  const { em, clock } = unit;
  const { indicator, region } = await findIndicatorAndRegion(em, input);
  assertMayWrite(user, indicator.programme, region, 'targets');
  const target = await em.findOne(Target, { indicator, region, deadline: input.deadline ?? null }, { populate: ['region'] });
  if (!target) throw new NotFoundError('Target', `${indicator.code} ${region.code} ${input.deadline ?? 'without deadline'}`);
  const deadline = target.deadline ?? indicator.programme.endsOn;
  const start = input.startsOn ?? indicator.programme.startsOn;
  if (input.startsOn) {
    checkInYear(input.startsOn, indicator.programme.year, 'startsOn');
    if (input.startsOn >= deadline) throw new BadInputError(`startsOn ${input.startsOn} is not before the deadline ${deadline}`, 'startsOn');
  }
  if (input.milestones.length > MAX_MILESTONES) throw new BadInputError(`At most ${MAX_MILESTONES} milestones`, 'milestones');
  if (input.milestones.length === 0 && !input.startsOn) throw new BadInputError('Give milestones, or a startsOn for a time-proportional plan from that day', 'milestones');
  input.milestones.forEach((m, i) => {
    const field = `milestones.${i}`;
    if (m.on < start || m.on > deadline) throw new BadInputError(`milestone ${m.on} is outside ${start} … ${deadline}`, `${field}.on`);
    if (i > 0 && m.on <= input.milestones[i - 1].on) throw new BadInputError(`milestone ${m.on} is not after ${input.milestones[i - 1].on}`, `${field}.on`);
    checkFigure(indicator, m.value, `${field}.value`);
  });
  return unit.transaction(async (tx, outbox) => {
    const [{ last }] = await tx.execute<{ last: number | null }[]>('select max(version) as last from trajectory where target_id = ? ', [target.id]);
    const current = last ?? 0;
    if (input.expectedVersion != null && input.expectedVersion !== current) {
      throw new ConflictError(`The trajectory was changed (version ${current}); read it again`, { version: current });
    }
    const trajectory = tx.create(Trajectory, {
      target: tx.getReference(Target, target.id), version: current + 1, interpolation: input.interpolation, startsOn: input.startsOn ?? undefined,
      milestones: input.milestones.map((m) => ({ on: m.on, value: m.value })), derived: false, note: input.note?.trim() || undefined,
      setBy: tx.getReference(User, user.id), setAt: clock.now(),
    });
    await tx.flush();
    audit(tx, user, clock.now(), {
      action: 'SET_TRAJECTORY', entityType: 'Target', entityId: target.id, indicatorCode: indicator.code, regionCode: region.code,
      after: { version: trajectory.version, interpolation: trajectory.interpolation, startsOn: trajectory.startsOn ?? null, milestones: trajectory.milestones },
    });
    // The projector judges the region and its ancestors again on the TargetChanged fact.
    outbox.add(targetChangedEvent(target, indicator.programme.id));
    return trajectory;
  });
}
