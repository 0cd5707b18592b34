import { Entity, Enum, ManyToOne, PrimaryKey, Property, type Opt, type Rel } from '@mikro-orm/core';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Programme } from '../programme/programme.entity';
import { RegionLevel } from '../region/region.entity';
import { Node } from '../../common/node';

export enum IndicatorKind {
  COUNT = 'COUNT',
  AMOUNT = 'AMOUNT',
  PERCENT = 'PERCENT',
  GROWTH = 'GROWTH',
  MILESTONE = 'MILESTONE',
}
registerEnumType(IndicatorKind, {
  name: 'IndicatorKind',
  valuesConfig: {
    COUNT: { description: 'A count of things (个, 家, 张 …).' },
    AMOUNT: { description: 'Money (万元, 亿元).' },
    PERCENT: { description: 'A ratio in %, from a numerator and a denominator where known.' },
    GROWTH: { description: 'Year-on-year growth in %.' },
    MILESTONE: { description: 'Done (1) or not (0) by a deadline.' },
  },
});

export enum Direction {
  UP = 'UP',
  DOWN = 'DOWN',
}
registerEnumType(Direction, { name: 'Direction', description: 'Whether more (UP) or less (DOWN) is better.' });

export enum Aggregation {
  SUM = 'SUM',
  RATIO = 'RATIO',
  AVERAGE = 'AVERAGE',
  MIN = 'MIN',
  MAX = 'MAX',
}
registerEnumType(Aggregation, {
  name: 'Aggregation',
  description: 'How figures roll up the tree. RATIO sums numerators and denominators, then divides.',
});

export enum TargetScope {
  CITY = 'CITY',
  EACH_COUNTY = 'EACH_COUNTY',
}
registerEnumType(TargetScope, {
  name: 'TargetScope',
  description: 'CITY: one target for the whole city. EACH_COUNTY: every county must meet it on its own.',
});

export enum ReportingCycle {
  MONTHLY = 'MONTHLY',
  QUARTERLY = 'QUARTERLY',
  HALF_YEARLY = 'HALF_YEARLY',
  YEARLY = 'YEARLY',
}
registerEnumType(ReportingCycle, {
  name: 'ReportingCycle',
  description: 'How often a figure is due: a region that has not reported since the start of the current cycle is late.',
});

/** What is measured, how it rolls up, and at which level of the tree it is reported. */
@ObjectType({ implements: Node })
@Entity()
export class Indicator {
  /** The primary key; clients see the global id (Node.id). */
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Field({ description: 'P3-01 …' })
  @Property({ type: 'string', length: 20, unique: true })
  code!: string;

  @ManyToOne(() => Programme, { index: true })
  programme!: Rel<Programme>;

  @Field()
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => String, { nullable: true, description: 'A short name (at most 12 characters) for where the name would be cut: a wall\'s row, a chart\'s label; null: the name.' })
  @Property({ type: 'string', length: 12, nullable: true })
  shortName?: string | null;

  @Field(() => IndicatorKind)
  @Enum({ items: () => IndicatorKind, nativeEnumName: 'indicator_kind' })
  kind!: IndicatorKind;

  @Field({ nullable: true, description: 'As written: 个 家 张 户 人 座 名 条 万元 亿元 % 天.' })
  @Property({ type: 'string', length: 20, nullable: true })
  unit?: string;

  @Field(() => Direction)
  @Enum({ items: () => Direction, nativeEnumName: 'direction' })
  direction!: Direction;

  @Field(() => Aggregation)
  @Enum({ items: () => Aggregation, nativeEnumName: 'aggregation' })
  aggregation!: Aggregation;

  @Field(() => TargetScope)
  @Enum({ items: () => TargetScope, nativeEnumName: 'target_scope' })
  scope!: TargetScope;

  @Field(() => RegionLevel, { description: 'Figures are entered for regions of this level only.' })
  @Enum({ items: () => RegionLevel, nativeEnumName: 'region_level' })
  reportingLevel!: RegionLevel;

  @Field(() => Float, { nullable: true, description: 'The figure before the programme began.' })
  @Property({ type: 'double', nullable: true })
  baseline?: number;

  @Field(() => Int, { description: 'Decimal places a figure may have.' })
  @Property({ type: 'smallint' })
  decimals!: number;

  @Field({ nullable: true, description: 'The sentence of the report it comes from.' })
  @Property({ type: 'text', nullable: true })
  source?: string;

  @Property({ type: 'smallint' })
  position!: number;

  @Field(() => ReportingCycle)
  @Enum({ items: () => ReportingCycle, nativeEnumName: 'reporting_cycle', default: ReportingCycle.MONTHLY })
  reportingCycle: ReportingCycle & Opt = ReportingCycle.MONTHLY;

  @Field(() => Int, { description: 'Counts changes; pass it as expectedVersion to change the indicator. A stale one is a CONFLICT.' })
  @Property({ type: 'integer', version: true })
  version!: number & Opt;
}
