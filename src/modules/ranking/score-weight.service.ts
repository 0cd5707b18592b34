import { BadInputError, NotFoundError } from '../../core/errors';
import { audit } from '../audit/audit.service';
import type { UnitOfWork } from '../events/unit-of-work';
import { Indicator } from '../indicator/indicator.entity';
import { Programme } from '../programme/programme.entity';
import type { User } from '../user/user.entity';
import { assertMayWrite } from '../user/user.scope';
import { ScoreWeight } from './score-weight.entity';
import type { ScoreWeightInput } from './ranking.types';

export const MAX_WEIGHT = 1000;

/** Checks a set of weights against the programme's indicators; the error names the entry at fault. */
function check(weights: ScoreWeightInput[], indicators: Indicator[]): void {
  if (weights.length === 0) throw new BadInputError('Give at least one weight', 'weights');
  const seen = new Set<string>();
  weights.forEach((w, i) => {
    const field = `weights.${i}`;
    if (!indicators.some((ind) => ind.code === w.indicator)) throw new BadInputError(`${w.indicator} is not an indicator of this programme`, `${field}.indicator`);
    if (seen.has(w.indicator)) throw new BadInputError(`${w.indicator} is weighted twice`, `${field}.indicator`);
    seen.add(w.indicator);
    if (!Number.isFinite(w.weight) || w.weight < 0 || w.weight > MAX_WEIGHT) throw new BadInputError(`weight ${w.weight} is not from 0 to ${MAX_WEIGHT}`, `${field}.weight`);
  });
  if (!weights.some((w) => w.weight > 0)) throw new BadInputError('At least one weight must be above 0', 'weights');
}

/**
 * Sets the weights of a programme's score (量化评分), replacing the previous ones: ADMIN or the
 * leading DEPARTMENT. Indicators not named weigh 0. Audited; boards hear a ProgrammeChanged.
 */
export async function setScoreWeights(unit: UnitOfWork, user: User, code: string, weights: ScoreWeightInput[]): Promise<Programme> {
  const { em, clock } = unit;
  const programme = await em.findOne(Programme, { code });
  if (!programme) throw new NotFoundError('Programme', code);
  assertMayWrite(user, programme, undefined, 'programme settings');
  const indicators = await em.find(Indicator, { programme });
  check(weights, indicators);
  return unit.transaction(async (tx, outbox) => {
    const before = await tx.find(ScoreWeight, { programme }, { populate: ['indicator'] });
    const snap = (rows: { indicator: string; weight: number }[]) => Object.fromEntries(rows.map((r) => [r.indicator, r.weight]));
    const beforeSnap = snap(before.map((w) => ({ indicator: w.indicator.code, weight: w.weight })));
    await tx.nativeDelete(ScoreWeight, { programme });
    for (const w of weights) tx.create(ScoreWeight, { programme, indicator: indicators.find((i) => i.code === w.indicator)!, weight: w.weight });
    await tx.flush();
    const at = clock.now();
    audit(tx, user, at, { action: 'SET_SCORE_WEIGHTS', entityType: 'Programme', entityId: programme.id, before: beforeSnap, after: snap(weights) });
    outbox.add({ type: 'ProgrammeChanged', programmeId: programme.id, payload: { programmeId: programme.id } });
    return programme;
  });
}
