import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import { appendEvents } from '../events/outbox.service';
import type { EventStream } from '../events/event-stream';
import { Department } from '../department/department.entity';
import type { User } from '../user/user.entity';
import { BoardWatcher } from './presence.entity';
import { PresenceChange, type Watcher } from './presence.types';

/** This process, among the instances. */
export const INSTANCE = randomUUID();
/** A watcher row not refreshed for this long belongs to an instance that is gone. */
export const STALE_MS = 90_000;
export const HEARTBEAT_MS = 30_000;

const fresh = (now: Date) => ({ seenAt: { $gt: new Date(now.getTime() - STALE_MS) } });

/** The people watching a board now, earliest first, each once however many screens they have on it. */
export async function watchers(em: EntityManager, programmeId: number, regionCode: string, now: Date): Promise<Watcher[]> {
  const rows = await em.find(BoardWatcher, { programmeId, regionCode, ...fresh(now) }, { orderBy: { since: 'asc' } });
  const seen = new Map<string, Watcher>();
  for (const r of rows) if (!seen.has(r.username)) seen.set(r.username, { username: r.username, department: r.department, since: r.since });
  return [...seen.values()];
}

/**
 * A presence event, only when a person's first screen on the board comes or their last goes: a
 * hundred meeting-room screens on one account make one event, not a hundred, and the event names
 * one person, not the whole list (which would cost every board the square of its watchers).
 */
async function record(tx: EntityManager, clock: Clock, row: BoardWatcher, change: PresenceChange): Promise<string | undefined> {
  // One board's presence at a time: two screens of one person arriving together make one event.
  await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [`presence:${row.programmeId}:${row.regionCode}`]);
  const now = clock.now();
  const others = await tx.count(BoardWatcher, { programmeId: row.programmeId, regionCode: row.regionCode, userId: row.userId, id: { $ne: row.id }, ...fresh(now) });
  if (others > 0) return undefined;
  const watching = (await watchers(tx, row.programmeId, row.regionCode, now)).length;
  return appendEvents(tx, [{
    type: 'PresenceChanged', programmeId: row.programmeId, regionCode: row.regionCode,
    // No parent code: a county board's watchers are not the city board's news.
    payload: { change, watcher: { username: row.username, department: row.department, since: row.since.toISOString() }, watching },
  }], now);
}

/** Someone starts watching a board. Returns how to leave it. */
export async function join(em: EntityManager, clock: Clock, stream: EventStream, user: User, programmeId: number, regionCode: string): Promise<() => Promise<void>> {
  const department = user.department ? (await em.fork().findOne(Department, user.department.id))?.name : undefined;
  const row = Object.assign(new BoardWatcher(), {
    id: randomUUID(), instance: INSTANCE, programmeId, regionCode, userId: user.id, username: user.username, department, since: clock.now(), seenAt: clock.now(),
  });
  const joined = await em.fork().transactional(async (tx) => {
    tx.persist(row);
    await tx.flush();
    return record(tx, clock, row, PresenceChange.JOINED);
  });
  stream.announce(joined);
  return async () => {
    const left = await em.fork().transactional(async (tx) => {
      await tx.nativeDelete(BoardWatcher, { id: row.id });
      return record(tx, clock, row, PresenceChange.LEFT);
    });
    stream.announce(left);
  };
}

/** Keeps this instance's watcher rows fresh. */
export function startHeartbeat(em: EntityManager, now: () => Date): () => void {
  const timer = setInterval(() => {
    em.fork().nativeUpdate(BoardWatcher, { instance: INSTANCE }, { seenAt: now() }).catch((error) => console.error('presence heartbeat:', error));
  }, HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}
