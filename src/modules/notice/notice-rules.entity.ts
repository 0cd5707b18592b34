import { Entity, ManyToOne, PrimaryKey, Property, type Opt, type Rel } from '@mikro-orm/core';
import { Field, Float, Int, ObjectType } from 'type-graphql';
import { numeric } from '../../common/numeric';
import { DateTimeScalar } from '../../common/scalars';
import { Programme } from '../programme/programme.entity';
import { User } from '../user/user.entity';

/** The defaults a programme's notices follow until its leading department sets its own. */
export const DEFAULT_RULES = { blueWithinDays: 15, yellowBehindShare: 0.1, redBehindShare: 0.3, escalateAfterWorkingDays: 3 } as const;

/** A programme's rules for supervision notices (督办单). */
@ObjectType({ description: 'When a programme\'s supervision notices are issued and escalated.' })
@Entity()
export class NoticeRules {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Programme, { unique: true })
  programme!: Rel<Programme>;

  @Field(() => Int, { description: 'BLUE when the deadline is this many days away or fewer and the target is not met.' })
  @Property({ type: 'integer' })
  blueWithinDays!: number;

  @Field(() => Float, { description: 'YELLOW when the figure is behind what is expected by now by more than this share (0.1: 10%).' })
  @Property({ ...numeric() })
  yellowBehindShare!: number;

  @Field(() => Float, { description: 'RED when behind by more than this share; RED too once overdue.' })
  @Property({ ...numeric() })
  redBehindShare!: number;

  @Field(() => Int, { description: 'A RED not acknowledged within this many working days (China\'s calendar: weekends, public holidays and make-up working days) goes up to the LEADER accounts.' })
  @Property({ type: 'integer' })
  escalateAfterWorkingDays!: number;

  @Field(() => Int, { description: '0 for the defaults (never set); each change adds one.' })
  @Property({ type: 'integer', version: true })
  version!: number & Opt;

  @ManyToOne(() => User, { nullable: true })
  updatedBy?: Rel<User>;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  updatedAt?: Date;
}

/** The last day swept for notices (one row), so that a day is swept once whatever restarts. */
@Entity()
export class NoticeSweep {
  @PrimaryKey({ type: 'integer', autoincrement: false })
  id!: number;

  @Property({ type: 'date' })
  day!: string;
}
