import { Arg, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { FilterQuery } from '@mikro-orm/core';
import type { Context } from '../../server/context';
import { NotFoundError } from '../../server/errors';
import { Programme } from '../programme/programme.entity';
import { RegionLevel } from '../region/region.entity';
import { Target } from '../target/target.entity';
import { Indicator } from './indicator.entity';

@Authorized()
@Resolver(() => Indicator)
export class IndicatorResolver {
  @Query(() => [Indicator], { description: 'Indicators, in the order of the report; filtered by programme code and reporting level.' })
  indicators(
    @Arg('programme', () => String, { nullable: true }) programme: string | undefined,
    @Arg('reportingLevel', () => RegionLevel, { nullable: true }) reportingLevel: RegionLevel | undefined,
    @Ctx() ctx: Context,
  ): Promise<Indicator[]> {
    const where: FilterQuery<Indicator> = {};
    if (programme !== undefined) where.programme = { code: programme };
    if (reportingLevel !== undefined) where.reportingLevel = reportingLevel;
    return ctx.em.find(Indicator, where, { orderBy: { programme: { code: 'asc' }, position: 'asc' } });
  }

  @Query(() => Indicator, { description: 'An indicator by its code (P3-01); NOT_FOUND when there is none.' })
  async indicator(@Arg('code', () => String) code: string, @Ctx() ctx: Context): Promise<Indicator> {
    const indicator = await ctx.em.findOne(Indicator, { code });
    if (!indicator) throw new NotFoundError('Indicator', code);
    return indicator;
  }

  @FieldResolver(() => Programme)
  programme(@Root() indicator: Indicator, @Ctx() ctx: Context): Promise<Programme> {
    return ctx.loaders.ensure(indicator.programme);
  }

  @FieldResolver(() => [Target], { description: 'Every target of this indicator set for the region (all deadlines).' })
  targets(@Root() indicator: Indicator, @Arg('region', () => String) region: string, @Ctx() ctx: Context): Promise<Target[]> {
    return ctx.em.find(Target, { indicator, region: { code: region } }, { orderBy: { deadline: 'asc' }, populate: ['region'] });
  }
}
