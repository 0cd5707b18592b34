import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../../common/scalars';
import { User } from './user.entity';
import { Node } from '../../common/node';

export enum SessionKind {
  LOGIN = 'LOGIN',
  SCREEN = 'SCREEN',
}
registerEnumType(SessionKind, {
  name: 'SessionKind',
  valuesConfig: {
    LOGIN: { description: 'From login; ends at its expiry or at logout.' },
    SCREEN: { description: 'A meeting-room screen: long-lived, read-only, limited to its boards; revoked by an admin.' },
  },
});

@ObjectType({ description: 'A board a screen token may show: a programme at a region and below.' })
@InputType('BoardScopeInput')
export class BoardScope {
  @Field({ description: 'Programme code (P3).' })
  programme!: string;

  @Field({ description: 'Region code (330300): the board at this region and every region below it.' })
  region!: string;
}

/**
 * What a token stands for. Every token carries its session's id (`jti`); a request is served only
 * while the session is neither expired nor revoked, so logout and revocation take effect at once,
 * on every instance.
 */
@ObjectType('Session', { implements: Node, description: 'A signed-in session or a screen token.' })
@Entity({ tableName: 'auth_session' })
@Index({ properties: ['user', 'createdAt'] })
export class AuthSession {
  /** The primary key; clients see the global id (Node.id). */
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Field(() => User)
  @ManyToOne(() => User)
  user!: Rel<User>;

  @Field(() => SessionKind)
  @Enum({ items: () => SessionKind, nativeEnumName: 'session_kind' })
  kind!: SessionKind;

  @Field({ nullable: true, description: 'A screen\'s name (三楼会议室).' })
  @Property({ type: 'string', length: 100, nullable: true })
  name?: string;

  @Field(() => [BoardScope], { nullable: true, description: 'A screen token\'s boards; null for a login.' })
  @Property({ type: 'json', nullable: true })
  boards?: BoardScope[] | null;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date;

  @Field(() => User, { nullable: true, description: 'Who made a screen token.' })
  @ManyToOne(() => User, { nullable: true })
  createdBy?: Rel<User>;
}
