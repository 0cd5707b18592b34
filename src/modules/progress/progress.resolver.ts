import { Arg, Authorized, Ctx, FieldResolver, Float, Resolver, Root } from 'type-graphql';
import { DateScalar } from '../../common/scalars';
import type { Context } from '../../core/context';
import { NotFoundError } from '../../core/errors';
import { Aggregation, Indicator } from '../indicator/indicator.entity';
import { Comparator } from '../target/target.entity';
import { assertMayRead } from '../user/user.scope';
import { forecast, outlook } from './progress.forecast';
import { Outlook, Progress, ProgressPoint, TargetAllocation } from './progress.types';

@Authorized()
@Resolver(() => Indicator)
export class IndicatorProgressResolver {
  @FieldResolver(() => Progress, { description: 'Progress in a region (GB/T code), as of the end of asOf (default: today).' })
  async progress(
    @Root() indicator: Indicator,
    @Arg('region', () => String) regionCode: string,
    @Arg('asOf', () => DateScalar, { nullable: true }) asOf: string | undefined,
    @Ctx() ctx: Context,
  ): Promise<Progress> {
    const region = await ctx.loaders.region.byCode.load(regionCode);
    if (!region) throw new NotFoundError('Region', regionCode);
    // A screen token's boards name programmes; only then is the programme's code needed.
    assertMayRead(ctx, region, ctx.session?.boards ? (await ctx.loaders.ensure(indicator.programme)).code : undefined);
    const progress = await ctx.loaders.progress.load({ indicatorId: indicator.id, regionCode: region.code, asOf: asOf ?? ctx.clock.today() });
    await ctx.loaders.pace();
    return progress;
  }
}

const keyOf = (p: Progress) => ({ indicatorId: p.indicator.id, regionCode: p.region.code, asOf: p.asOf });

@Authorized()
@Resolver(() => Progress)
export class ProgressResolver {
  @FieldResolver(() => [Progress], { description: 'The same progress for each child region, by code.' })
  async children(@Root() progress: Progress, @Ctx() ctx: Context): Promise<Progress[]> {
    const children = await ctx.loaders.region.children.load(progress.region.code);
    const rows = await ctx.loaders.progress.loadMany(children.map((c) => ({ ...keyOf(progress), regionCode: c.code })));
    await ctx.loaders.pace();
    return rows.map((r) => { if (r instanceof Error) throw r; return r; });
  }

  @FieldResolver(() => [ProgressPoint], { description: 'The figure on every day a region below reported, up to asOf, oldest first.' })
  async history(@Root() progress: Progress, @Ctx() ctx: Context): Promise<ProgressPoint[]> {
    const points = await ctx.loaders.history.load(keyOf(progress));
    await ctx.loaders.pace();
    return points;
  }

  @FieldResolver(() => Float, {
    nullable: true,
    description: 'The figure projected to the deadline from its history (least squares; a count of the year\'s work starts at its starting value). Null with fewer than two points.',
  })
  async forecast(@Root() progress: Progress, @Ctx() ctx: Context): Promise<number | null> {
    if (!progress.target && !progress.metOf) return null;
    const points = await ctx.loaders.history.load(keyOf(progress));
    await ctx.loaders.pace();
    return forecast(progress.indicator, progress.target, points, progress.asOf);
  }

  @FieldResolver(() => Outlook, {
    nullable: true,
    description: 'The forecast\'s verdict, judged by the trajectory: will the figure make the plan\'s next milestone (else the target at its deadline)? Null without a target or a deadline ahead, or with fewer than two points.',
  })
  async outlook(@Root() progress: Progress, @Ctx() ctx: Context): Promise<Outlook | null> {
    if (!progress.target) return null;
    const [plan, points] = await Promise.all([
      ctx.loaders.plans.load({ targetId: progress.target.id, asOf: progress.asOf }),
      ctx.loaders.history.load(keyOf(progress)),
    ]);
    await ctx.loaders.pace();
    return outlook(progress, plan, points);
  }

  @FieldResolver(() => TargetAllocation, { nullable: true, description: 'For a target split over the regions below: does it add up? Null when it is not split.' })
  async allocation(@Root() progress: Progress, @Ctx() ctx: Context): Promise<TargetAllocation | null> {
    const { target, indicator, region } = progress;
    if (!target || target.value == null || target.comparator === Comparator.RANGE || indicator.aggregation !== Aggregation.SUM) return null;
    const [children, targets] = await Promise.all([
      ctx.loaders.region.children.load(region.code),
      ctx.loaders.childTargets.load(`${indicator.id}|${region.code}`),
    ]);
    await ctx.loaders.pace();
    const same = targets.filter((t) => (t.deadline ?? null) === (target.deadline ?? null) && t.value != null);
    if (same.length === 0) return null;
    const childrenSum = same.reduce((a, t) => a + t.value!, 0);
    return {
      target: target.value,
      childrenSum,
      childrenWithTarget: same.length,
      childrenCount: children.length,
      mismatch: same.length < children.length || Math.abs(childrenSum - target.value) > 1e-9 * Math.max(1, Math.abs(target.value)),
    };
  }
}
