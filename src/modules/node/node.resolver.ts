import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Query, Resolver, Root } from 'type-graphql';
import { fromGlobalId, Node, progressKey, toGlobalId } from '../../common/node';
import { DateScalar } from '../../common/scalars';
import { requireRole, requireUser, type Context } from '../../core/context';
import { BadInputError } from '../../core/errors';
import { AuditEntry } from '../audit/audit.entity';
import { Comment } from '../comment/comment.entity';
import { Department } from '../department/department.entity';
import { Indicator } from '../indicator/indicator.entity';
import { Programme } from '../programme/programme.entity';
import type { Progress } from '../progress/progress.types';
import { Submission } from '../submission/submission.entity';
import { Target } from '../target/target.entity';
import { Urge } from '../urge/urge.entity';
import { AuthSession } from '../user/session.entity';
import { Role, User } from '../user/user.entity';
import { assertMayRead } from '../user/user.scope';

/** Whether `text` is a calendar day the Date scalar accepts. */
function isDay(text: string): boolean {
  try { DateScalar.parseValue(text); return /^\d{4}-\d{2}-\d{2}$/.test(text); } catch { return false; }
}

/** The key of each Node type's id: the primary key, but for Region (its code) and Progress (indicator, region, day). */
const KEYS: Record<string, (root: never) => string | number> = {
  Region: (r: { code: string }) => r.code,
  Progress: (p: Progress) => progressKey(p.indicator.id, p.region.code, p.asOf),
};

/** The global id of a Node object of the GraphQL type `type`. */
export function nodeId(type: string, root: object): string {
  const key = KEYS[type] ?? ((o: { id: string | number }) => o.id);
  return toGlobalId(type, (key as (root: object) => string | number)(root));
}

/** Loads what a global id names, checking that the caller may read it; null when there is no such object. */
async function load(ctx: Context, type: string, key: string): Promise<object | null> {
  const entity = <T extends object>(cls: new () => T, pk: string | number) => ctx.loaders.entity(cls, pk).catch(() => null);
  const readable = async <T extends { indicator: Indicator; region: { code: string } }>(found: T | null) => {
    if (!found) return null;
    const [indicator, region] = await Promise.all([ctx.loaders.ensure(found.indicator), ctx.loaders.region.byCode.load(found.region.code)]);
    const programme = await ctx.loaders.ensure(indicator.programme);
    assertMayRead(ctx, region ?? undefined, programme.code);
    return found;
  };
  const integer = /^\d{1,18}$/.test(key);
  switch (type) {
    case 'Region':
      return (await ctx.loaders.region.byCode.load(key)) ?? null;
    case 'Department':
      return integer ? entity(Department, Number(key)) : null;
    case 'Programme': {
      const programme = integer ? await entity(Programme, Number(key)) : null;
      if (programme) assertMayRead(ctx, undefined, programme.code);
      return programme;
    }
    case 'Indicator': {
      const indicator = integer ? await entity(Indicator, Number(key)) : null;
      if (indicator) assertMayRead(ctx, undefined, (await ctx.loaders.ensure(indicator.programme)).code);
      return indicator;
    }
    case 'Target':
      return integer ? readable(await entity(Target, Number(key))) : null;
    case 'Submission':
      return integer ? readable(await entity(Submission, key)) : null;
    case 'Comment':
      return integer ? readable(await entity(Comment, key)) : null;
    case 'Urge':
      return integer ? readable(await entity(Urge, key)) : null;
    case 'Progress': {
      const [indicatorId, regionCode, asOf] = key.split(':');
      if (!/^\d{1,9}$/.test(indicatorId ?? '') || !regionCode || !isDay(asOf ?? '')) return null;
      const [indicator, region] = await Promise.all([entity(Indicator, Number(indicatorId)), ctx.loaders.region.byCode.load(regionCode)]);
      if (!indicator || !region) return null;
      assertMayRead(ctx, region, (await ctx.loaders.ensure(indicator.programme)).code);
      return ctx.loaders.progress.load({ indicatorId: indicator.id, regionCode: region.code, asOf });
    }
    case 'User': {
      const user = requireUser(ctx);
      if (user.role !== Role.ADMIN && String(user.id) !== key) requireRole(ctx, Role.ADMIN);
      return integer ? entity(User, Number(key)) : null;
    }
    case 'Session':
      requireRole(ctx, Role.ADMIN);
      return /^[0-9a-f-]{36}$/i.test(key) ? entity(AuthSession, key) : null;
    case 'AuditEntry':
      requireRole(ctx, Role.ADMIN, Role.LEADER, Role.DEPARTMENT);
      return integer ? entity(AuditEntry, key) : null;
    default:
      return null;
  }
}

@Resolver(() => Node)
export class NodeResolver {
  /** One resolver for the id of every Node type (type-graphql applies an interface's field resolvers to its implementations). */
  @FieldResolver(() => ID)
  id(@Root() root: object, @Info() info: GraphQLResolveInfo): string {
    return nodeId(info.parentType.name, root);
  }

  @Authorized()
  @Query(() => Node, {
    nullable: true,
    description: 'The object a global id names (Relay), if it exists and you may read it; null when it does not exist. Not a global id: BAD_USER_INPUT.',
  })
  async node(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<object | null> {
    const global = fromGlobalId(id);
    if (!global) throw new BadInputError('id is not a global id (Node.id)', 'id');
    return load(ctx, global.type, global.key);
  }

  @Authorized()
  @Query(() => [Node], {
    nullable: 'items',
    description: 'The objects of several global ids, in their order (null for one that does not exist); at most 100.',
  })
  async nodes(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: Context): Promise<(object | null)[]> {
    if (ids.length > 100) throw new BadInputError('At most 100 ids at once', 'ids');
    const globals = ids.map((id) => fromGlobalId(id));
    if (globals.some((g) => !g)) throw new BadInputError('Every id must be a global id (Node.id)', 'ids');
    return Promise.all(globals.map((g) => load(ctx, g!.type, g!.key)));
  }
}
