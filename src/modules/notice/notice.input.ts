import { IsOptional, MaxLength } from 'class-validator';
import { Field, Float, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { DateScalar } from '../../common/scalars';

export enum ExtensionDecision {
  GRANTED = 'GRANTED',
  REFUSED = 'REFUSED',
}
registerEnumType(ExtensionDecision, { name: 'ExtensionDecision' });

export enum CompletionDecision {
  ACCEPTED = 'ACCEPTED',
  RETURNED = 'RETURNED',
}
registerEnumType(CompletionDecision, { name: 'CompletionDecision' });

@InputType({ description: 'A step on a notice: acknowledge it (签收) or report it completed (办结).' })
export class NoticeStepInput {
  @Field(() => ID)
  notice!: string;

  @Field({ nullable: true })
  @IsOptional()
  @MaxLength(500, { message: 'note is longer than 500 characters' })
  note?: string;
}

@InputType({ description: 'Ask for a later deadline (申请延期).' })
export class RequestExtensionInput {
  @Field(() => ID)
  notice!: string;

  @Field(() => DateScalar, { description: 'The deadline asked for: after the one the notice judges by, within the programme\'s year.' })
  until!: string;

  @Field({ description: 'Why; required.' })
  @MaxLength(500, { message: 'reason is longer than 500 characters' })
  reason!: string;
}

@InputType({ description: 'The leading department\'s answer to an extension request.' })
export class DecideExtensionInput {
  @Field(() => ID)
  notice!: string;

  @Field(() => ExtensionDecision)
  decision!: ExtensionDecision;

  @Field({ nullable: true, description: 'Required when REFUSED.' })
  @IsOptional()
  @MaxLength(500, { message: 'note is longer than 500 characters' })
  note?: string;
}

@InputType({ description: 'The leading department\'s acceptance (验收) of a completed notice, or its return.' })
export class ReviewCompletionInput {
  @Field(() => ID)
  notice!: string;

  @Field(() => CompletionDecision)
  decision!: CompletionDecision;

  @Field({ nullable: true, description: 'Required when RETURNED.' })
  @IsOptional()
  @MaxLength(500, { message: 'note is longer than 500 characters' })
  note?: string;
}

@InputType({ description: 'A programme\'s notice rules; each field left out keeps its value (or the default).' })
export class SetNoticeRulesInput {
  @Field({ description: 'Programme code.' })
  programme!: string;

  @Field(() => Int, { nullable: true })
  blueWithinDays?: number;

  @Field(() => Float, { nullable: true })
  yellowBehindShare?: number;

  @Field(() => Float, { nullable: true })
  redBehindShare?: number;

  @Field(() => Int, { nullable: true })
  escalateAfterWorkingDays?: number;

  @Field(() => Int, { nullable: true, description: 'The version you read (0 for the defaults); a stale one is a CONFLICT.' })
  expectedVersion?: number;
}
