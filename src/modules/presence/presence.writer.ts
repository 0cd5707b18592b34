import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import { appendEvents, type NewEvent } from '../events/outbox.service';
import type { EventStream } from '../events/event-stream';
import { pgArray } from '../../common/pg-array';
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
      events.push(...await this.presenceEvents(tx, changes, now));
    }
    return appendEvents(tx, events, now);
  }

  /**
   * The board's rows of the batch written, and one event per person whose screens on the board
   * went from none to some, or from some to none: whether each person of the batch has a fresh
   * screen on the board besides the batch's own is one probe of the (board, person) index each,
   * however many screens the board has. One statement (after the board's lock, so that it sees
   * every batch committed before): its insert and delete are not visible to its own probe, which
   * leaves the batch's rows out in any case.
   */
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
    const inserted = changes.filter((c) => c.joins).map(({ row }) => ({
      id: row.id, instance: row.instance, programme_id: row.programmeId, region_code: row.regionCode, user_id: row.userId,
      username: row.username, department: row.department ?? null, since: row.since.toISOString(), seen_at: row.seenAt.toISOString(),
    }));
    const rows = await tx.execute<{ user_id: number; others: boolean }[]>(
      `with inserted as (insert into board_watcher (id, instance, programme_id, region_code, user_id, username, department, since, seen_at)
         select id, instance, programme_id, region_code, user_id, username, department, since, seen_at from json_populate_recordset(null::board_watcher, ?::json)),
       deleted as (delete from board_watcher where id = any(?::uuid[]))
       select u.id as user_id, exists (select 1 from board_watcher w
         where w.programme_id = ? and w.region_code = ? and w.user_id = u.id and w.seen_at > ? and w.id <> all(?::uuid[])) as others
       from unnest(?::int[]) as u(id)`,
      [JSON.stringify(inserted), pgArray(changes.filter((c) => !c.joins).map((c) => c.row.id)), programmeId, regionCode, since,
        pgArray(changes.map((c) => c.row.id)), pgArray([...people.keys()])]);
    const others = new Map(rows.map((r) => [Number(r.user_id), r.others]));
    const moved: { change: PresenceChange; row: WatcherRow }[] = [];
    for (const [userId, p] of people) {
      if (others.get(userId)) continue;
      // No other screen of theirs: the batch's own rows decide (a screen that came and one that went: no news).
      if (p.inserted > 0 && p.deleted === 0) moved.push({ change: PresenceChange.JOINED, row: p.last });
      else if (p.deleted > 0 && p.inserted === 0) moved.push({ change: PresenceChange.LEFT, row: p.last });
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
