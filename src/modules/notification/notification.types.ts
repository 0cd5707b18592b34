import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../../common/scalars';
import { Comment } from '../comment/comment.entity';
import { Submission } from '../submission/submission.entity';
import { Urge } from '../urge/urge.entity';
import { Notice } from '../notice/notice.entity';

export enum NotificationKind {
  SUBMISSION_REVIEWED = 'SUBMISSION_REVIEWED',
  COMMENT_ADDED = 'COMMENT_ADDED',
  URGED = 'URGED',
  NOTICE = 'NOTICE',
}
registerEnumType(NotificationKind, { name: 'NotificationKind' });

@ObjectType({ description: 'Something for the signed-in user: a figure of theirs reviewed, a comment on it, an urge to report.' })
export class Notification {
  @Field({ description: 'Strictly increasing; pass the last one seen as `after`.' })
  cursor!: string;

  @Field(() => DateTimeScalar)
  at!: Date;

  @Field(() => NotificationKind)
  kind!: NotificationKind;

  @Field()
  message!: string;

  @Field(() => Submission, { nullable: true })
  submission?: Submission | null;

  @Field(() => Comment, { nullable: true })
  comment?: Comment | null;

  @Field(() => Urge, { nullable: true, description: 'For URGED: the urge (催办) to report.' })
  urge?: Urge | null;

  @Field(() => Notice, { nullable: true, description: 'For NOTICE: the supervision notice (督办单) that changed.' })
  notice?: Notice | null;
}
