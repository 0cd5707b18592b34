import { IsOptional, Length, Matches, Max, Min } from 'class-validator';
import { Field, Float, InputType, Int } from 'type-graphql';
import { RegionLevel } from '../region/region.entity';
import { Aggregation, Direction, IndicatorKind, ReportingCycle, TargetScope } from './indicator.entity';

@InputType({ description: 'A new indicator of a programme: its department (or ADMIN) only.' })
export class CreateIndicatorInput {
  @Field({ description: 'Programme code (P3).' })
  programme!: string;

  @Field({ description: 'Unique: P3-89 …; letters, digits and hyphens.' })
  @Matches(/^[A-Za-z0-9-]{1,20}$/, { message: 'code must be 1 to 20 letters, digits or hyphens' })
  code!: string;

  @Field()
  @Length(1, 200, { message: 'name must be 1 to 200 characters' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'At most 12 characters: what a wall shows where the name would be cut.' })
  @IsOptional()
  @Length(0, 12, { message: 'shortName must be at most 12 characters' })
  shortName?: string | null;

  @Field(() => IndicatorKind)
  kind!: IndicatorKind;

  @Field({ nullable: true })
  @IsOptional()
  @Length(1, 20, { message: 'unit must be 1 to 20 characters' })
  unit?: string;

  @Field(() => Direction, { defaultValue: Direction.UP })
  direction: Direction = Direction.UP;

  @Field(() => Aggregation, { defaultValue: Aggregation.SUM })
  aggregation: Aggregation = Aggregation.SUM;

  @Field(() => TargetScope, { defaultValue: TargetScope.CITY })
  scope: TargetScope = TargetScope.CITY;

  @Field(() => RegionLevel, { defaultValue: RegionLevel.COUNTY })
  reportingLevel: RegionLevel = RegionLevel.COUNTY;

  @Field(() => ReportingCycle, { defaultValue: ReportingCycle.MONTHLY })
  reportingCycle: ReportingCycle = ReportingCycle.MONTHLY;

  @Field(() => Float, { nullable: true })
  baseline?: number;

  @Field(() => Int, { defaultValue: 0 })
  @Min(0)
  @Max(4)
  decimals: number = 0;

  @Field({ nullable: true })
  @IsOptional()
  @Length(0, 2000)
  source?: string;
}

@InputType({ description: 'Changes an indicator; only the fields given change. Its kind, roll-up and reporting level stay, as its figures depend on them.' })
export class UpdateIndicatorInput {
  @Field({ description: 'The indicator\'s code.' })
  code!: string;

  @Field(() => Int, { description: 'The version you read; a stale one is a CONFLICT.' })
  expectedVersion!: number;

  @Field({ nullable: true })
  @IsOptional()
  @Length(1, 200, { message: 'name must be 1 to 200 characters' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'At most 12 characters; null or empty removes it.' })
  @IsOptional()
  @Length(0, 12, { message: 'shortName must be at most 12 characters' })
  shortName?: string | null;

  @Field({ nullable: true })
  @IsOptional()
  @Length(0, 20, { message: 'unit must be at most 20 characters' })
  unit?: string;

  @Field(() => Direction, { nullable: true })
  direction?: Direction;

  @Field(() => ReportingCycle, { nullable: true })
  reportingCycle?: ReportingCycle;

  @Field(() => Float, { nullable: true })
  baseline?: number;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @Min(0)
  @Max(4)
  decimals?: number;

  @Field({ nullable: true })
  @IsOptional()
  @Length(0, 2000)
  source?: string;
}
