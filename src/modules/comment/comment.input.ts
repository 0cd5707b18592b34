import { MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { CommentKind } from './comment.entity';

@InputType({ description: 'A comment (批示) on an indicator in a region, or on one of its submissions.' })
export class AddCommentInput {
  @Field({ description: 'Indicator code.' })
  indicator!: string;

  @Field({ description: 'GB/T 2260 region code.' })
  region!: string;

  @Field(() => ID, { nullable: true, description: 'A submission of that indicator in that region.' })
  submission?: string;

  @Field(() => CommentKind, { nullable: true, description: 'INSTRUCTION (批示): LEADER and ADMIN only. Default: a LEADER\'s comment is an instruction, anyone else\'s a comment.' })
  kind?: CommentKind;

  @Field()
  @MinLength(1, { message: 'text is empty' })
  @MaxLength(2000, { message: 'text is longer than 2000 characters' })
  text!: string;
}
