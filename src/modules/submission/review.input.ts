import { MaxLength } from 'class-validator';
import { Field, ID, InputType, registerEnumType } from 'type-graphql';

export enum ReviewDecision {
  APPROVED = 'APPROVED',
  RETURNED = 'RETURNED',
}
registerEnumType(ReviewDecision, { name: 'ReviewDecision', description: 'APPROVED keeps the figure; RETURNED takes it out of the roll-up (a reason is required).' });

@InputType()
export class ReviewSubmissionInput {
  @Field(() => ID)
  submission!: string;

  @Field(() => ReviewDecision)
  decision!: ReviewDecision;

  @Field({ nullable: true, description: 'Why it is returned; a note on an approval.' })
  @MaxLength(2000, { message: 'note is longer than 2000 characters' })
  note?: string;
}
