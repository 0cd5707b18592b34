import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { BadInputError, ConflictError, NotFoundError } from '../../core/errors';
import { audit, snapshot } from '../audit/audit.service';
import type { NewEvent } from '../events/outbox.service';
import type { UnitOfWork } from '../events/unit-of-work';
import { Programme } from '../programme/programme.entity';
import type { User } from '../user/user.entity';
import { assertMayWrite } from '../user/user.scope';
import { IndicatorKind, Indicator } from './indicator.entity';
import type { CreateIndicatorInput, UpdateIndicatorInput } from './indicator.input';

const FIELDS = ['code', 'programme', 'name', 'shortName', 'kind', 'unit', 'direction', 'aggregation', 'scope', 'reportingLevel', 'reportingCycle',
  'baseline', 'decimals', 'source', 'version'] as const;

function checkNumbers(baseline: number | undefined | null, field = 'baseline'): void {
  if (baseline != null && !Number.isFinite(baseline)) throw new BadInputError(`${field} must be a finite number`, field);
}

/** Boards of the programme read again (and cached answers end): an indicator was added or changed. */
function programmeChanged(programmeId: number, indicatorCode: string): NewEvent {
  return { type: 'ProgrammeChanged', programmeId, payload: { indicator: indicatorCode } };
}

export async function createIndicator(unit: UnitOfWork, user: User, input: CreateIndicatorInput): Promise<Indicator> {
  const { em, clock } = unit;
  const programme = await em.findOne(Programme, { code: input.programme });
  if (!programme) throw new NotFoundError('Programme', input.programme);
  assertMayWrite(user, programme, undefined, 'indicators');
  checkNumbers(input.baseline);
  if (input.kind === IndicatorKind.MILESTONE && input.decimals !== 0) throw new BadInputError('A MILESTONE is 0 or 1: decimals must be 0', 'decimals');
  try {
    return await unit.transaction(async (tx, outbox) => {
      const position = (await tx.count(Indicator, { programme })) + 1;
      const { programme: _code, ...fields } = input;
      const indicator = tx.create(Indicator, { ...fields, shortName: input.shortName?.trim() || null, unit: input.unit?.trim() || undefined, source: input.source?.trim() || undefined, programme, position });
      await tx.flush();
      audit(tx, user, clock.now(), { action: 'CREATE_INDICATOR', entityType: 'Indicator', entityId: indicator.id, indicatorCode: indicator.code, after: snapshot(indicator, FIELDS) });
      outbox.add(programmeChanged(programme.id, indicator.code));
      return indicator;
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw new ConflictError(`The indicator code "${input.code}" is taken`);
    throw error;
  }
}

/** Changes an indicator when expectedVersion is current; a stale version is a CONFLICT and writes nothing. */
export async function updateIndicator(unit: UnitOfWork, user: User, input: UpdateIndicatorInput): Promise<Indicator> {
  const { clock } = unit;
  checkNumbers(input.baseline);
  return unit.transaction(async (tx, outbox) => {
    const indicator = await tx.findOne(Indicator, { code: input.code }, { populate: ['programme'], lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!indicator) throw new NotFoundError('Indicator', input.code);
    assertMayWrite(user, indicator.programme, undefined, 'indicators');
    if (input.expectedVersion !== indicator.version) {
      throw new ConflictError(`The indicator was changed (version ${indicator.version}); read it again and pass expectedVersion ${indicator.version}`,
        { version: indicator.version });
    }
    if (indicator.kind === IndicatorKind.MILESTONE && input.decimals) throw new BadInputError('A MILESTONE is 0 or 1: decimals must be 0', 'decimals');
    const before = snapshot(indicator, FIELDS);
    const { code: _code, expectedVersion: _version, ...changes } = input;
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    if (typeof defined.name === 'string') defined.name = defined.name.trim();
    // null or empty: no short name; the board shows the name.
    if ('shortName' in defined) defined.shortName = typeof defined.shortName === 'string' ? defined.shortName.trim() || null : null;
    tx.assign(indicator, defined as never);
    await tx.flush();
    audit(tx, user, clock.now(), { action: 'UPDATE_INDICATOR', entityType: 'Indicator', entityId: indicator.id, indicatorCode: indicator.code, before, after: snapshot(indicator, FIELDS) });
    outbox.add(programmeChanged(indicator.programme.id, indicator.code));
    return indicator;
  });
}
