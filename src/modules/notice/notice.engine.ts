import type { EntityManager } from '@mikro-orm/postgresql';
import type { Services } from '../../core/context';
import { outboxBounds, type NewEvent } from '../events/outbox.service';
import { UnitOfWork } from '../events/unit-of-work';
import { evaluate, type Pair, type Scope } from './notice.evaluate';

/** The advisory lock held by the one instance that judges notices at a time. */
const NOTICE_LOCK = 16_016_016;
/**
 * Outbox events that move what a notice judges: the projector's ProgressChanged (appended once it
 * has folded a figure, a review or a target: a TargetChanged fact comes back as the ProgressChanged
 * of its region and the regions above) and a programme's settings (its notice rules).
 */
const TRIGGERS = ['ProgressChanged', 'ProgrammeChanged'];
const TICK_MS = 200;
const PAGE = 2000;

/** The sweep of a day, recorded so that a restart (or another instance) does not sweep it again. */
async function sweptDay(em: EntityManager): Promise<string | null> {
  const rows = await em.execute<{ day: string }[]>(`select to_char(day, 'YYYY-MM-DD') as day from notice_sweep where id = 1`);
  return rows[0]?.day ?? null;
}

/** Sweeps every pair for `clock.today()` in `tx` and records the day; the events to append. */
export async function sweep(tx: EntityManager, clock: { today(): string; now(): Date; timeZone: string }): Promise<NewEvent[]> {
  const events = await evaluate(tx, clock, { all: true });
  await tx.execute(`insert into notice_sweep (id, day) values (1, ?) on conflict (id) do update set day = excluded.day`, [clock.today()]);
  return events;
}

/** Which pairs and programmes a page of outbox rows moved. */
function scopesOf(rows: { type: string; programme_id: number | null; region_code: string | null; payload: Record<string, unknown> }[]): Scope[] {
  const pairs: Pair[] = [];
  const programmeIds = new Set<number>();
  for (const r of rows) {
    if (r.type === 'ProgrammeChanged' && r.programme_id !== null) programmeIds.add(Number(r.programme_id));
    else if (r.type === 'ProgressChanged') pairs.push({ indicatorId: Number(r.payload.indicatorId), regionCode: String(r.payload.regionCode) });
  }
  return [...(pairs.length ? [{ pairs }] : []), ...(programmeIds.size ? [{ programmeIds: [...programmeIds] }] : [])];
}

/**
 * Judges supervision notices after the projector, outside the writers' transactions: it follows
 * the outbox for the ProgressChanged events the projector appends once it has folded a page of
 * facts (and for a programme's changed settings) and evaluates those indicator × region pairs
 * from the progress a fresh query reads (the roll-ups, or the figures while facts are still to
 * fold, so never a stale roll-up); when Duban's day turns
 * (the wall clock, or a pinned day moved) it sweeps every pair once. One instance at a time
 * (an advisory lock); the evaluation is idempotent, so a page judged twice changes nothing.
 */
export class NoticeEngine {
  private cursor = 0n;
  private day: string | null = null;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly services: Services) {}

  /** Judges what is pending (today swept first), then follows the outbox; started by startDuban. */
  async start(): Promise<void> {
    this.cursor = (await outboxBounds(this.services.em.fork())).lastSeq;
    await this.run();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running || this.stopped) return;
    if (this.services.clock.today() === this.day && this.services.events.head <= this.cursor) return;
    this.running = this.run().catch((error) => console.error('notices:', error)).finally(() => { this.running = undefined; });
  }

  /** Resolves once every event up to the outbox's end is judged and today is swept. */
  async settled(timeoutMs = 30_000): Promise<void> {
    const { lastSeq } = await outboxBounds(this.services.em.fork());
    const end = Date.now() + timeoutMs;
    while (this.running || this.cursor < lastSeq || this.day !== this.services.clock.today()) {
      if (Date.now() > end) throw new Error('notices did not settle');
      this.services.events.poke();
      this.tick();
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async run(): Promise<void> {
    const { clock, events } = this.services;
    const today = clock.today();
    const head = events.head > this.cursor ? events.head : this.cursor;
    // Its events are appended in its transaction and announced after the commit, as a writer's are.
    const unit = UnitOfWork.root(this.services.em.fork(), clock, (seq) => events.announce(seq));
    const judged = await unit.transaction(async (tx, outbox) => {
      const [{ locked }] = await tx.execute<{ locked: boolean }[]>('select pg_try_advisory_xact_lock(?) as locked', [NOTICE_LOCK]);
      if (!locked) return undefined;
      const sweeping = this.day !== today && (await sweptDay(tx)) !== today;
      if (sweeping) {
        outbox.add(...await sweep(tx, clock));
        return head;
      }
      if (head <= this.cursor) return head;
      const rows = await tx.execute<{ seq: string; type: string; programme_id: number | null; region_code: string | null; payload: Record<string, unknown> }[]>(`
        select seq, type, programme_id, region_code, payload from outbox_event
        where seq > ? and seq <= ? and type = any(?::text[]) order by seq limit ${PAGE}`, [String(this.cursor), String(head), `{${TRIGGERS.join(',')}}`]);
      for (const scope of scopesOf(rows)) outbox.add(...await evaluate(tx, clock, scope));
      return rows.length === PAGE ? BigInt(rows[PAGE - 1].seq) : head;
    });
    if (judged === undefined) return;
    this.day = today;
    this.cursor = judged;
  }
}
