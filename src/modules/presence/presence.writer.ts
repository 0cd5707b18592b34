import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import { appendEvents, type NewEvent } from '../events/outbox.service';
import type { EventStream } from '../events/event-stream';
import { BoardWatcher } from './presence.entity';
import { PresenceChange } from './presence.types';

/** A watcher row as written: plain values, so that a live subscription holds no entity (nor its EntityManager). */
export interface WatcherRow {
  id: string;
  instance: string;
  programmeId: number;
  regionCode: string;
  userId: number;
  username: string;
  department?: string;
  since: Date;
  seenAt: Date;
}

interface Change {
  row: WatcherRow;
  joins: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Changes written in one transaction, at most. */
const MAX_BATCH = 1000;

/**
 * Writes watcher rows (a subscription's arrival and departure) in batches: what arrives while a
 * batch is written goes in the next one, so a wall of 5,000 screens connecting together costs a
 * few transactions, not 5,000 taking turns at one board's lock. Per board, in one transaction
 * under the board's lock: the rows inserted and deleted together, then one PresenceChanged per
 * person whose first screen on the board came or whose last went (none for the other screens of a
 * person already watching), each `watching` as it stood after that person's change. A change
 * resolves once its batch is committed and announced.
 */
export class PresenceWriter {
  private readonly queue: Change[] = [];
  private running = false;

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly stream: EventStream,
    private readonly staleMs: number,
  ) {}

  write(row: WatcherRow, joins: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, joins, resolve, reject });
      if (this.running) return;
      this.running = true;
      // After this turn of the event loop: the screens that arrived in it go together.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const seq = await this.em.fork().transactional((tx) => this.apply(tx, batch));
        this.stream.announce(seq);
        for (const c of batch) c.resolve();
      } catch (error) {
        for (const c of batch) c.reject(error);
      }
    }
    this.running = false;
  }

  /** The batch's rows and events, board by board (the boards' locks taken in one order). */
  private async apply(tx: EntityManager, batch: Change[]): Promise<string | undefined> {
    const boards = new Map<string, Change[]>();
    for (const c of batch) {
      const key = `${c.row.programmeId}:${c.row.regionCode}`;
      boards.get(key)?.push(c) ?? boards.set(key, [c]);
    }
    const now = this.clock.now();
    const events: NewEvent[] = [];
    for (const key of [...boards.keys()].sort()) {
      const changes = boards.get(key)!;
      await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [`presence:${key}`]);
      const joined = changes.filter((c) => c.joins).map((c) => c.row);
      const left = changes.filter((c) => !c.joins).map((c) => c.row.id);
      if (joined.length > 0) await tx.insertMany(BoardWatcher, joined);
      if (left.length > 0) await tx.nativeDelete(BoardWatcher, { id: { $in: left } });
      events.push(...await this.presenceEvents(tx, changes, now));
    }
    return appendEvents(tx, events, now);
  }

  /** One event per person whose screens on the board went from none to some, or from some to none. */
  private async presenceEvents(tx: EntityManager, changes: Change[], now: Date): Promise<NewEvent[]> {
    const { programmeId, regionCode } = changes[0].row;
    const since = new Date(now.getTime() - this.staleMs);
    const people = new Map<number, { inserted: number; deleted: number; last: WatcherRow }>();
    for (const c of changes) {
      const p = people.get(c.row.userId) ?? people.set(c.row.userId, { inserted: 0, deleted: 0, last: c.row }).get(c.row.userId)!;
      if (c.joins) p.inserted += 1;
      else p.deleted += 1;
      p.last = c.row;
    }
    const rows = await tx.execute<{ user_id: number; screens: number }[]>(
      `select user_id, count(*)::int as screens from board_watcher
       where programme_id = ? and region_code = ? and seen_at > ? and user_id = any(?::int[]) group by user_id`,
      [programmeId, regionCode, since, `{${[...people.keys()].join(',')}}`]);
    const screens = new Map(rows.map((r) => [Number(r.user_id), r.screens]));
    const moved: { change: PresenceChange; row: WatcherRow }[] = [];
    for (const [userId, p] of people) {
      const after = screens.get(userId) ?? 0;
      const before = after - p.inserted + p.deleted;
      if (before <= 0 && after > 0) moved.push({ change: PresenceChange.JOINED, row: p.last });
      else if (before > 0 && after === 0) moved.push({ change: PresenceChange.LEFT, row: p.last });
    }
    if (moved.length === 0) return [];
    const [{ watching: total }] = await tx.execute<{ watching: number }[]>(
      'select count(distinct user_id)::int as watching from board_watcher where programme_id = ? and region_code = ? and seen_at > ?',
      [programmeId, regionCode, since]);
    // As it stood after each person's change, in the order they came.
    let watching = total - moved.filter((m) => m.change === PresenceChange.JOINED).length + moved.filter((m) => m.change === PresenceChange.LEFT).length;
    return moved.map(({ change, row }) => {
      watching += change === PresenceChange.JOINED ? 1 : -1;
      return {
        type: 'PresenceChanged', programmeId, regionCode,
        // No parent code: a county board's watchers are not the city board's news.
        payload: { change, watcher: { username: row.username, department: row.department, since: row.since.toISOString() }, watching },
      };
    });
  }
}
