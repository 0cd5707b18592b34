import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventBus } from './bus/bus';
import { OutboxEvent } from './outbox.entity';
import { outboxBounds } from './outbox.service';
import { Replays } from './replay';
import { batched } from '../../common/batches';

/** An outbox row with the object subscribers receive, built once for all of them; none for a fact only the projector reads. */
export interface StreamEvent<T = unknown> {
  seq: bigint;
  row: OutboxEvent;
  root: T | undefined;
}

/** Which events a subscriber wants: the outbox's columns, matched in SQL on replay and in memory live. */
export interface EventFilter {
  programmeId?: number;
  /** The region itself or one of its children; events of no region (a programme's) reach every region. */
  regionOrChildOf?: string;
  userId?: number;
  types?: string[];
}

export function matches(row: OutboxEvent, filter: EventFilter): boolean {
  if (filter.programmeId !== undefined && row.programmeId !== filter.programmeId) return false;
  if (filter.regionOrChildOf !== undefined && row.regionCode != null && row.regionCode !== filter.regionOrChildOf && row.parentCode !== filter.regionOrChildOf) return false;
  if (filter.userId !== undefined && row.userId !== filter.userId) return false;
  if (filter.types !== undefined && !filter.types.includes(row.type)) return false;
  return true;
}

export interface EventStreamOptions {
  /** Reads the outbox this often even without an announcement (a writer killed after its commit). */
  pollMs: number;
  /** Rows read per statement. */
  pageSize: number;
  /** Replay pages (`after:`) read at once, across the instance (4 by default). */
  maxReplays?: number;
}

/** Builds the subscribers' objects for a page of rows, once per row (undefined for a row no subscriber receives). */
export type EventBuilder = (em: EntityManager, rows: OutboxEvent[]) => Promise<unknown[]>;

/**
 * One per instance: follows the outbox in sequence order and hands every new event to this
 * instance's listeners. The bus only says "there is more"; the rows themselves come from the
 * outbox, so nothing is lost when an announcement is.
 */
export class EventStream {
  private headSeq = 0n;
  private readonly listeners = new Set<(event: StreamEvent) => void>();
  private readonly background = new Set<(event: StreamEvent) => void>();
  private readonly pokeHooks = new Set<(seq?: bigint) => void>();
  private draining: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private closing = false;
  /** Subscribers' replays: a page at a time, shared, a bounded number at once (replay.ts). */
  readonly replays: Replays;
  private readonly readBounds = batched(async () => new Map([[0, await outboxBounds(this.em.fork())]]));

  constructor(
    private readonly em: EntityManager,
    private readonly bus: EventBus,
    private readonly build: EventBuilder,
    private readonly options: EventStreamOptions = { pollMs: 1000, pageSize: 500 },
    private readonly onError: (error: unknown) => void = (error) => console.error('event stream:', error),
  ) {
    this.replays = new Replays((after, filter, upTo) => this.read(after, filter, upTo), options.pageSize, options.maxReplays ?? 4);
  }

  /** The last sequence handed to listeners. */
  get head(): bigint {
    return this.headSeq;
  }

  get busName(): string {
    return this.bus.name;
  }

  /**
   * The outbox's bounds (a resume cursor is checked against them): the subscribers that resume
   * together (a wall reconnecting) share one statement (common/batches.ts), and each reads bounds
   * taken after it asked.
   */
  async bounds(): Promise<{ lastSeq: bigint; prunedThrough: bigint }> {
    return (await this.readBounds(0))!;
  }

  /** Resolves when the bus is reachable and this instance listens on it. */
  pingBus(): Promise<void> {
    return this.bus.ping();
  }

  async start(): Promise<void> {
    this.headSeq = (await outboxBounds(this.em.fork())).lastSeq;
    await this.bus.subscribe((seq) => this.poke(seq));
    this.timer = setInterval(() => this.poke(), this.options.pollMs);
    this.timer.unref();
  }

