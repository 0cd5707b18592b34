import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { Field, Float, ObjectType, registerEnumType } from 'type-graphql';
import { numeric } from '../../common/numeric';
import { DateScalar, DateTimeScalar } from '../../common/scalars';
import { Indicator } from '../indicator/indicator.entity';
import { Region } from '../region/region.entity';
import { User } from '../user/user.entity';
import { Node } from '../../common/node';

export enum SubmissionStatus {
  SUBMITTED = 'SUBMITTED',
  APPROVED = 'APPROVED',
  RETURNED = 'RETURNED',
}
registerEnumType(SubmissionStatus, {
  name: 'SubmissionStatus',
  description: 'Review status. A RETURNED figure does not count; SUBMITTED and APPROVED do.',
});

/**
 * A reported figure, cumulative to `asOf`. Append-only: a correction is a new row, so every past
 * day can be rebuilt. The latest one that counts is the region's current value.
 */
@ObjectType({ implements: Node })
@Entity()
@Index({ name: 'submission_latest_idx', properties: ['indicator', 'region', 'asOf', 'id'] })
@Unique({ name: 'submission_idempotency_key', properties: ['submittedBy', 'idempotencyKey'] })
export class Submission {
  /** The primary key; clients see the global id (Node.id). */
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Field(() => Indicator)
  @ManyToOne(() => Indicator)
  indicator!: Rel<Indicator>;

  @Field(() => Region)
  @ManyToOne(() => Region, { fieldName: 'region_code', index: true })
  region!: Rel<Region>;

  @Field(() => Float)
  @Property(numeric())
  value!: number;

  @Field(() => Float, { nullable: true })
  @Property({ ...numeric(), nullable: true })
  numerator?: number;

  @Field(() => Float, { nullable: true })
  @Property({ ...numeric(), nullable: true })
  denominator?: number;

  @Field(() => DateScalar, { description: 'The figure is cumulative to the end of this day.' })
  @Property({ type: 'date' })
  asOf!: string;

  @Field({ nullable: true })
  @Property({ type: 'text', nullable: true })
  note?: string;

  @Field(() => SubmissionStatus)
  @Enum({ items: () => SubmissionStatus, nativeEnumName: 'submission_status' })
  status!: SubmissionStatus;

  @Field(() => User)
  @ManyToOne(() => User)
  submittedBy!: Rel<User>;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  submittedAt!: Date;

  @Property({ type: 'string', length: 200, nullable: true })
  idempotencyKey?: string;

  @ManyToOne(() => User, { nullable: true })
  reviewedBy?: Rel<User>;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  reviewedAt?: Date;

  @Field({ nullable: true, description: 'Why it was returned, or a note on its approval.' })
  @Property({ type: 'text', nullable: true })
  reviewNote?: string;

  @Field({ description: 'True where the demo allocated a city figure over the regions below.' })
  @Property({ type: 'boolean', default: false })
  synthetic: boolean = false;
}
