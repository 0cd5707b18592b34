import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { FilterQuery } from '@mikro-orm/core';
import { requireUser, type Context } from '../../core/context';
import { NotFoundError } from '../../core/errors';
import { Programme } from '../programme/programme.entity';
import { RegionLevel } from '../region/region.entity';
import { Target } from '../target/target.entity';
import { assertMayRead, mayRead } from '../user/user.scope';
import { Indicator } from './indicator.entity';
import { CreateIndicatorInput, UpdateIndicatorInput } from './indicator.input';
import { createIndicator, updateIndicator } from './indicator.service';

@Authorized()
@Resolver(() => Indicator)
export class IndicatorResolver {
  @Query(() => [Indicator], { description: 'Indicators, in the order of the report; filtered by programme code and reporting level.' })
  async indicators(
    @Arg('programme', () => String, { nullable: true }) programme: string | undefined,
    @Arg('reportingLevel', () => RegionLevel, { nullable: true }) reportingLevel: RegionLevel | undefined,
    @Ctx() ctx: Context,
  ): Promise<Indicator[]> {
    const where: FilterQuery<Indicator> = {};
    if (programme !== undefined) where.programme = { code: programme };
    if (reportingLevel !== undefined) where.reportingLevel = reportingLevel;
    const rows = await ctx.em.find(Indicator, where, { orderBy: { programme: { code: 'asc' }, position: 'asc' }, populate: ['programme'] });
    return ctx.session?.boards ? rows.filter((i) => mayRead(ctx, undefined, i.programme.code)) : rows;
  }

  @Query(() => Indicator, { description: 'An indicator by its code (P3-01); NOT_FOUND when there is none.' })
  async indicator(@Arg('code', () => String) code: string, @Ctx() ctx: Context): Promise<Indicator> {
    const indicator = await ctx.em.findOne(Indicator, { code }, { populate: ['programme'] });
    if (!indicator) throw new NotFoundError('Indicator', code);
    assertMayRead(ctx, undefined, indicator.programme.code);
    return indicator;
  }

  @Mutation(() => Indicator, { description: 'Add an indicator to a programme: ADMIN or the leading DEPARTMENT. A taken code: CONFLICT.' })
  async createIndicator(@Arg('input', () => CreateIndicatorInput) input: CreateIndicatorInput, @Ctx() ctx: Context): Promise<Indicator> {
    return createIndicator(ctx.work, requireUser(ctx), input);
  }

  @Mutation(() => Indicator, { description: 'Change an indicator, given the version you read: ADMIN or the leading DEPARTMENT. A stale version: CONFLICT.' })
  async updateIndicator(@Arg('input', () => UpdateIndicatorInput) input: UpdateIndicatorInput, @Ctx() ctx: Context): Promise<Indicator> {
    return updateIndicator(ctx.work, requireUser(ctx), input);
  }

  @FieldResolver(() => Programme)
  programme(@Root() indicator: Indicator, @Ctx() ctx: Context): Promise<Programme> {
    return ctx.loaders.ensure(indicator.programme);
  }

  @FieldResolver(() => [Target], { description: 'Every target of this indicator set for the region (all deadlines).' })
  async targets(@Root() indicator: Indicator, @Arg('region', () => String) region: string, @Ctx() ctx: Context): Promise<Target[]> {
    const rows = await ctx.em.find(Target, { indicator, region: { code: region } }, { orderBy: { deadline: 'asc' }, populate: ['region'] });
    return rows.filter((t) => mayRead(ctx, t.region));
  }
}
