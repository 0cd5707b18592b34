import { MaxLength } from 'class-validator';
import { Field, Float, InputType, Int } from 'type-graphql';
import { DateScalar } from '../../common/scalars';
import { Comparator } from './target.entity';

@InputType({ description: 'A target for an indicator in a region by a deadline. Creates it, or changes the one with that deadline.' })
export class SetTargetInput {
  @Field({ description: 'Indicator code.' })
  indicator!: string;

  @Field({ description: 'GB/T 2260 region code.' })
  region!: string;

  @Field(() => Comparator)
  comparator!: Comparator;

  @Field(() => Float, { nullable: true, description: 'For GTE, LTE and EQ.' })
  value?: number;

  @Field(() => Float, { nullable: true, description: 'For RANGE.' })
  min?: number;

  @Field(() => Float, { nullable: true, description: 'For RANGE.' })
  max?: number;

  @Field(() => DateScalar, { nullable: true, description: 'Within the programme\'s year; null for none.' })
  deadline?: string;

  @Field(() => Int, { nullable: true, description: 'To change a target: the version you read. A stale version is a CONFLICT.' })
  expectedVersion?: number;

  @Field({ nullable: true })
  @MaxLength(2000, { message: 'note is longer than 2000 characters' })
  note?: string;
}

@InputType()
export class TargetFilter {
  @Field({ nullable: true, description: 'Indicator code.' })
  indicator?: string;

  @Field({ nullable: true, description: 'Programme code.' })
  programme?: string;

  @Field({ nullable: true, description: 'A region code: that region and every region below it.' })
  region?: string;

  @Field({ nullable: true, description: 'Only the demo\'s synthetic allocations (true) or only real targets (false).' })
  synthetic?: boolean;
}
