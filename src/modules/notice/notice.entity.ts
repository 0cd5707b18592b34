import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Opt, type Rel } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateScalar, DateTimeScalar } from '../../common/scalars';
import { Indicator } from '../indicator/indicator.entity';
import { Region } from '../region/region.entity';
import { Target } from '../target/target.entity';
import { User } from '../user/user.entity';

export enum NoticeColour {
  BLUE = 'BLUE',
  YELLOW = 'YELLOW',
  RED = 'RED',
}
registerEnumType(NoticeColour, {
  name: 'NoticeColour',
  valuesConfig: {
    BLUE: { description: 'The deadline is near (within the programme\'s blueWithinDays) and the target is not met.' },
    YELLOW: { description: 'Behind the trajectory (or time-proportional progress) by more than yellowBehindShare.' },
    RED: { description: 'Overdue, or behind by more than redBehindShare.' },
  },
});

export enum NoticeState {
  ISSUED = 'ISSUED',
  ACKNOWLEDGED = 'ACKNOWLEDGED',
  EXTENSION_REQUESTED = 'EXTENSION_REQUESTED',
  EXTENSION_GRANTED = 'EXTENSION_GRANTED',
  EXTENSION_REFUSED = 'EXTENSION_REFUSED',
  COMPLETED = 'COMPLETED',
  RETURNED = 'RETURNED',
  ACCEPTED = 'ACCEPTED',
  LIFTED = 'LIFTED',
}
registerEnumType(NoticeState, {
  name: 'NoticeState',
  valuesConfig: {
    ISSUED: { description: 'Issued by rule; the region\'s reporter is to acknowledge it (签收).' },
    ACKNOWLEDGED: { description: 'Acknowledged by the region.' },
    EXTENSION_REQUESTED: { description: 'The region asked for a later deadline (申请延期); the leading department decides.' },
    EXTENSION_GRANTED: { description: 'Granted: the notice judges by the later deadline (the target keeps its own).' },
    EXTENSION_REFUSED: { description: 'Refused: the deadline stands.' },
    COMPLETED: { description: 'The figure meets the target (办结), reported by the region or seen by rule; the department is to accept it.' },
    RETURNED: { description: 'The department did not accept the completion; the region reports it again.' },
    ACCEPTED: { description: 'Accepted by the department (验收): closed.' },
    LIFTED: { description: 'No rule applies any more (caught up, deadline no longer near): closed by rule.' },
  },
});

/**
 * A supervision notice (督办单) on an indicator in a region: issued, raised and lowered by the
 * programme's rules, followed through its lifecycle. At most one is open per indicator × region.
 */
@ObjectType({ description: 'A supervision notice (督办单): issued by rule from the figures, followed until accepted or lifted.' })
@Entity()
@Index({ name: 'notice_open_key', expression: 'create unique index "notice_open_key" on "notice" ("indicator_id", "region_code") where "closed_at" is null' })
@Index({ properties: ['state'] })
export class Notice {
  @Field(() => ID)
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Field(() => Indicator)
  @ManyToOne(() => Indicator)
  indicator!: Rel<Indicator>;

  @Field(() => Region)
  @ManyToOne(() => Region, { fieldName: 'region_code', index: true })
  region!: Rel<Region>;

  @Field(() => Target, { description: 'The target it judges.' })
  @ManyToOne(() => Target)
  target!: Rel<Target>;

  @Field(() => NoticeColour)
  @Enum({ items: () => NoticeColour, nativeEnumName: 'notice_colour' })
  colour!: NoticeColour;

  @Field(() => NoticeState)
  @Enum({ items: () => NoticeState, nativeEnumName: 'notice_state' })
  state!: NoticeState;

  @Field({ description: 'Why it has its colour, in words.' })
  @Property({ type: 'text' })
  reason!: string;

  @Field(() => DateScalar, { description: 'The target\'s deadline.' })
  @Property({ type: 'date' })
  deadline!: string;

  @Field(() => DateScalar, { nullable: true, description: 'The extension asked for.' })
  @Property({ type: 'date', nullable: true })
  requestedUntil?: string;

  @Field(() => DateScalar, { nullable: true, description: 'A granted extension: the deadline the notice judges by (the target keeps its own).' })
  @Property({ type: 'date', nullable: true })
  extendedTo?: string;

  @Field(() => DateScalar, { description: 'The day it was issued.' })
  @Property({ type: 'date' })
  issuedOn!: string;

  @Field(() => DateScalar, { nullable: true, description: 'The day it last turned RED.' })
  @Property({ type: 'date', nullable: true })
  redSince?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When a RED left unacknowledged went up to the leaders.' })
  @Property({ type: 'timestamptz', nullable: true })
  escalatedAt?: Date;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  issuedAt!: Date;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  updatedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was accepted or lifted; null while open.' })
  @Property({ type: 'timestamptz', nullable: true })
  closedAt?: Date;

  @Field(() => Int, { description: 'Starts at 1; each change adds one.' })
  @Property({ type: 'integer', version: true })
  version!: number & Opt;
}

/** One change of a notice: its history. */
@ObjectType({ description: 'One change of a notice, by rule (no actor) or by a person.' })
@Entity()
export class NoticeStep {
  @Field(() => ID)
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => Notice, { index: true })
  notice!: Rel<Notice>;

  @Field({ description: 'ISSUED, RAISED, LOWERED, ESCALATED, LIFTED (by rule) or the transition a person made.' })
  @Property({ type: 'string', length: 40 })
  action!: string;

  @Field(() => NoticeState)
  @Enum({ items: () => NoticeState, nativeEnumName: 'notice_state' })
  state!: NoticeState;

  @Field(() => NoticeColour)
  @Enum({ items: () => NoticeColour, nativeEnumName: 'notice_colour' })
  colour!: NoticeColour;

  @Field({ nullable: true })
  @Property({ type: 'text', nullable: true })
  note?: string;

  @Field(() => User, { nullable: true, description: 'Null: by rule.' })
  @ManyToOne(() => User, { nullable: true })
  actor?: Rel<User>;

  @Field(() => DateScalar, { description: 'Duban\'s day when it happened.' })
  @Property({ type: 'date' })
  day!: string;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  at!: Date;
}
