import type { FilterQuery } from '@mikro-orm/core';
import { Arg, Args, Authorized, Ctx, Field, FieldResolver, InputType, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Connection, PageArgs, decodeIdCursor, toConnection } from '../../common/connection';
import { DateTimeScalar } from '../../common/scalars';
import { requireRole, type Context } from '../../core/context';
import { BadInputError } from '../../core/errors';
import { Role, User } from '../user/user.entity';
import { AuditEntry } from './audit.entity';
import { localKey, toGlobalId } from '../../common/node';

@InputType({ description: 'Every field narrows the list; none lists everything.' })
export class AuditFilter {
  @Field({ nullable: true, description: 'Submission, Target, Indicator, Programme, User, Token, Urge.' })
  entityType?: string;

  @Field({ nullable: true, description: 'The entity\'s id (Node.id), or its key as the entries show it.' })
  entityId?: string;

  @Field({ nullable: true, description: 'A figure: with region, every write about this indicator there.' })
  indicator?: string;

  @Field({ nullable: true })
  region?: string;

  @Field({ nullable: true, description: 'The username of who wrote.' })
  actor?: string;

  @Field(() => DateTimeScalar, { nullable: true })
  from?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive.' })
  to?: Date;
}

/** The GraphQL type of an audited entity type whose name differs (a Token is a Session). */
const AUDITED_AS: Record<string, string> = { Token: 'Session' };

@ObjectType()
export class AuditEntryConnection extends Connection(AuditEntry) {}

@Authorized()
@Resolver(() => AuditEntry)
export class AuditResolver {
  @Query(() => AuditEntryConnection, { description: 'The audit trail, newest first: ADMIN, LEADER and DEPARTMENT.' })
  async auditEntries(
    @Arg('filter', () => AuditFilter, { nullable: true }) filter: AuditFilter | undefined,
    @Args() { first, after }: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<AuditEntryConnection> {
    requireRole(ctx, Role.ADMIN, Role.LEADER, Role.DEPARTMENT);
    const f = filter ?? {};
    const where: FilterQuery<AuditEntry> = {};
    if (f.entityType) where.entityType = f.entityType;
    if (f.entityId) where.entityId = localKey(AUDITED_AS[f.entityType ?? ''] ?? f.entityType ?? '', f.entityId);
    if (f.indicator) where.indicatorCode = f.indicator;
    if (f.region) where.regionCode = f.region;
    if (f.actor) where.actor = { username: f.actor };
    if (f.from && f.to && f.from >= f.to) throw new BadInputError('from is not before to', 'from');
    if (f.from || f.to) where.at = { ...(f.from ? { $gte: f.from } : {}), ...(f.to ? { $lt: f.to } : {}) };
    const totalCount = await ctx.em.count(AuditEntry, where);
    const page: FilterQuery<AuditEntry> = after == null ? where : { $and: [where, { id: { $lt: decodeIdCursor(after) } }] };
    const rows = await ctx.em.find(AuditEntry, page, { orderBy: { id: 'desc' }, limit: first + 1 });
    return toConnection(rows, first, totalCount, (e) => e.id, after) as AuditEntryConnection;
  }

  @FieldResolver(() => String, { description: 'The id of the entity written (its Node.id: node(id:) reads it).' })
  entityId(@Root() entry: AuditEntry): string {
    return toGlobalId(AUDITED_AS[entry.entityType] ?? entry.entityType, entry.entityId);
  }

  @FieldResolver(() => User, { nullable: true })
  async actor(@Root() entry: AuditEntry, @Ctx() ctx: Context): Promise<User | null> {
    return entry.actor ? ctx.loaders.ensure(entry.actor) : null;
  }
}