  /** After a commit that appended events up to `seq`: tell every instance. */
  announce(seq: string | undefined): void {
    if (seq === undefined || this.stopped) return;
    this.bus.announce(seq).catch(this.onError);
    this.poke(seq);
  }

  /**
   * Hands every new event to `listener`. A `background` listener (the sockets' session watch) is
   * served as well but not counted in `listenerCount`, which counts subscribers.
   */
  listen(listener: (event: StreamEvent) => void, options: { background?: boolean } = {}): () => void {
    this.listeners.add(listener);
    if (options.background) this.background.add(listener);
    return () => {
      this.listeners.delete(listener);
      this.background.delete(listener);
    };
  }

  /** Subscribers listening now. */
  get listenerCount(): number {
    return this.listeners.size - this.background.size;
  }

  /** Calls `hook` whenever the outbox may have grown (an announcement, with its sequence; a poll, without): the projector's cue. */
  onPoke(hook: (seq?: bigint) => void): () => void {
    this.pokeHooks.add(hook);
    return () => this.pokeHooks.delete(hook);
  }

  /** Reads whatever is new; one reader at a time, and once more if poked while reading. */
  poke(seq?: string): void {
    if (this.stopped) return;
    // Parsed once for every hook; what is not a sequence of this outbox counts as a poll.
    const announced = seq !== undefined && /^[1-9]\d{0,18}$/.test(seq) ? BigInt(seq) : undefined;
    for (const hook of this.pokeHooks) hook(announced);
    // An announcement of what this instance has read already (its own, echoed by the bus) is no news.
    if (announced !== undefined && announced <= this.headSeq) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().catch(this.onError).finally(() => { this.draining = undefined; });
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      for (;;) {
        if (this.listeners.size === 0) {
          // Nobody listens here: move the head to the outbox's end, building nothing (a burst of
          // writes then costs this instance one statement). A listener that came meanwhile is served.
          const { lastSeq } = await outboxBounds(this.em.fork());
          if (this.listeners.size === 0) {
            if (lastSeq > this.headSeq) this.headSeq = lastSeq;
            break;
          }
        }
        const page = await this.read(this.headSeq, {});
        if (page.length === 0 || this.stopped) break;
        for (const event of page) {
          this.headSeq = event.seq;
          if (event.root === undefined) continue;
          for (const listener of this.listeners) listener(event);
        }
      }
    } while (this.again && !this.stopped);
  }

  /** Events after `after` that match, in sequence order, one page (built). */
  async read(after: bigint, filter: EventFilter, upTo?: bigint): Promise<StreamEvent[]> {
    const em = this.em.fork();
    const where: Record<string, unknown> = { seq: { $gt: String(after), ...(upTo !== undefined ? { $lte: String(upTo) } : {}) } };
    if (filter.programmeId !== undefined) where.programmeId = filter.programmeId;
    if (filter.regionOrChildOf !== undefined) where.$or = [{ regionCode: filter.regionOrChildOf }, { parentCode: filter.regionOrChildOf }, { regionCode: null }];
    if (filter.userId !== undefined) where.userId = filter.userId;
    if (filter.types !== undefined) where.type = { $in: filter.types };
    const rows = await em.find(OutboxEvent, where, { orderBy: { seq: 'asc' }, limit: this.options.pageSize });
    // bigint columns come back as strings, and sort as numbers in SQL.
    const roots = await this.build(em, rows);
    return rows.map((row, i) => ({ seq: BigInt(row.seq), row, root: roots[i] }));
  }

  /** Resolves once what this instance was told of has been read. */
  async settled(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** True once this instance is shutting down: subscriptions that end now need not say goodbye one by one. */
  get isClosing(): boolean {
    return this.closing || this.stopped;
  }

  /** Marks the start of shutdown (before the sockets close). */
  beginClosing(): void {
    this.closing = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.draining;
    await this.bus.close();
    this.listeners.clear();
    this.background.clear();
  }
}
