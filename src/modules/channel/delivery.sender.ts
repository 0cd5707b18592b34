import type { EntityManager } from '@mikro-orm/postgresql';
import type { ChannelKind } from './channel.entity';
import { formatRequest, judgeAnswer, type Outgoing } from './channel.format';
import { followOutbox } from './delivery.follower';

export interface DeliveryOptions {
  /**
   * The safety poll, in ms: the outbox's cursor is checked and the queue claimed at least this often,
   * for what this instance cannot know of (deliveries another instance made or put back and did not
   * send, a lease of one that died; an event its stream missed).
   */
  pollMs: number;
  /** An attempt's time limit, in ms: a receiver that never answers fails it. */
  timeoutMs: number;
  /** Attempts before a delivery is FAILED. */
  maxAttempts: number;
  /** The wait after the first failure, in ms; doubled after each (at most an hour). */
  backoffMs: number;
  /** Attempts in flight at once on this instance. */
  concurrency: number;
  /** Attempts in flight at once to one channel (a dead channel holds no more than these). */
  perChannel: number;
  /** Days a sent or failed delivery is kept, then deleted (at start, then hourly). */
  retentionDays: number;
}

/** How often the sent and failed deliveries past their retention are deleted. */
const PRUNE_MS = 3_600_000;

interface Claimed {
  id: string;
  channel_id: string;
  attempts: number;
  event: string;
  event_seq: string;
  title: string;
  text: string;
  payload: Record<string, unknown>;
  kind: ChannelKind;
  url: string;
  secret: string | null;
}

/** A timer for a next_attempt_at fires this much after it: a timer may fire a millisecond early, and the claim would find nothing due. */
const MARGIN_MS = 5;
/** After a round that failed (the database away), the next try, at most this much later. */
const RETRY_MS = 1000;

/**
 * This instance's delivery loop: turns the outbox into deliveries, claims the due ones
 * (`FOR UPDATE SKIP LOCKED`, leased for the attempt's time limit, so another instance or a restart
 * takes them up only if this one dies) and posts each, concurrently, bounded overall and per
 * channel. A failure is retried after an exponential backoff until `maxAttempts`; at least once,
 * with the delivery id for the receiver to de-duplicate.
 *
 * An idle instance sends nothing to the database for it: what to do is decided in memory. The
 * outbox is read once this instance has heard of a sequence past the cursor it last saw (an
 * announcement, or the head its event stream reached). The queue is claimed when deliveries were
 * just made, when a retry or an unrecorded attempt's lease it knows of falls due, and when an attempt
 * ends if the last claim had left some for want of room. Both are done every `pollMs` for the rest.
 */
