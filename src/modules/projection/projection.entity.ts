import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { RegionLevel } from '../region/region.entity';

/**
 * The maintained roll-up of one indicator in one region for today: the aggregates of the latest
 * figure that counts of every reporting region below (a reporting region's own row is its latest
 * figure). A row exists only where something below has reported. Written by the projector alone.
 */
@Entity({ tableName: 'progress_rollup' })
export class ProgressRollup {
  @PrimaryKey({ type: 'integer' })
  indicatorId!: number;

  @PrimaryKey({ type: 'string', length: 12 })
  regionCode!: string;

  /** Reporting regions below with a figure that counts. */
  @Property({ type: 'integer' })
  reported!: number;

  @Property({ type: 'decimal', columnType: 'numeric', nullable: true })
  total?: string;

  @Property({ type: 'decimal', columnType: 'numeric', nullable: true })
  minimum?: string;

  @Property({ type: 'decimal', columnType: 'numeric', nullable: true })
  maximum?: string;

  @Property({ type: 'decimal', columnType: 'numeric', nullable: true })
  numerator?: string;

  @Property({ type: 'decimal', columnType: 'numeric', nullable: true })
  denominator?: string;

  /** Of those, how many carry both a numerator and a denominator. */
  @Property({ type: 'integer' })
  withRatio!: number;

  @Property({ type: 'timestamptz', nullable: true })
  lastReportedAt?: Date;

  @Property({ type: 'date', nullable: true })
  lastAsOf?: string;
}

/** How many regions of each level a region's subtree holds (the region itself included): the boards' expected counts. */
@Entity({ tableName: 'region_count' })
export class RegionCount {
  @PrimaryKey({ type: 'string', length: 12 })
  regionCode!: string;

  @Enum({ items: () => RegionLevel, nativeEnumName: 'region_level', primary: true })
  level!: RegionLevel;

  @Property({ type: 'integer' })
  regions!: number;
}

/**
 * One row: the last outbox sequence the projection folded, written in the same transaction as the
 * roll-ups, so a crash neither folds a fact twice nor skips one; `rebuild` until the first build.
 */
@Entity({ tableName: 'projection_state' })
export class ProjectionState {
  @PrimaryKey({ type: 'boolean' })
  id: boolean = true;

  @Property({ type: 'bigint' })
  lastFolded!: string;

  @Property({ type: 'boolean' })
  rebuild!: boolean;
}
