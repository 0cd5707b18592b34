import { IsOptional, MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { DateScalar } from '../../common/scalars';

@InputType({ description: 'Urge (催办) a region to report an indicator by a date.' })
export class UrgeInput {
  @Field({ description: 'Indicator code.' })
  indicator!: string;

  @Field({ description: 'GB/T 2260 region code: the region whose reporters are urged.' })
  region!: string;

  @Field(() => DateScalar, { description: 'Report by the end of this day; today or later.' })
  dueOn!: string;

  @Field({ nullable: true })
  @IsOptional()
  @MaxLength(500, { message: 'message is longer than 500 characters' })
  message?: string;
}
