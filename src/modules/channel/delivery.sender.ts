import type { EntityManager } from '@mikro-orm/postgresql';
import type { ChannelKind } from './channel.entity';
import { formatRequest, judgeAnswer, type Outgoing } from './channel.format';
import { followOutbox } from './delivery.follower';

export interface DeliveryOptions {
  /** How often the outbox and the queue are read without a wake-up, in ms. */
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
}

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

/**
 * This instance's delivery loop: turns the outbox into deliveries, claims the due ones
 * (`FOR UPDATE SKIP LOCKED`, leased for the attempt's time limit, so another instance or a restart
 * takes them up only if this one dies) and posts each, concurrently, bounded overall and per
 * channel. A failure is retried after an exponential backoff until `maxAttempts`; at least once,
 * with the delivery id for the receiver to de-duplicate.
 */
export class DeliveryLoop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  private readonly inFlight = new Map<string, number>();
  private readonly attempts = new Set<Promise<void>>();

  constructor(private readonly em: EntityManager, private readonly options: DeliveryOptions) {}

  start(): void {
    this.schedule(0);
  }

  /** Reads at once (an event was appended). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      while (!this.stopped && (await followOutbox(this.em)) >= 0) { /* page after page */ }
      await this.claimAndSend();
    } catch (error) {
      if (!this.stopped) console.error('delivering messages:', error instanceof Error ? error.message : error);
    } finally {
      this.running = false;
      const again = this.again;
      this.again = false;
      this.schedule(again ? 0 : this.options.pollMs);
    }
  }

  private async claimAndSend(): Promise<void> {
    const total = [...this.inFlight.values()].reduce((a, b) => a + b, 0);
    const room = this.options.concurrency - total;
    if (room <= 0) return;
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
    // At most `perChannel` of one channel in this round too.
    const taken = new Map<string, number>();
    for (const row of claimed) {
      const n = (this.inFlight.get(row.channel_id) ?? 0) + (taken.get(row.channel_id) ?? 0);
      if (n >= this.options.perChannel) {
        await this.em.fork().execute('update delivery set attempts = attempts - 1, next_attempt_at = now() where id = ?', [row.id]);
        continue;
      }
      taken.set(row.channel_id, (taken.get(row.channel_id) ?? 0) + 1);
      this.launch(row);
    }
  }

  private launch(row: Claimed): void {
    this.inFlight.set(row.channel_id, (this.inFlight.get(row.channel_id) ?? 0) + 1);
    const attempt = this.attempt(row)
      .catch((error) => console.error('recording a delivery attempt:', error instanceof Error ? error.message : error))
      .finally(() => {
        const left = (this.inFlight.get(row.channel_id) ?? 1) - 1;
        if (left > 0) this.inFlight.set(row.channel_id, left);
        else this.inFlight.delete(row.channel_id);
        this.attempts.delete(attempt);
        this.poke();
      });
    this.attempts.add(attempt);
  }

  private async attempt(row: Claimed): Promise<void> {
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
    }
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
