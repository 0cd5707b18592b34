import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../../common/scalars';
import { Indicator } from '../indicator/indicator.entity';
import { Region } from '../region/region.entity';
import { Submission } from '../submission/submission.entity';
import { User } from '../user/user.entity';
import { Node } from '../../common/node';

export enum CommentKind {
  COMMENT = 'COMMENT',
  INSTRUCTION = 'INSTRUCTION',
}
registerEnumType(CommentKind, {
  name: 'CommentKind',
  valuesConfig: {
    COMMENT: { description: 'A remark in the thread.' },
    INSTRUCTION: { description: 'A leader\'s instruction (批示): LEADER and ADMIN only, shown as such.' },
  },
});

/** A comment (批示) on an indicator in a region, or on one submission of it. */
@ObjectType({ implements: Node })
@Entity()
@Index({ properties: ['indicator', 'region', 'createdAt'] })
export class Comment {
  /** The primary key; clients see the global id (Node.id). */
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Field(() => Indicator)
  @ManyToOne(() => Indicator)
  indicator!: Rel<Indicator>;

  @Field(() => Region)
  @ManyToOne(() => Region, { fieldName: 'region_code' })
  region!: Rel<Region>;

  @Field(() => Submission, { nullable: true })
  @ManyToOne(() => Submission, { nullable: true })
  submission?: Rel<Submission>;

  @Field(() => CommentKind)
  @Enum({ items: () => CommentKind, nativeEnumName: 'comment_kind', default: CommentKind.COMMENT })
  kind: CommentKind = CommentKind.COMMENT;

  @Field()
  @Property({ type: 'text' })
  text!: string;

  @Field(() => User)
  @ManyToOne(() => User)
  author!: Rel<User>;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
