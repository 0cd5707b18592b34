/**
 * What the bulletin reads, through the API as /graphql answers it (the same permissions as a
 * board's): the programmes of the year, then per programme its indicators' progress, the league
 * table of the region's children, the open supervision notices and the late reports.
 */
export const BULLETIN_PROGRAMMES_QUERY = `query BulletinProgrammes($year: Int) {
  programmes(year: $year) { code }
}`;

export const BULLETIN_QUERY = `query Bulletin($programme: String!, $region: String!, $asOf: Date) {
  region(code: $region) { code name level }
  programme(code: $programme) {
    code name year startsOn endsOn
    lead { name }
    indicators {
      code name unit kind decimals
      progress(region: $region, asOf: $asOf) {
        actual completion status expectedByNow reportedCount expectedCount met metOf doneOn
        target { value min max comparator deadline }
      }
    }
  }
  ranking(programme: $programme, region: $region, by: COMPLETION, asOf: $asOf) {
    rows { rank value reported indicatorsJudged indicatorsReported region { code name } }
  }
  notices(programme: $programme, region: $region) {
    colour state reason deadline issuedOn
    indicator { code name }
    region { code name }
  }
  lateReports(programme: $programme, region: $region) {
    cycleStart lastAsOf
    indicator { code name }
    region { code name }
  }
}`;

export interface BulletinTarget { value: number | null; min: number | null; max: number | null; comparator: string; deadline: string | null }

export interface BulletinIndicator {
  code: string;
  name: string;
  unit: string | null;
  kind: string;
  decimals: number;
  progress: {
    actual: number | null;
    completion: number | null;
    status: string;
    expectedByNow: number | null;
    reportedCount: number;
    expectedCount: number;
    met: number | null;
    metOf: number | null;
    doneOn: string | null;
    target: BulletinTarget | null;
  };
}

export interface NamedRegion { code: string; name: string }

export interface BulletinProgrammeData {
  region: NamedRegion & { level: string };
  programme: { code: string; name: string; year: number; startsOn: string; endsOn: string; lead: { name: string }; indicators: BulletinIndicator[] };
  ranking: { rows: { rank: number | null; value: number | null; reported: boolean; indicatorsJudged: number; indicatorsReported: number; region: NamedRegion }[] };
  notices: { colour: string; state: string; reason: string; deadline: string; issuedOn: string; indicator: { code: string; name: string }; region: NamedRegion }[];
  lateReports: { cycleStart: string; lastAsOf: string | null; indicator: { code: string; name: string }; region: NamedRegion }[];
}

/** A leader's instruction (批示) of the period, on an indicator of the programme in the region or below. */
export interface BulletinInstruction { on: string; author: string; indicator: string; indicatorName: string; region: string; text: string }

export interface BulletinProgramme extends BulletinProgrammeData {
  instructions: BulletinInstruction[];
}

export interface Bulletin {
  asOf: string;
  region: NamedRegion & { level: string };
  programmes: BulletinProgramme[];
}
