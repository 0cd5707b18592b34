import type { FilterQuery } from '@mikro-orm/core';
import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Connection, PageArgs, decodeCursor, toConnection } from '../../common/connection';
import { listScopePath } from '../user/user.scope';
import { requireUser, type Context } from '../../core/context';
import { BadInputError, NotFoundError } from '../../core/errors';
import { Indicator } from '../indicator/indicator.entity';
import { Region } from '../region/region.entity';
import { Target } from './target.entity';
import { SetTargetInput, TargetFilter } from './target.input';
import { setTarget } from './target.service';

@ObjectType()
export class TargetConnection extends Connection(Target) {}

@Authorized()
@Resolver(() => Target)
export class TargetResolver {
  @Mutation(() => Target, { description: 'Set a target; ADMIN, or the DEPARTMENT that leads the programme.' })
  async setTarget(@Arg('input', () => SetTargetInput) input: SetTargetInput, @Ctx() ctx: Context): Promise<Target> {
    return setTarget(ctx.work, requireUser(ctx), input);
  }

  @Query(() => TargetConnection, { description: 'Targets, by indicator, then region, then deadline.' })
  async targets(
    @Arg('filter', () => TargetFilter, { nullable: true }) filter: TargetFilter | undefined,
    @Args() { first, after }: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<TargetConnection> {
    const f = filter ?? {};
    const where: FilterQuery<Target> = {};
    if (f.indicator || f.programme) {
      where.indicator = { ...(f.indicator ? { code: f.indicator } : {}), ...(f.programme ? { programme: { code: f.programme } } : {}) };
    }
    const root = f.region ? await ctx.loaders.region.byCode.load(f.region) : undefined;
    if (f.region && !root) throw new NotFoundError('Region', f.region);
    const path = listScopePath(ctx, root ?? undefined, f.programme ?? undefined);
    if (path) where.region = { path: { $like: `${path}%` } };
    if (f.synthetic !== undefined && f.synthetic !== null) where.synthetic = f.synthetic;
    const totalCount = await ctx.em.count(Target, where);
    let page = where;
    if (after != null) {
      const id = Number(decodeCursor(after));
      if (!Number.isInteger(id)) throw new BadInputError('after is not a cursor of this list', 'after');
      page = { $and: [where, { id: { $gt: id } }] };
    }
    const rows = await ctx.em.find(Target, page, { orderBy: { id: 'asc' }, limit: first + 1 });
    return toConnection(rows, first, totalCount, (t) => String(t.id), after) as TargetConnection;
  }

  @FieldResolver(() => Indicator)
  indicator(@Root() t: Target, @Ctx() ctx: Context): Promise<Indicator> {
    return ctx.loaders.ensure(t.indicator);
  }

  @FieldResolver(() => Region)
  region(@Root() t: Target, @Ctx() ctx: Context): Promise<Region> {
    return ctx.loaders.ensure(t.region);
  }
}
