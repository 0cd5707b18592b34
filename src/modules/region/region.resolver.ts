import { Arg, Args, Authorized, Ctx, FieldResolver, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Connection, PageArgs, decodeCursor, toConnection } from '../../common/connection';
import type { Context } from '../../core/context';
import { NotFoundError } from '../../core/errors';
import { Region } from './region.entity';

@ObjectType()
export class RegionConnection extends Connection(Region) {}

@Authorized()
@Resolver(() => Region)
export class RegionResolver {
  @Query(() => Region, { description: 'A region by its GB/T 2260 code; NOT_FOUND when there is none.' })
  async region(@Arg('code', () => String) code: string, @Ctx() ctx: Context): Promise<Region> {
    const region = await ctx.loaders.region.byCode.load(code.trim());
    if (!region) throw new NotFoundError('Region', code);
    return region;
  }

  @FieldResolver(() => Region, { nullable: true })
  async parent(@Root() region: Region, @Ctx() ctx: Context): Promise<Region | null> {
    return region.parent ? ctx.loaders.entity(Region, region.parent.code) : null;
  }

  @FieldResolver(() => RegionConnection, { description: 'The regions one level down, by code.' })
  async children(@Root() region: Region, @Args() { first, after }: PageArgs, @Ctx() ctx: Context): Promise<RegionConnection> {
    const all = await ctx.loaders.region.children.load(region.code);
    const from = after == null ? '' : decodeCursor(after);
    const rows = all.filter((r) => r.code > from).slice(0, first + 1);
    return toConnection(rows, first, all.length, (r) => r.code, after) as RegionConnection;
  }
}
