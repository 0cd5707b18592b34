import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DateScalar } from '../../common/scalars';
import { requireUser, type Context } from '../../core/context';
import { BadInputError, NotFoundError } from '../../core/errors';
import { Programme } from '../programme/programme.entity';
import type { Progress } from '../progress/progress.types';
import { assertMayRead } from '../user/user.scope';
import { Ranking, RankingBasis, RankingRow, ScoreWeightInput } from './ranking.types';
import { rankValues, standing, type Standing } from './ranking.service';
import { ScoreWeight } from './score-weight.entity';
import { setScoreWeights } from './score-weight.service';

@Authorized()
@Resolver(() => Ranking)
export class RankingResolver {
  @Query(() => Ranking, {
    description: 'The children of a region ranked (晾晒) by COMPLETION, PACE or a programme SCORE as of asOf (default today), '
      + 'with each one\'s rank at `since` and the change. Regions that have reported none of the indicators are listed, not ranked.',
  })
  async ranking(
    @Arg('programme', () => String) programmeCode: string,
    @Arg('region', () => String) regionCode: string,
    @Arg('by', () => RankingBasis) by: RankingBasis,
    @Arg('asOf', () => DateScalar, { nullable: true }) asOfArg: string | undefined,
    @Arg('since', () => DateScalar, { nullable: true }) sinceArg: string | undefined,
    @Arg('indicator', () => String, { nullable: true, description: 'Rank on this indicator of the programme alone.' }) indicatorCode: string | undefined,
    @Ctx() ctx: Context,
  ): Promise<Ranking> {
    const region = await ctx.loaders.region.byCode.load(regionCode);
    if (!region) throw new NotFoundError('Region', regionCode);
    assertMayRead(ctx, region, programmeCode);
    const programme = await ctx.em.findOne(Programme, { code: programmeCode });
    if (!programme) throw new NotFoundError('Programme', programmeCode);
    const asOf = asOfArg ?? ctx.clock.today();
    const since = sinceArg ?? null;
    if (since !== null && since >= asOf) throw new BadInputError(`since ${since} is not before asOf ${asOf}`, 'since');
    let indicators = await ctx.loaders.indicatorsByProgramme.load(programme.id);
    if (indicatorCode) {
      indicators = indicators.filter((i) => i.code === indicatorCode);
      if (indicators.length === 0) throw new BadInputError(`${indicatorCode} is not an indicator of ${programme.code}`, 'indicator');
    }
    const [children, weightRows] = await Promise.all([
      ctx.loaders.region.children.load(region.code),
      by === RankingBasis.SCORE ? ctx.em.find(ScoreWeight, { programme }) : Promise.resolve([]),
    ]);
    const weights = new Map(weightRows.map((w) => [w.indicator.id, w.weight]));
    const days = since ? [asOf, since] : [asOf];
    const keys = days.flatMap((day) => children.flatMap((c) => indicators.map((i) => ({ indicatorId: i.id, regionCode: c.code, asOf: day }))));
    const loaded = await ctx.loaders.progress.loadMany(keys);
    const byDay = new Map<string, Standing[]>();
    for (const day of days) {
      byDay.set(day, children.map((c) => standing(by, loaded.filter((p, k): p is Progress =>
        !(p instanceof Error) && keys[k].asOf === day && keys[k].regionCode === c.code), weights)));
    }
    const now = byDay.get(asOf)!;
    const ranks = rankValues(now.map((s) => s.value));
    const then = since ? byDay.get(since)! : null;
    const ranksThen = then ? rankValues(then.map((s) => s.value)) : null;
    const rows: RankingRow[] = children.map((c, i) => ({
      region: c, reported: now[i].value !== null, value: now[i].value, rank: ranks[i],
      valueSince: then?.[i].value ?? null, rankSince: ranksThen?.[i] ?? null,
      change: ranks[i] !== null && ranksThen?.[i] != null ? ranksThen[i]! - ranks[i]! : null,
      indicatorsReported: now[i].reported, indicatorsJudged: now[i].judged,
    }));
    rows.sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.region.code.localeCompare(b.region.code));
    return { programme, region, by, asOf, since, rows };
  }

  @Mutation(() => Programme, {
    description: 'Sets the weights of the programme\'s SCORE (量化评分), replacing the previous ones (indicators not named weigh 0): ADMIN or the leading DEPARTMENT.',
  })
  async setScoreWeights(
    @Arg('programme', () => String) code: string,
    @Arg('weights', () => [ScoreWeightInput]) weights: ScoreWeightInput[],
    @Ctx() ctx: Context,
  ): Promise<Programme> {
    return setScoreWeights(ctx.work, requireUser(ctx), code, weights);
  }
}

@Authorized()
@Resolver(() => Programme)
export class ProgrammeScoreResolver {
  @FieldResolver(() => [ScoreWeight], { description: 'The weights of its SCORE ranking; empty: every indicator with a target weighs 1.' })
  scoreWeights(@Root() programme: Programme, @Ctx() ctx: Context): Promise<ScoreWeight[]> {
    return ctx.em.find(ScoreWeight, { programme }, { populate: ['indicator'], orderBy: { indicator: { position: 'asc' } } });
  }
}
