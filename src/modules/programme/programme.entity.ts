import { ArrayType, Collection, Entity, ManyToOne, OneToMany, PrimaryKey, Property, type Opt, type Rel } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { DateScalar } from '../../common/scalars';
import { Department } from '../department/department.entity';
import { Indicator } from '../indicator/indicator.entity';
import { SubmissionStatus } from '../submission/submission.entity';
import { Node } from '../../common/node';

/** One of the bureau's programmes of work (工程) for a year, led by one department. */
@ObjectType({ implements: Node })
@Entity()
export class Programme {
  /** The primary key; clients see the global id (Node.id). */
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Field({ description: 'P1 … P6.' })
  @Property({ type: 'string', length: 20, unique: true })
  code!: string;

  @Field()
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field({ nullable: true, description: 'A gloss in English.' })
  @Property({ type: 'text', nullable: true })
  gloss?: string;

  @Field(() => Int)
  @Property({ type: 'integer' })
  year!: number;

  @Field(() => DateScalar, { description: 'The first day of the programme: where expected-by-now starts.' })
  @Property({ type: 'date' })
  startsOn!: string;

  @Field(() => DateScalar)
  @Property({ type: 'date' })
  endsOn!: string;

  @ManyToOne(() => Department, { fieldName: 'lead_department_id' })
  lead!: Rel<Department>;

  @Field(() => [SubmissionStatus], { description: 'Which review statuses count on the board: SUBMITTED and APPROVED (default), or APPROVED only.' })
  @Property({ type: ArrayType, default: '{SUBMITTED,APPROVED}' })
  countedStatuses: SubmissionStatus[] & Opt = [SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED];

  @OneToMany(() => Indicator, (i) => i.programme)
  indicators = new Collection<Indicator>(this);
}
