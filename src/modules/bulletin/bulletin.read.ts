import type { EntityManager } from '@mikro-orm/postgresql';
import type { GraphQLFormattedError } from 'graphql';
import { dateInZone } from '../../clock';
import { Comment, CommentKind } from '../comment/comment.entity';
import {
  BULLETIN_PROGRAMMES_QUERY, BULLETIN_QUERY,
  type Bulletin, type BulletinInstruction, type BulletinProgramme, type BulletinProgrammeData,
} from './bulletin.query';

/** Runs a query as /graphql would, for the signed-in user (their permissions, the figures cache). */
export type ExecuteQuery = (query: string, variables: Record<string, unknown>) => Promise<{ data?: unknown; errors?: readonly GraphQLFormattedError[] }>;

/** The API refused a part of the bulletin: its first error's code, message and field, as /graphql said them. */
export class BulletinRefusal extends Error {
  constructor(readonly code: string, message: string, readonly field?: string) {
    super(message);
  }
}

export interface BulletinRequest {
  /** One programme's code; every programme of the as-of day's year without it. */
  programme?: string;
  region: string;
  asOf: string;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar day written YYYY-MM-DD that exists (2019-02-30 does not). */
export function isDay(text: string): boolean {
  const m = DAY.exec(text);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === text && Number(m[1]) >= 1;
}

async function run<T>(execute: ExecuteQuery, query: string, variables: Record<string, unknown>): Promise<T> {
  const result = await execute(query, variables);
  const failure = result.errors?.[0];
  if (failure || !result.data) {
    const field = failure?.extensions?.field;
    throw new BulletinRefusal(String(failure?.extensions?.code ?? 'INTERNAL_SERVER_ERROR'), failure?.message ?? 'The bulletin could not be read',
      typeof field === 'string' ? field : undefined);
  }
  return result.data as T;
}

/**
 * The leaders' instructions (批示) of the period (the programme's start to the as-of day, in the
 * server's time zone) on the programme's indicators in the region and below. Read after the API
 * has let the user read this programme in this region, which lets them read these comments too.
 */
async function instructions(em: EntityManager, timeZone: string, data: BulletinProgrammeData, asOf: string): Promise<BulletinInstruction[]> {
  const from = new Date(`${data.programme.startsOn}T00:00:00Z`);
  from.setUTCDate(from.getUTCDate() - 1);
  const to = new Date(`${asOf}T00:00:00Z`);
  to.setUTCDate(to.getUTCDate() + 2);
  const found = await em.fork().find(Comment, {
    kind: CommentKind.INSTRUCTION,
    indicator: { programme: { code: data.programme.code } },
    region: { path: { $like: `%/${data.region.code}/%` } },
    createdAt: { $gte: from, $lt: to },
  }, { populate: ['author', 'indicator', 'region'], orderBy: { createdAt: 'asc', id: 'asc' }, limit: 200 });
  return found
    .map((c) => ({ c, on: dateInZone(c.createdAt, timeZone) }))
    .filter(({ on }) => on >= data.programme.startsOn && on <= asOf)
    .map(({ c, on }) => ({ on, author: c.author.username, indicator: c.indicator.code, indicatorName: c.indicator.name, region: c.region.name, text: c.text }));
}

/** The bulletin's figures: one programme, or every programme of the as-of day's year that the user may read, in code order. */
export async function readBulletin(execute: ExecuteQuery, em: EntityManager, timeZone: string, request: BulletinRequest): Promise<Bulletin> {
  const codes = request.programme
    ? [request.programme]
    : (await run<{ programmes: { code: string }[] }>(execute, BULLETIN_PROGRAMMES_QUERY, { year: Number(request.asOf.slice(0, 4)) })).programmes.map((p) => p.code);
  if (codes.length === 0) throw new BulletinRefusal('NOT_FOUND', `No programme of ${request.asOf.slice(0, 4)}`);
  const programmes: BulletinProgramme[] = [];
  let refused: BulletinRefusal | undefined;
  // One programme at a time: each is a board's worth of reading.
  for (const code of codes) {
    let data: BulletinProgrammeData;
    try {
      data = await run<BulletinProgrammeData>(execute, BULLETIN_QUERY, { programme: code, region: request.region, asOf: request.asOf });
    } catch (error) {
      // Every programme: those the user may read (a screen token's boards); one named: that one or the refusal.
      if (request.programme || !(error instanceof BulletinRefusal) || error.code !== 'FORBIDDEN') throw error;
      refused ??= error;
      continue;
    }
    // The open notices are today's: for a past day, those issued by then.
    const notices = data.notices.filter((n) => n.issuedOn <= request.asOf);
    programmes.push({ ...data, notices, instructions: await instructions(em, timeZone, data, request.asOf) });
  }
  if (programmes.length === 0) throw refused!;
  return { asOf: request.asOf, region: programmes[0].region, programmes };
}
