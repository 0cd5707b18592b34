import { Entity, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { DateTimeScalar } from '../../common/scalars';
import { User } from '../user/user.entity';
import { Node } from '../../common/node';

/**
 * One write, as it happened: who, when, what, and the entity before and after. Append-only: the
 * application never changes or deletes an entry, and a trigger makes the database refuse it too.
 * `indicatorCode` and `regionCode` are set for writes about a figure (submissions, reviews,
 * targets, urges), so a figure's whole story is one indexed query.
 */
@ObjectType({ implements: Node, description: 'A write: who, when, what, the entity before and after. Entries are never changed or deleted.' })
@Entity()
@Index({ properties: ['entityType', 'entityId', 'id'] })
@Index({ properties: ['indicatorCode', 'regionCode', 'id'] })
@Index({ properties: ['actor', 'id'] })
@Index({ properties: ['at'] })
export class AuditEntry {
  /** The primary key; clients see the global id (Node.id). */
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  at!: Date;

  /** Null for writes the system makes itself (the demo, the command line without a user). */
  @Field(() => User, { nullable: true })
  @ManyToOne(() => User, { nullable: true })
  actor?: Rel<User>;

  @Field({ description: 'SUBMIT, APPROVE, RETURN, SET_TARGET, CREATE_INDICATOR, UPDATE_INDICATOR, CREATE_USER, UPDATE_USER, CREATE_TOKEN, REVOKE_TOKEN, URGE, SET_PROGRAMME …' })
  @Property({ type: 'string', length: 40 })
  action!: string;

  @Field({ description: 'Submission, Target, Indicator, Programme, User, Token, Urge.' })
  @Property({ type: 'string', length: 40 })
  entityType!: string;

  /** The entity's key; clients see its global id (the entityId field). */
  @Property({ type: 'string', length: 64 })
  entityId!: string;

  @Field({ nullable: true })
  @Property({ type: 'string', length: 20, nullable: true })
  indicatorCode?: string;

  @Field({ nullable: true })
  @Property({ type: 'string', length: 12, nullable: true })
  regionCode?: string;

  @Field(() => GraphQLJSON, { nullable: true })
  @Property({ type: 'json', nullable: true })
  before?: Record<string, unknown> | null;

  @Field(() => GraphQLJSON, { nullable: true })
  @Property({ type: 'json', nullable: true })
  after?: Record<string, unknown> | null;
}
