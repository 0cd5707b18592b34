import { ArrayMaxSize, MaxLength } from 'class-validator';
import { Field, Float, InputType, Int } from 'type-graphql';
import { DateScalar } from '../../common/scalars';
import { Interpolation } from './trajectory.entity';

@InputType()
export class MilestoneInput {
  @Field(() => DateScalar)
  on!: string;

  @Field(() => Float)
  value!: number;
}

@InputType({ description: 'A planned trajectory for the target of an indicator in a region with that deadline.' })
export class SetTrajectoryInput {
  @Field({ description: 'Indicator code.' })
  indicator!: string;

  @Field({ description: 'GB/T 2260 region code.' })
  region!: string;

  @Field(() => DateScalar, { nullable: true, description: 'The target\'s deadline (null: the target without one).' })
  deadline?: string;

  @Field(() => Interpolation)
  interpolation!: Interpolation;

  @Field(() => [MilestoneInput], { description: 'Ascending days, from the start to the deadline; the target on its deadline follows the last.' })
  @ArrayMaxSize(500, { message: 'too many milestones' })
  milestones!: MilestoneInput[];

  @Field(() => DateScalar, { nullable: true, description: 'Where the plan starts from the starting value; default the programme\'s start.' })
  startsOn?: string;

  @Field(() => Int, { nullable: true, description: 'The version you read (0: none yet); a stale one is a CONFLICT.' })
  expectedVersion?: number;

  @Field({ nullable: true })
  @MaxLength(2000, { message: 'note is longer than 2000 characters' })
  note?: string;
}
