import { Entity, Enum, JsonType, Unique, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateScalar, DateTimeScalar } from '../../common/scalars';
import { Target } from '../target/target.entity';
import { User } from '../user/user.entity';

export enum Interpolation {
  STEP = 'STEP',
  LINEAR = 'LINEAR',
}
registerEnumType(Interpolation, {
  name: 'Interpolation',
  valuesConfig: {
    STEP: { description: 'Each milestone\'s value holds from its day until the next one.' },
    LINEAR: { description: 'A straight line from one milestone to the next (from the start, and on to the target at the deadline).' },
  },
});

@ObjectType({ description: 'A dated milestone of a trajectory: the figure planned by that day.' })
export class Milestone {
  @Field(() => DateScalar)
  on!: string;

  @Field(() => Float)
  value!: number;
}

/**
 * A target's planned trajectory (the Delivery Unit's method; 序时进度 by plan): dated milestone
 * values, step or linear between them. Versions are kept, never changed: the plan as it stood on
 * a past day is the latest version set by its end.
 */
@ObjectType({ description: 'The planned trajectory of a target: what is expected by each day. One row per version.' })
@Entity()
@Unique({ properties: ['target', 'version'] })
export class Trajectory {
  @Field(() => ID)
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => Target)
  target!: Rel<Target>;

  @Field(() => Int, { description: 'Starts at 1; each change is a new version.' })
  @Property({ type: 'integer' })
  version!: number;

  @Field(() => Interpolation)
  @Enum({ items: () => Interpolation, nativeEnumName: 'interpolation' })
  interpolation!: Interpolation;

  @Field(() => DateScalar, { nullable: true, description: 'Where the plan starts from the starting value (the baseline, or 0); null: the programme\'s start.' })
  @Property({ type: 'date', nullable: true })
  startsOn?: string;

  @Field(() => [Milestone], { description: 'Oldest first.' })
  @Property({ type: JsonType })
  milestones!: Milestone[];

  @Field({ description: 'True where the demo derived it from the report\'s sentences (10月底前完成100% …).' })
  @Property({ type: 'boolean', default: false })
  derived: boolean = false;

  @Field({ nullable: true })
  @Property({ type: 'text', nullable: true })
  note?: string;

  @ManyToOne(() => User, { nullable: true })
  setBy?: Rel<User>;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  setAt!: Date;
}
