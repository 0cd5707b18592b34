import { Arg, Authorized, Ctx, Field, FieldResolver, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { DateScalar } from '../../common/scalars';
import { requireUser, type Context } from '../../core/context';
import { NotFoundError } from '../../core/errors';
import { Indicator } from '../indicator/indicator.entity';
import { Programme } from '../programme/programme.entity';
import { Region } from '../region/region.entity';
import { Submission } from '../submission/submission.entity';
import { User } from '../user/user.entity';
import { assertMayRead } from '../user/user.scope';
import { Urge } from './urge.entity';
import { UrgeInput } from './urge.input';
import { lateReports, urge } from './urge.service';

@ObjectType({ description: 'A region that has not reported an indicator since the start of its current reporting cycle.' })
export class LateReport {
  @Field(() => Indicator)
  indicator!: Indicator;

  @Field(() => Region)
  region!: Region;

  @Field(() => DateScalar, { nullable: true, description: 'The as-of day of its latest figure that counts; null if it never reported.' })
  lastAsOf!: string | null;

  @Field(() => DateScalar, { description: 'When the current reporting cycle began.' })
  cycleStart!: string;
}

async function regionByCode(ctx: Context, code: string): Promise<Region> {
  const region = await ctx.loaders.region.byCode.load(code);
  if (!region) throw new NotFoundError('Region', code);
  return region;
}

@Authorized()
@Resolver(() => Urge)
export class UrgeResolver {
  @Mutation(() => Urge, { description: 'Urge (催办) a region to report: ADMIN, LEADER, or the DEPARTMENT leading the programme. Its reporters are notified live.' })
  async urge(@Arg('input', () => UrgeInput) input: UrgeInput, @Ctx() ctx: Context): Promise<Urge> {
    return urge(ctx.work, requireUser(ctx), input);
  }

  @Query(() => [Urge], { description: 'Urges of a programme in a region and below, newest first; open ones only unless open is false.' })
  async urges(
    @Arg('programme', () => String) programmeCode: string,
    @Arg('region', () => String) regionCode: string,
    @Arg('open', () => Boolean, { defaultValue: true }) open: boolean,
    @Ctx() ctx: Context,
  ): Promise<Urge[]> {
    const region = await regionByCode(ctx, regionCode);
    assertMayRead(ctx, region, programmeCode);
    const programme = await ctx.em.findOne(Programme, { code: programmeCode });
    if (!programme) throw new NotFoundError('Programme', programmeCode);
    return ctx.em.find(Urge, {
      indicator: { programme }, region: { path: { $like: `${region.path}%` } }, ...(open ? { resolvedAt: null } : {}),
    }, { orderBy: { id: 'desc' }, limit: 500 });
  }

  @Query(() => [LateReport], {
    description: 'Who is late: the regions at each indicator\'s reporting level, in the region\'s subtree, with no figure since the start of the current reporting cycle.',
  })
  async lateReports(
    @Arg('programme', () => String) programmeCode: string,
    @Arg('region', () => String) regionCode: string,
    @Arg('indicator', () => String, { nullable: true }) indicatorCode: string | undefined,
    @Ctx() ctx: Context,
  ): Promise<LateReport[]> {
    const region = await regionByCode(ctx, regionCode);
    assertMayRead(ctx, region, programmeCode);
    const rows = await lateReports(ctx.em, ctx.clock, programmeCode, region, indicatorCode);
    const [indicators, regions] = await Promise.all([
      Promise.all([...new Set(rows.map((r) => r.indicator_id))].map((id) => ctx.loaders.entity(Indicator, id))),
      ctx.loaders.region.byCode.loadMany([...new Set(rows.map((r) => r.region_code))]),
    ]);
    const indicator = new Map(indicators.map((i) => [i.id, i]));
    const byCode = new Map(regions.filter((r): r is Region => r instanceof Region).map((r) => [r.code, r]));
    return rows.map((r) => ({ indicator: indicator.get(r.indicator_id)!, region: byCode.get(r.region_code)!, lastAsOf: r.last_as_of, cycleStart: r.cycle_start }));
  }

  @FieldResolver(() => Indicator)
  indicator(@Root() u: Urge, @Ctx() ctx: Context): Promise<Indicator> {
    return ctx.loaders.ensure(u.indicator);
  }

  @FieldResolver(() => Region)
  region(@Root() u: Urge, @Ctx() ctx: Context): Promise<Region> {
    return ctx.loaders.ensure(u.region);
  }

  @FieldResolver(() => User)
  createdBy(@Root() u: Urge, @Ctx() ctx: Context): Promise<User> {
    return ctx.loaders.ensure(u.createdBy);
  }

  @FieldResolver(() => Submission, { nullable: true })
  async resolvedBy(@Root() u: Urge, @Ctx() ctx: Context): Promise<Submission | null> {
    return u.resolvedBy ? ctx.loaders.ensure(u.resolvedBy) : null;
  }

  @FieldResolver(() => Boolean, { description: 'Open past its due day.' })
  overdue(@Root() u: Urge, @Ctx() ctx: Context): boolean {
    return !u.resolvedAt && u.dueOn < ctx.clock.today();
  }
}
