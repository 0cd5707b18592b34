import { Arg, Authorized, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { DateScalar } from '../../common/scalars';
import type { Context } from '../../server/context';
import { NotFoundError } from '../../server/errors';
import { Indicator } from '../indicator/indicator.entity';
import { Progress } from './progress.types';

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
    return ctx.loaders.progress.load({ indicatorId: indicator.id, regionCode: region.code, asOf: asOf ?? ctx.clock.today() });
  }
}

@Authorized()
@Resolver(() => Progress)
export class ProgressResolver {
  @FieldResolver(() => [Progress], { description: 'The same progress for each child region, by code.' })
  async children(@Root() progress: Progress, @Ctx() ctx: Context): Promise<Progress[]> {
    const children = await ctx.loaders.region.children.load(progress.region.code);
    return ctx.loaders.progress.loadMany(children.map((c) => ({ indicatorId: progress.indicator.id, regionCode: c.code, asOf: progress.asOf })))
      .then((rows) => rows.map((r) => { if (r instanceof Error) throw r; return r; }));
  }
}
