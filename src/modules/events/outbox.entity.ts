import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The outbox: every event a board or a user may need, appended by the transaction that caused it,
 * with a sequence that increases strictly in commit order (see `appendEvents`). Instances read it
 * in order and fan it out; a reconnecting client resumes from it.
 */
@Entity({ tableName: 'outbox_event' })
@Index({ name: 'outbox_event_programme_seq_idx', properties: ['programmeId', 'seq'] })
export class OutboxEvent {
  @PrimaryKey({ type: 'bigint', autoincrement: false })
  seq!: string;

  /** ProgressChanged, TargetChanged, SubmissionReviewed, CommentAdded, PresenceChanged, Notification. */
  @Property({ type: 'string', length: 40 })
  type!: string;

  @Property({ type: 'integer', nullable: true })
  programmeId?: number;

  /** The region the event is about, and its parent: a board shows its region and its children. */
  @Property({ type: 'string', length: 12, nullable: true })
  regionCode?: string;

  @Property({ type: 'string', length: 12, nullable: true })
  parentCode?: string;

  /** For a notification: the user it is for. */
  @Property({ type: 'integer', nullable: true, index: true })
  userId?: number;

  /** What the event says, built once by the writer. */
  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * One row: the last sequence given out, and up to which sequence the outbox has been pruned.
 * Updating it takes a row lock held until commit, so sequences commit in order.
 */
@Entity({ tableName: 'outbox_sequence' })
export class OutboxSequence {
  @PrimaryKey({ type: 'boolean' })
  id: boolean = true;

  @Property({ type: 'bigint' })
  lastSeq!: string;

  @Property({ type: 'bigint' })
  prunedThrough!: string;

  /** The sequence of the last fact appended (what the projector folds): the projection is current when it has folded this far. */
  @Property({ type: 'bigint', default: 0 })
  lastFactSeq!: string;
}
