import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import type { EventStream } from '../events/event-stream';
import { Department } from '../department/department.entity';
import type { User } from '../user/user.entity';
import { wrap } from '@mikro-orm/core';
import { BoardWatcher } from './presence.entity';
import type { Watcher } from './presence.types';
import { PresenceWriter, type WatcherRow } from './presence.writer';

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

/** Each event stream's writer of watcher rows (one per instance: presence.writer.ts). */
const writers = new WeakMap<EventStream, PresenceWriter>();

/**
 * Someone starts watching a board: their row written (with the other arrivals of the moment) and,
 * if it is their first screen on the board, a PresenceChanged (presence.writer.ts). Returns how to
 * leave it. The subscription keeps only the row's plain values.
 */
export async function join(em: EntityManager, clock: Clock, stream: EventStream, user: User, programmeId: number, regionCode: string): Promise<() => Promise<void>> {
  let writer = writers.get(stream);
  if (!writer) writers.set(stream, (writer = new PresenceWriter(em, clock, stream, STALE_MS)));
  const department = !user.department ? undefined
    : wrap(user.department).isInitialized() ? user.department.name : (await em.fork().findOne(Department, user.department.id))?.name;
  const now = clock.now();
  const row: WatcherRow = { id: randomUUID(), instance: INSTANCE, programmeId, regionCode, userId: user.id, username: user.username, department, since: now, seenAt: now };
  await writer.write(row, true);
  const w = writer;
  return () => w.write(row, false);
}

/** Keeps this instance's watcher rows fresh. */
export function startHeartbeat(em: EntityManager, now: () => Date): () => void {
  const timer = setInterval(() => {
    em.fork().nativeUpdate(BoardWatcher, { instance: INSTANCE }, { seenAt: now() }).catch((error) => console.error('presence heartbeat:', error));
  }, HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}
