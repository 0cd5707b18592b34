import type { EventFilter, StreamEvent } from './event-stream';

/** At most `max` holders at once; the others wait in order. */
export class Semaphore {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly max: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.held >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.held += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The permit passes to the next in line as it is; else it is given back.
      if (next) next();
      else this.held -= 1;
    }
  }

  /** Holders now, and how many wait. */
  get state(): { running: number; waiting: number } {
    return { running: this.held, waiting: this.waiting.length };
  }
}

/** One page of a replay: the events after the cursor in one window of sequences, and where the window ends. */
export interface ReplayPage {
  events: StreamEvent[];
  /** The window's last sequence: the next page starts after it. */
  through: bigint;
}

type Read = (after: bigint, filter: EventFilter, upTo: bigint) => Promise<StreamEvent[]>;

const filterKey = (f: EventFilter) => JSON.stringify([f.programmeId ?? null, f.regionOrChildOf ?? null, f.userId ?? null, f.types ?? null]);

/**
 * The outbox read for subscribers that resume (`after:`), a window of `pageSize` sequences at a
 * time: windows are aligned on multiples of the page size, so replays from nearby cursors read
 * the same windows, and concurrent replays of one window with one filter share a single read (and
 * the events built from it). At most `maxConcurrent` windows are read at once, across the instance:
 * a thousand boards resuming together queue for the pool instead of taking it.
 */
export class Replays {
  private readonly reading = new Map<string, Promise<StreamEvent[]>>();
  private readonly limit: Semaphore;
  /** Window reads done (each shared by however many asked for it), and pages asked, for tests and metrics. */
  reads = 0;
  asked = 0;

  constructor(private readonly read: Read, private readonly pageSize: number, maxConcurrent: number) {
    this.limit = new Semaphore(maxConcurrent);
  }

  get state(): { running: number; waiting: number; shared: number } {
    return { ...this.limit.state, shared: this.reading.size };
  }

  /** The events after `after` in the window that holds the next sequence, matching `filter`. */
  async page(after: bigint, filter: EventFilter): Promise<ReplayPage> {
    const size = BigInt(this.pageSize);
    const start = (after / size) * size;
    const through = start + size;
    const key = `${start}|${filterKey(filter)}`;
    this.asked += 1;
    let rows = this.reading.get(key);
    if (!rows) {
      rows = this.limit.run(() => { this.reads += 1; return this.read(start, filter, through); });
      this.reading.set(key, rows);
      const done = () => { if (this.reading.get(key) === rows) this.reading.delete(key); };
      rows.then(done, done);
    }
    return { events: (await rows).filter((e) => e.seq > after), through };
  }
}
