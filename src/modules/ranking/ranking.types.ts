import { Field, Float, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateScalar } from '../../common/scalars';
import { Programme } from '../programme/programme.entity';
import { Region } from '../region/region.entity';

export enum RankingBasis {
  COMPLETION = 'COMPLETION',
  PACE = 'PACE',
  SCORE = 'SCORE',
}
registerEnumType(RankingBasis, {
  name: 'RankingBasis',
  valuesConfig: {
    COMPLETION: { description: 'The mean completion of the indicators a region has a target for and has reported, each counted up to 1 (met is met).' },
    PACE: { description: 'The mean of figure ÷ expected by now (the trajectory, else time-proportional) over the same indicators, each counted up to 2.' },
    SCORE: { description: 'A score out of 100: Σ weight × completion (up to 1) ÷ Σ weight over the weighted indicators with a target; one not reported counts 0. Equal weights until the leading department sets them.' },
  },
});

@ObjectType({ description: 'One child region in a league table (晾晒).' })
export class RankingRow {
  @Field(() => Region)
  region!: Region;

  @Field({ description: 'False when the region has reported none of the indicators ranked on: shown, not ranked.' })
  reported!: boolean;

  @Field(() => Float, { nullable: true, description: 'What it is ranked by (a fraction for COMPLETION and PACE, points for SCORE); null when not reported.' })
  value!: number | null;

  @Field(() => Int, { nullable: true, description: '1 is first; equal values share a rank (1, 2, 2, 4); null when not reported.' })
  rank!: number | null;

  @Field(() => Float, { nullable: true, description: 'The value at `since`.' })
  valueSince!: number | null;

  @Field(() => Int, { nullable: true, description: 'The rank at `since`, ranked the same way.' })
  rankSince!: number | null;

  @Field(() => Int, { nullable: true, description: 'rankSince − rank: positive moved up, negative down; null where either is.' })
  change!: number | null;

  @Field(() => Int, { description: 'Indicators ranked on that have a target here and a figure.' })
  indicatorsReported!: number;

  @Field(() => Int, { description: 'Indicators ranked on that have a target here.' })
  indicatorsJudged!: number;
}

@ObjectType({ description: 'The children of a region ranked side by side (晾晒), with their change in rank since an earlier day.' })
export class Ranking {
  @Field(() => Programme)
  programme!: Programme;

  @Field(() => Region)
  region!: Region;

  @Field(() => RankingBasis)
  by!: RankingBasis;

  @Field(() => DateScalar)
  asOf!: string;

  @Field(() => DateScalar, { nullable: true })
  since!: string | null;

  @Field(() => [RankingRow], { description: 'Ranked ones first, by rank then code; then those that have not reported, by code.' })
  rows!: RankingRow[];
}

@InputType()
export class ScoreWeightInput {
  @Field({ description: 'Indicator code, of the programme.' })
  indicator!: string;

  @Field(() => Float, { description: 'From 0 to 1000; 0 leaves the indicator out of the score.' })
  weight!: number;
}
