import { Field, InterfaceType, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../../common/scalars';
import { Indicator } from '../indicator/indicator.entity';
import { Progress } from '../progress/progress.types';
import { Region } from '../region/region.entity';
import { Target } from '../target/target.entity';
import { Submission } from '../submission/submission.entity';
import { Comment } from '../comment/comment.entity';
import { Programme } from '../programme/programme.entity';
import { Urge } from '../urge/urge.entity';

@InterfaceType({ description: 'Something that happened on a board.', resolveType: (value: BoardEvent) => value.constructor.name })
export abstract class BoardEvent {
  @Field({ description: 'Strictly increasing; pass the last one seen as `after`.' })
  cursor!: string;

  @Field(() => DateTimeScalar)
  at!: Date;

  /** The programme the event belongs to, for routing; not exposed. */
  programmeId!: number;
}

@ObjectType({ implements: BoardEvent, description: 'The progress of an indicator in a region moved.' })
export class ProgressChanged extends BoardEvent {
  @Field(() => Indicator)
  indicator!: Indicator;

  @Field(() => Region)
  region!: Region;

  @Field(() => Progress)
  progress!: Progress;
}

@ObjectType({ implements: BoardEvent, description: 'A target of the board\'s programme, in the region or a child, was set or changed.' })
export class TargetChanged extends BoardEvent {
  @Field(() => Target)
  target!: Target;
}

@ObjectType({ implements: BoardEvent, description: 'A submission in the region or a child was approved or returned.' })
export class SubmissionReviewed extends BoardEvent {
  @Field(() => Submission)
  submission!: Submission;
}

@ObjectType({ implements: BoardEvent, description: 'A comment (批示) on an indicator in the region or a child.' })
export class CommentAdded extends BoardEvent {
  @Field(() => Comment)
  comment!: Comment;
}

@ObjectType({ implements: BoardEvent, description: 'An urge (催办) in the region or a child was made, or answered by a figure (resolvedAt set).' })
export class UrgeChanged extends BoardEvent {
  @Field(() => Urge)
  urge!: Urge;
}

@ObjectType({ implements: BoardEvent, description: 'The programme changed (an indicator added or changed, which review statuses count): read the board again.' })
export class ProgrammeChanged extends BoardEvent {
  @Field(() => Programme)
  programme!: Programme;
}