export class DeliveryLoop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  /** The shared cursor as this instance last read or moved it; undefined until the first read. */
  private followed: bigint | undefined;
  /** The highest outbox sequence heard of (announcements, the event stream's head). */
  private heard = 0n;
  /** Deliveries may be due now (some were just made; an attempt ended while the last claim had left some; the start). */
  private claimNow = true;
  /** The last claim may have left due deliveries: no room here, or channels at their limit. */
  private backlog = false;
  /** When deliveries this instance knows of fall due (retries, lapsing leases), in Date.now() ms, ascending. */
  private readonly due: number[] = [];
  /** When the queue was last claimed: the safety poll comes `pollMs` after. */
  private lastClaim = 0;
  /** When deliveries past their retention were last deleted (0: not yet, so at the first round). */
  private lastPrune = 0;
  /** Whether the queue's earliest future next_attempt_at has been read (once, at start). */
  private leftoverRead = false;
  private readonly inFlight = new Map<string, number>();
  private readonly attempts = new Set<Promise<void>>();

  constructor(
    private readonly em: EntityManager,
    private readonly options: DeliveryOptions,
    /** The last outbox sequence this instance's event stream has read (EventStream.head). */
    private readonly head: () => bigint = () => 0n,
  ) {}

  start(): void {
    this.heard = this.head();
    this.plan();
  }

  /**
   * The event stream's poke: an announcement (with its sequence) or the stream's poll (without; the
   * head it reached by then tells). Reads the outbox only if that is past the cursor.
   */
  poke(seq?: bigint): void {
    if (this.stopped) return;
    const announced = seq ?? 0n;
    const head = this.head();
    if (announced > this.heard) this.heard = announced;
    if (head > this.heard) this.heard = head;
    if (this.followNeeded()) this.plan();
  }

  private followNeeded(): boolean {
    return this.followed === undefined || this.heard > this.followed;
  }

  private claimDue(now: number): boolean {
    return this.claimNow || (this.due.length > 0 && this.due[0] <= now) || now >= this.lastClaim + this.options.pollMs;
  }

  /** Deliveries fall due `ms` from now (as the database counts from its now(), which has just passed). */
  private dueIn(ms: number): void {
    const at = Date.now() + Math.max(0, ms) + MARGIN_MS;
    let i = this.due.length;
    while (i > 0 && this.due[i - 1] > at) i -= 1;
    this.due.splice(i, 0, at);
  }

  /** Sets the timer to the next thing to do (during a round, its end does). */
  private plan(retryMs = 0): void {
    if (this.stopped || this.running) return;
    const now = Date.now();
    const at = this.followNeeded() || this.claimNow
      ? now + retryMs
      : Math.min(this.due[0] ?? Infinity, this.lastClaim + this.options.pollMs);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), Math.max(0, at - now));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.running || this.stopped) return;
    this.running = true;
    let failed = false;
    try {
      await this.follow(Date.now() >= this.lastClaim + this.options.pollMs);
      if (!this.stopped && this.claimDue(Date.now())) await this.claim();
      if (!this.stopped && Date.now() >= this.lastPrune + PRUNE_MS) await this.prune();
    } catch (error) {
      failed = true;
      if (!this.stopped) console.error('delivering messages:', error instanceof Error ? error.message : error);
    } finally {
      this.running = false;
      this.plan(failed ? Math.min(RETRY_MS, this.options.pollMs) : 0);
    }
  }

  /** Reads the outbox, page after page, while it has grown past the cursor (or once at least, for the safety poll). */
  private async follow(once: boolean): Promise<void> {
    for (let more = once; !this.stopped && (more || this.followNeeded());) {
      const asked = this.heard;
      const page = await followOutbox(this.em);
      more = page.more;
      this.followed = page.through;
      if (page.made > 0) this.claimNow = true;
      // What was heard before this read began was committed by then (announced after the commit,
      // or read by the stream), so the read reached it. A higher figure named no event of this
      // outbox (a stray announcement): forgotten, or every poke would read again.
      if (!more && this.heard === asked && asked > page.through) this.heard = page.through;
    }
  }

  /** Deletes the sent and failed deliveries past their retention (pending ones are still to go). */
  private async prune(): Promise<void> {
    this.lastPrune = Date.now();
    await this.em.fork().execute(`delete from delivery where status in ('SENT', 'FAILED') and created_at < now() - ? * interval '1 day'`,
      [this.options.retentionDays]);
  }

  private async claim(): Promise<void> {
    const now = Date.now();
    this.claimNow = false;
    this.lastClaim = now;
    while (this.due.length > 0 && this.due[0] <= now) this.due.shift();
    try {
      if (!this.leftoverRead) await this.readLeftover();
      await this.claimAndSend();
    } catch (error) {
      this.claimNow = true;
      throw error;
    }
  }

  /** At start: when the first delivery not yet due falls due (a retry an earlier run set, a lease of an instance that died). */
  private async readLeftover(): Promise<void> {
    const [row] = await this.em.fork().execute<{ wait: number | null }[]>(`
      select ceil(extract(epoch from min(next_attempt_at) - now()) * 1000)::float8 as wait
      from delivery where status = 'PENDING' and next_attempt_at > now()`);
    this.leftoverRead = true;
    if (row?.wait != null) this.dueIn(Number(row.wait));
  }

  private async claimAndSend(): Promise<void> {
    const total = [...this.inFlight.values()].reduce((a, b) => a + b, 0);
    const room = this.options.concurrency - total;
    if (room <= 0) {
      this.backlog = true;
      return;
    }
    const busy = [...this.inFlight].filter(([, n]) => n >= this.options.perChannel).map(([id]) => id);
    const lease = this.options.timeoutMs + 5_000;
    const claimed = await this.em.fork().execute<Claimed[]>(`
      with due as (
        select id from delivery
        where status = 'PENDING' and next_attempt_at <= now() and not (channel_id = any(?::bigint[]))
        order by next_attempt_at, created_at limit ? for update skip locked)
      update delivery d set attempts = d.attempts + 1, next_attempt_at = now() + ? * interval '1 millisecond'
      from due, channel c where d.id = due.id and c.id = d.channel_id
      returning d.id::text, d.channel_id::text, d.attempts, d.event, d.event_seq::text, d.title, d.text, d.payload, c.kind::text, c.url, c.secret`,
    [`{${busy.join(',')}}`, room, lease]);
    // At most `perChannel` of one channel in this round too; the rest put back, due at once.
    const taken = new Map<string, number>();
    let putBack = 0;
    try {
      for (const row of claimed) {
        const n = (this.inFlight.get(row.channel_id) ?? 0) + (taken.get(row.channel_id) ?? 0);
        if (n >= this.options.perChannel) {
          await this.em.fork().execute('update delivery set attempts = attempts - 1, next_attempt_at = now() where id = ?', [row.id]);
          putBack += 1;
          continue;
        }
        taken.set(row.channel_id, (taken.get(row.channel_id) ?? 0) + 1);
        this.launch(row, lease);
      }
    } catch (error) {
      // The rows neither launched nor put back are due again when their lease lapses.
      this.dueIn(lease);
      throw error;
    }
    // Due ones may be left (of channels at their limit, past the room there was): an attempt's end claims again.
    this.backlog = busy.length > 0 || putBack > 0 || claimed.length >= room;
  }

  private launch(row: Claimed, lease: number): void {
    this.inFlight.set(row.channel_id, (this.inFlight.get(row.channel_id) ?? 0) + 1);
    const attempt = this.attempt(row)
      .then((retryIn) => { if (retryIn !== undefined) this.dueIn(retryIn); })
      .catch((error) => {
        console.error('recording a delivery attempt:', error instanceof Error ? error.message : error);
        // Its outcome unrecorded, the delivery is due again once its lease lapses (counted from the claim, which is past).
        this.dueIn(lease);
      })
      .finally(() => {
        const left = (this.inFlight.get(row.channel_id) ?? 1) - 1;
        if (left > 0) this.inFlight.set(row.channel_id, left);
        else this.inFlight.delete(row.channel_id);
        this.attempts.delete(attempt);
        if (this.backlog) this.claimNow = true;
        this.plan();
      });
    this.attempts.add(attempt);
  }

  /** Posts one delivery and records the outcome; returns the wait before its retry, if there is to be one. */
  private async attempt(row: Claimed): Promise<number | undefined> {
    const request = formatRequest({
      deliveryId: row.id, kind: row.kind, url: row.url, secret: row.secret, event: row.event, eventSeq: row.event_seq,
      eventType: String(row.payload.type ?? ''), title: row.title, text: row.text, payload: row.payload,
    } satisfies Outgoing, Date.now());
    let failure: string | undefined;
    try {
      const res = await fetch(request.url, {
        method: 'POST', headers: request.headers, body: request.body, redirect: 'manual', signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      failure = judgeAnswer(row.kind, res.status, await res.text());
    } catch (error) {
      failure = describe(error, this.options.timeoutMs);
    }
    const em = this.em.fork();
    if (!failure) {
      await em.execute(`update delivery set status = 'SENT', sent_at = now(), last_error = null where id = ?`, [row.id]);
    } else if (row.attempts >= this.options.maxAttempts) {
      await em.execute(`update delivery set status = 'FAILED', last_error = ? where id = ?`, [failure, row.id]);
    } else {
      const wait = Math.min(this.options.backoffMs * 2 ** (row.attempts - 1), 3_600_000);
      await em.execute(`update delivery set last_error = ?, next_attempt_at = now() + ? * interval '1 millisecond' where id = ?`, [failure, wait, row.id]);
      return wait;
    }
    return undefined;
  }

  /** Stops reading; attempts in flight finish (each within its time limit). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 10));
    await Promise.allSettled([...this.attempts]);
  }
}

/** Why a request failed, without its URL (a robot's carries its token). */
function describe(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e?.cause?.code ?? e?.cause?.message ?? (error instanceof Error ? error.name : 'error');
  return `could not send: ${String(cause).slice(0, 200)}`;
}
