import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../../common/node';
import { DateScalar, DateTimeScalar } from '../../common/scalars';
import { Indicator } from '../indicator/indicator.entity';
import { Region } from '../region/region.entity';
import { Target } from '../target/target.entity';

export enum ProgressStatus {
  NO_TARGET = 'NO_TARGET',
  NOT_STARTED = 'NOT_STARTED',
  ON_TRACK = 'ON_TRACK',
  AT_RISK = 'AT_RISK',
  BEHIND = 'BEHIND',
  ACHIEVED = 'ACHIEVED',
  OVERDUE = 'OVERDUE',
}
registerEnumType(ProgressStatus, {
  name: 'ProgressStatus',
  valuesConfig: {
    NO_TARGET: { description: 'No target applies to this region.' },
    NOT_STARTED: { description: 'A target, and no figure yet.' },
    ON_TRACK: { description: 'At least 95% of what is expected by now.' },
    AT_RISK: { description: 'From 75% to 95% of what is expected by now.' },
    BEHIND: { description: 'Below 75% of what is expected by now.' },
    ACHIEVED: { description: 'The target is met.' },
    OVERDUE: { description: 'The deadline has passed and the target is not met.' },
  },
});

/** An indicator's progress in one region as of one day: its id names the three, so a board event's progress replaces the board's. */
@ObjectType({ implements: Node, description: 'An indicator in a region as of the end of a day. Its id names the indicator, the region and the day: the progress of a ProgressChanged event for the same three has the same id.' })
export class Progress {
  @Field(() => Indicator)
  indicator!: Indicator;

  @Field(() => Region)
  region!: Region;

  @Field(() => DateScalar, { description: 'The day the figures stand at the end of.' })
  asOf!: string;

  @Field(() => Float, { nullable: true, description: 'The figure, rolled up from the regions below; null when none reported.' })
  actual!: number | null;

  @Field(() => Target, { nullable: true, description: 'The target that applies on asOf: the next deadline, else the last.' })
  target!: Target | null;

  @Field(() => Float, { nullable: true, description: 'actual / target, as a fraction: 25 of 70 is 0.357.' })
  completion!: number | null;

  @Field(() => Float, { nullable: true, description: 'The target times the share of the time to the deadline that has passed.' })
  expectedByNow!: number | null;

  @Field(() => ProgressStatus)
  status!: ProgressStatus;

  @Field(() => Int, { description: 'How many regions at the reporting level below have reported.' })
  reportedCount!: number;

  @Field(() => Int, { description: 'How many regions at the reporting level there are below.' })
  expectedCount!: number;

  @Field(() => DateTimeScalar, { nullable: true })
  lastReportedAt!: Date | null;

  @Field(() => Int, { nullable: true, description: 'Where the regions below each have their own target (every county must meet it): how many have met it.' })
  met!: number | null;

  @Field(() => Int, { nullable: true, description: '… out of how many; completion is met / metOf.' })
  metOf!: number | null;

  @Field(() => DateScalar, { nullable: true, description: 'A milestone: the day of the figure that made it done.' })
  doneOn!: string | null;
}

@ObjectType({ description: 'The figure on a day a region below reported: a point for a chart.' })
export class ProgressPoint {
  @Field(() => DateScalar)
  asOf!: string;

  @Field(() => Float)
  actual!: number;
}

@ObjectType({ description: 'A target allocated to the regions below: the parent\'s beside the sum of the children\'s.' })
export class TargetAllocation {
  @Field(() => Float, { description: 'The target of this region.' })
  target!: number;

  @Field(() => Float, { description: 'The sum of the children\'s targets with the same deadline.' })
  childrenSum!: number;

  @Field(() => Int, { description: 'How many children have such a target.' })
  childrenWithTarget!: number;

  @Field(() => Int)
  childrenCount!: number;

  @Field({ description: 'True when the children\'s targets do not add up to the parent\'s, or some child has none.' })
  mismatch!: boolean;
}

export enum OutlookVerdict {
  ON_COURSE = 'ON_COURSE',
  OFF_COURSE = 'OFF_COURSE',
}
registerEnumType(OutlookVerdict, {
  name: 'OutlookVerdict',
  valuesConfig: {
    ON_COURSE: { description: 'The figure, on its course, makes what is planned by that day.' },
    OFF_COURSE: { description: 'On its course the figure falls short of what is planned by that day.' },
  },
});

@ObjectType({ description: 'The forecast\'s verdict: the figure projected to the next step of the plan (its next milestone, else the deadline) against what the plan asks by then.' })
export class Outlook {
  @Field(() => DateScalar, { description: 'The day judged: the trajectory\'s next milestone after asOf, else the target\'s deadline.' })
  on!: string;

  @Field(() => Float, { description: 'What the trajectory (or, without one, the target) asks for by that day.' })
  planned!: number;

  @Field(() => Float, { nullable: true, description: 'The figure projected to that day from the history (the figure itself for a target met).' })
  forecast!: number | null;

  @Field(() => OutlookVerdict)
  verdict!: OutlookVerdict;
}
