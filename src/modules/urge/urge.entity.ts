import { Entity, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { DateScalar, DateTimeScalar } from '../../common/scalars';
import { Indicator } from '../indicator/indicator.entity';
import { Region } from '../region/region.entity';
import { Submission } from '../submission/submission.entity';
import { User } from '../user/user.entity';
import { Node } from '../../common/node';

/**
 * An urge (催办): a region is asked to report an indicator by a date. Its reporters are notified
 * at once; it stays open, and on the board, until a figure comes from the region or below.
 */
@ObjectType({ implements: Node, description: 'An urge (催办): report this indicator for this region by dueOn. Open until a figure comes from the region or below.' })
@Entity()
@Index({ properties: ['indicator', 'region', 'resolvedAt'] })
export class Urge {
  /** The primary key; clients see the global id (Node.id). */
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Field(() => Indicator)
  @ManyToOne(() => Indicator)
  indicator!: Rel<Indicator>;

  @Field(() => Region)
  @ManyToOne(() => Region, { fieldName: 'region_code' })
  region!: Rel<Region>;

  @Field(() => DateScalar)
  @Property({ type: 'date' })
  dueOn!: string;

  @Field({ nullable: true })
  @Property({ type: 'text', nullable: true })
  message?: string;

  @Field(() => User)
  @ManyToOne(() => User)
  createdBy!: Rel<User>;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When a figure came in; null while open.' })
  @Property({ type: 'timestamptz', nullable: true })
  resolvedAt?: Date;

  @Field(() => Submission, { nullable: true, description: 'The figure that answered it.' })
  @ManyToOne(() => Submission, { nullable: true })
  resolvedBy?: Rel<Submission>;
}
