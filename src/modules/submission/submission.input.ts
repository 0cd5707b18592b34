import { MaxLength, MinLength } from 'class-validator';
import { Field, Float, InputType } from 'type-graphql';
import { DateScalar } from '../../common/scalars';
import { SubmissionStatus } from './submission.entity';

export const NOTE_MAX = 2000;

@InputType({ description: 'A figure, cumulative to asOf, for a region at the indicator\'s reporting level.' })
export class SubmitFigureInput {
  @Field({ description: 'Indicator code, P3-01.' })
  indicator!: string;

  @Field({ description: 'GB/T 2260 region code.' })
  region!: string;

  @Field(() => Float)
  value!: number;

  @Field(() => DateScalar, { description: 'Within the programme\'s year, and not after today.' })
  asOf!: string;

  @Field(() => Float, { nullable: true, description: 'For PERCENT: what value is the share of …' })
  numerator?: number;

  @Field(() => Float, { nullable: true, description: '… out of this.' })
  denominator?: number;

  @Field({ nullable: true })
  @MaxLength(NOTE_MAX, { message: `note is longer than ${NOTE_MAX} characters` })
  note?: string;

  @Field({ nullable: true, description: 'The same key sent twice by the same user creates one submission.' })
  @MinLength(1)
  @MaxLength(200, { message: 'idempotencyKey is longer than 200 characters' })
  idempotencyKey?: string;
}

@InputType()
export class SubmissionFilter {
  @Field({ nullable: true, description: 'Indicator code.' })
  indicator?: string;

  @Field({ nullable: true, description: 'Programme code.' })
  programme?: string;

  @Field({ nullable: true, description: 'A region code: that region and every region below it.' })
  region?: string;

  @Field(() => SubmissionStatus, { nullable: true })
  status?: SubmissionStatus;

  @Field(() => DateScalar, { nullable: true, description: 'asOf on or after this day.' })
  from?: string;

  @Field(() => DateScalar, { nullable: true, description: 'asOf on or before this day.' })
  to?: string;
}
