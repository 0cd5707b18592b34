import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../../common/scalars';

export enum ChannelKind {
  DINGTALK = 'DINGTALK',
  WECOM = 'WECOM',
  WEBHOOK = 'WEBHOOK',
}
registerEnumType(ChannelKind, {
  name: 'ChannelKind',
  valuesConfig: {
    DINGTALK: { description: 'A DingTalk (钉钉, 浙政钉) custom robot: a markdown message to its webhook URL, signed with the robot\'s secret (加签).' },
    WECOM: { description: 'A WeCom (企业微信) group robot: a markdown message to its webhook URL.' },
    WEBHOOK: { description: 'Any HTTP receiver: JSON with the event, its payload and the delivery id; X-Duban-Signature is the HMAC-SHA256 of the body.' },
  },
});

/** The kinds of event a channel may carry. */
export enum ChannelEvent {
  NOTICE_ISSUED = 'NOTICE_ISSUED',
  NOTICE_RAISED = 'NOTICE_RAISED',
  NOTICE_ESCALATED = 'NOTICE_ESCALATED',
  NOTICE_STEP = 'NOTICE_STEP',
  URGE = 'URGE',
  INSTRUCTION = 'INSTRUCTION',
  COMMENT = 'COMMENT',
}
registerEnumType(ChannelEvent, {
  name: 'ChannelEvent',
  valuesConfig: {
    NOTICE_ISSUED: { description: 'A supervision notice (督办单) issued.' },
    NOTICE_RAISED: { description: 'A notice raised to a worse colour.' },
    NOTICE_ESCALATED: { description: 'A notice not acknowledged in time, escalated to the leaders.' },
    NOTICE_STEP: { description: 'Any other step of a notice (acknowledged, extension, completed, accepted, lowered, lifted …).' },
    URGE: { description: 'An urge (催办) to report.' },
    INSTRUCTION: { description: 'A leader\'s instruction (批示).' },
    COMMENT: { description: 'A comment.' },
  },
});

export enum DeliveryStatus {
  PENDING = 'PENDING',
  SENT = 'SENT',
  FAILED = 'FAILED',
}
registerEnumType(DeliveryStatus, {
  name: 'DeliveryStatus',
  valuesConfig: {
    PENDING: { description: 'Waiting for its first attempt, or for the next one after a failure.' },
    SENT: { description: 'The receiver accepted it.' },
    FAILED: { description: 'Every attempt failed; no more are made.' },
  },
});

/**
 * Where notices, urges and instructions go out: a DingTalk or WeCom robot, or a webhook, with the
 * programmes, regions (each with its subtree) and kinds of event it carries (empty: all). The
 * secret is written, never read back: no field returns it.
 */
@ObjectType({ description: 'A channel messages go out to (DingTalk, WeCom, webhook). ADMIN only. Its secret is never returned: hasSecret says whether it has one.' })
@Entity()
export class Channel {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Field()
  @Property({ type: 'text' })
  name!: string;

  @Field(() => ChannelKind)
  @Enum({ items: () => ChannelKind, nativeEnumName: 'channel_kind' })
  kind!: ChannelKind;

  /** The receiver's URL (a robot's carries its access token; GraphQL shows it with the query's values hidden). */
  @Property({ type: 'text' })
  url!: string;

  /** DingTalk's 加签 secret, or the webhook's HMAC key. No @Field: write-only. */
  @Property({ type: 'text', nullable: true, hidden: true })
  secret?: string | null;

  @Field(() => [String], { description: 'Programme codes; empty: every programme.' })
  @Property({ type: 'text[]', default: '{}' })
  programmes: string[] = [];

  @Field(() => [String], { description: 'Region codes, each with its subtree; empty: everywhere.' })
  @Property({ type: 'text[]', default: '{}' })
  regions: string[] = [];

  @Field(() => [ChannelEvent], { description: 'Kinds of event; empty: every kind.' })
  @Property({ type: 'text[]', default: '{}' })
  events: ChannelEvent[] = [];

  /** The outbox sequence when the channel was made: it carries what came after. */
  @Property({ type: 'bigint' })
  fromSeq!: string;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}

/**
 * One event to one channel: made from the outbox (once per channel and event: the unique key),
 * sent at least once, retried with backoff. Its id goes with every attempt for de-duplication.
 */
@ObjectType({ description: 'One event sent to one channel, with its attempts. Its id is sent with every attempt (X-Duban-Delivery): a receiver de-duplicates on it.' })
@Entity()
@Unique({ properties: ['channel', 'eventSeq'] })
@Index({ properties: ['status', 'nextAttemptAt'] })
export class Delivery {
  @Field({ description: 'The delivery id (a UUID), the same on every attempt.' })
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => Channel, { deleteRule: 'cascade' })
  channel!: Rel<Channel>;

  @Field({ description: 'The outbox sequence of the event.' })
  @Property({ type: 'bigint' })
  eventSeq!: string;

  @Field(() => ChannelEvent)
  @Enum({ items: () => ChannelEvent, nativeEnumName: 'channel_event' })
  event!: ChannelEvent;

  @Field()
  @Property({ type: 'text' })
  title!: string;

  @Field({ description: 'The message, as markdown.' })
  @Property({ type: 'text' })
  text!: string;

  /** What a webhook receives as `payload`. */
  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Field(() => DeliveryStatus)
  @Enum({ items: () => DeliveryStatus, nativeEnumName: 'delivery_status', default: DeliveryStatus.PENDING })
  status: DeliveryStatus = DeliveryStatus.PENDING;

  @Field(() => Int)
  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Field(() => DateTimeScalar, { description: 'When the next attempt is due (while PENDING).' })
  @Property({ type: 'timestamptz' })
  nextAttemptAt!: Date;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed (the HTTP status and the start of the answer, or a timeout).' })
  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  sentAt?: Date | null;
}

/** One row: the last outbox sequence turned into deliveries. */
@Entity({ tableName: 'delivery_cursor' })
export class DeliveryCursor {
  @PrimaryKey({ type: 'boolean' })
  id: boolean = true;

  @Property({ type: 'bigint' })
  seq!: string;
}
