import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Who watches which board now: a row per live boardEvents subscription, kept fresh by its
 * instance. Rows of an instance that died stop being fresh and drop out of the list.
 */
@Entity({ tableName: 'board_watcher' })
// A board's rows, and a person's on it (whether their first screen came or their last went): one index.
@Index({ properties: ['programmeId', 'regionCode', 'userId'] })
export class BoardWatcher {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid', index: true })
  instance!: string;

  @Property({ type: 'integer' })
  programmeId!: number;

  @Property({ type: 'string', length: 12 })
  regionCode!: string;

  @Property({ type: 'integer' })
  userId!: number;

  @Property({ type: 'string', length: 64 })
  username!: string;

  @Property({ type: 'string', length: 100, nullable: true })
  department?: string;

  @Property({ type: 'timestamptz' })
  since!: Date;

  @Property({ type: 'timestamptz' })
  seenAt!: Date;
}
