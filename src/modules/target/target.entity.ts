import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Opt, type Rel } from '@mikro-orm/core';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { numeric } from '../../common/numeric';
import { DateScalar, DateTimeScalar } from '../../common/scalars';
import { Indicator } from '../indicator/indicator.entity';
import { Region } from '../region/region.entity';
import { User } from '../user/user.entity';
import { Node } from '../../common/node';

export enum Comparator {
  GTE = 'GTE',
  LTE = 'LTE',
  EQ = 'EQ',
  RANGE = 'RANGE',
}
registerEnumType(Comparator, {
  name: 'Comparator',
  valuesConfig: {
    GTE: { description: 'At least value.' },
    LTE: { description: 'At most value.' },
    EQ: { description: 'Exactly value.' },
    RANGE: { description: 'From min to max, inclusive.' },
  },
});

/**
 * What an indicator must reach in a region by a deadline. One row per indicator × region ×
 * deadline (a half-year target and a year-end target can stand side by side); `version` counts
 * the changes and guards concurrent edits.
 */
@ObjectType({ implements: Node })
@Entity()
@Index({ name: 'target_indicator_region_deadline_key', expression:
  'create unique index "target_indicator_region_deadline_key" on "target" ("indicator_id", "region_code", "deadline") nulls not distinct' })
export class Target {
  /** The primary key; clients see the global id (Node.id). */
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Field(() => Indicator)
  @ManyToOne(() => Indicator)
  indicator!: Rel<Indicator>;

  @Field(() => Region)
  @ManyToOne(() => Region, { fieldName: 'region_code', index: true })
  region!: Rel<Region>;

  @Field(() => Float, { nullable: true, description: 'The target for GTE, LTE and EQ.' })
  @Property({ ...numeric(), nullable: true })
  value?: number;

  @Field(() => Float, { nullable: true, description: 'The lower end of a RANGE.' })
  @Property({ ...numeric(), nullable: true })
  min?: number;

  @Field(() => Float, { nullable: true, description: 'The upper end of a RANGE.' })
  @Property({ ...numeric(), nullable: true })
  max?: number;

  @Field(() => Comparator)
  @Enum({ items: () => Comparator, nativeEnumName: 'comparator' })
  comparator!: Comparator;

  @Field(() => DateScalar, { nullable: true, description: 'Null: no deadline given (the end of the programme).' })
  @Property({ type: 'date', nullable: true })
  deadline?: string;

  @Field({ description: 'True where the demo allocated a city figure over the regions below.' })
  @Property({ type: 'boolean', default: false })
  synthetic: boolean = false;

  @Field({ nullable: true })
  @Property({ type: 'text', nullable: true })
  note?: string;

  @Field(() => Int, { description: 'Starts at 1; each change adds one. Pass it back to change the target.' })
  @Property({ type: 'integer', version: true })
  version!: number & Opt;

  @ManyToOne(() => User, { nullable: true })
  updatedBy?: Rel<User>;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}
