import { BadInputError } from '../../core/errors';
import { isDatabaseUnavailable } from '../../db/unavailable';
import { matches, type EventFilter, type EventStream, type StreamEvent } from './event-stream';

/** A resume cursor older than what the outbox keeps. */
export class CursorExpiredError extends BadInputError {
  constructor(cursor: string) {
    super(`Cursor ${cursor} is older than the events this server keeps: reload the board, then subscribe without after`, 'after');
    this.extensions.reason = 'CURSOR_EXPIRED';
  }
}

/** Parses and checks a cursor against the outbox's bounds. */
export async function checkCursor(stream: EventStream, cursor: string): Promise<bigint> {
  if (!/^\d{1,19}$/.test(cursor)) throw new BadInputError(`after "${cursor.slice(0, 40)}" is not a cursor of this stream`, 'after');
  const after = BigInt(cursor);
  const { lastSeq, prunedThrough } = await stream.bounds();
  if (after > lastSeq) throw new BadInputError(`after ${cursor} is ahead of this stream (it is at ${lastSeq})`, 'after');
  if (after < prunedThrough) throw new CursorExpiredError(cursor);
  return after;
}

export interface FollowOptions {
  /** Events waiting for a subscriber that does not keep up, at most; past it, `onOverflow` and the end. */
  maxQueued: number;
  onOverflow: () => void;
  /** Called once when the subscriber goes (returns, overflows, or the server stops). */
  onEnd?: () => void;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
/** How long a replay waits before reading again when the database cannot be reached. */
const REPLAY_RETRY_MS = 500;

/**
 * What a waiting event may be merged by: a ProgressChanged is the state of one indicator in one
 * region, so a later one of the same pair replaces an earlier one not yet sent. Others never merge.
 */
function mergeKey(event: StreamEvent): string | undefined {
  return event.row.type === 'ProgressChanged' ? `${String(event.row.payload.indicatorId)}|${event.row.regionCode}` : undefined;
}

/**
 * The events matching `filter`: with `after`, first every one after it from the outbox, then the
 * live stream, with no gap and no repeat (live events are queued from before the replay starts,
 * and any the replay already gave are skipped by sequence). Without `after`, from now on.
 * A subscriber that falls behind has its waiting ProgressChanged of one indicator and region merged
 * into the latest (figures are states, not deltas; the cursor is the latest's); nothing else is
 * dropped, and past `maxQueued` waiting events it is cut off.
 * An iterator rather than a generator, so that `return()` ends a subscriber waiting for events at
 * once; a class, so that thousands of idle subscribers share its methods, and one waiting holds a
 * single promise.
 */
export function follow(stream: EventStream, filter: EventFilter, after: bigint | undefined, options: FollowOptions): AsyncIterableIterator<unknown> {
  return new Follower(stream, filter, after, options);
}

class Follower implements AsyncIterableIterator<unknown> {
  private readonly queue: StreamEvent[] = [];
  // Only while the subscriber is behind (events wait in its queue): the waiting ProgressChanged per
  // indicator × region, and those a later one replaced. A subscriber that keeps up has neither.
  private waiting: Map<string, StreamEvent> | undefined;
  private merged: Set<StreamEvent> | undefined;
  private wake: (() => void) | undefined;
  /** A consumer taking events without a promise each (poll): called once when there may be one. */
  private ready: (() => void) | undefined;
  private finished = false;
  private overflowed = false;
  private last: bigint;
  private replaying: boolean;
  private replayed: StreamEvent[] = [];
  private readonly replayUntil: bigint;
  private replayedThrough: bigint;
  private readonly stop: () => void;

  constructor(private readonly stream: EventStream, private readonly filter: EventFilter, after: bigint | undefined, private readonly options: FollowOptions) {
    this.last = after ?? stream.head;
    this.replaying = after !== undefined;
    this.stop = stream.listen((event) => this.push(event));
    // Listening from here (in the same tick): every event after the head now comes live; the
    // replay reads the outbox up to it, a page at a time, shared with other replays of the same page.
    this.replayUntil = stream.head;
    this.replayedThrough = after ?? this.replayUntil;
  }

  private push(event: StreamEvent): void {
    if (this.finished || this.overflowed || !matches(event.row, this.filter)) return;
    const { queue } = this;
    if (queue.length - (this.merged?.size ?? 0) >= this.options.maxQueued) {
      this.overflowed = true;
      queue.length = 0;
      this.options.onOverflow();
    } else {
      if (queue.length > 0) {
        // Behind: what waits is indexed (once), then this event may replace one of it.
        if (!this.waiting) {
          this.waiting = new Map();
          this.merged = new Set();
          for (const e of queue) this.index(e);
        }
        this.index(event);
      }
      queue.push(event);
    }
    this.signal();
  }

  private signal(): void {
    const ready = this.ready;
    if (ready) {
      this.ready = undefined;
      ready();
    }
    this.wake?.();
  }

  private index(event: StreamEvent): void {
    const key = mergeKey(event);
    if (key === undefined) return;
    const earlier = this.waiting!.get(key);
    if (earlier) this.merged!.add(earlier);
    this.waiting!.set(key, event);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stop();
    this.options.onEnd?.();
    this.queue.length = 0;
    this.waiting = undefined;
    this.merged = undefined;
    this.signal();
  }

  next(): Promise<IteratorResult<unknown>> {
    return this.replaying && !this.finished ? this.replay() : this.live();
  }

  /** True once any replay is over: from then on `poll` may be used instead of `next`. */
  get isLive(): boolean {
    return !this.replaying || this.finished;
  }

  /**
   * `next()` without a promise, for a consumer that takes thousands of subscribers' events in one
   * turn (the WebSocket fan-out): the next event or the end now, or undefined, and then `ready`
   * is called once when there may be one. Only once live (`isLive`).
   */
  poll(ready: () => void): IteratorResult<unknown> | undefined {
    const now = this.take();
    if (!now) this.ready = ready;
    return now;
  }

  /** The outbox after the cursor, a page at a time, up to where the live stream began; then live. */
  private async replay(): Promise<IteratorResult<unknown>> {
    while (this.replaying && !this.finished) {
      if (this.replayed.length === 0) {
        if (this.replayedThrough >= this.replayUntil) {
          this.replaying = false;
          break;
        }
        let page;
        try {
          page = await this.stream.replays.page(this.replayedThrough, this.filter);
        } catch (error) {
          // The database away for a moment (restarting): the replay waits for it rather than ending.
          if (!isDatabaseUnavailable(error)) throw error;
          await new Promise((resolve) => setTimeout(resolve, REPLAY_RETRY_MS));
          continue;
        }
        this.replayedThrough = page.through;
        this.replayed = [...page.events];
        continue;
      }
      const event = this.replayed.shift();
      if (event) {
        this.last = event.seq;
        if (event.root === undefined) continue;
        return { done: false, value: event.root };
      }
    }
    return this.live();
  }

  /** The next queued event, or a promise of it (woken by the next event or the end). */
  private live(): Promise<IteratorResult<unknown>> {
    const now = this.take();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      // Woken by each event for this subscriber (and by the end): resolved with the first it may take.
      this.wake = () => {
        const next = this.take();
        if (!next) return;
        this.wake = undefined;
        resolve(next);
      };
    });
  }

  /** The next event to give, the end, or undefined while there is none. */
  private take(): IteratorResult<unknown> | undefined {
    const { queue } = this;
    while (!this.finished) {
      const event = queue.shift();
      if (event) {
        if (this.merged?.delete(event)) continue;
        if (queue.length === 0) {
          // Caught up: nothing waits, so nothing to merge into.
          this.waiting = undefined;
          this.merged = undefined;
        } else if (this.waiting) {
          const key = mergeKey(event);
          if (key !== undefined && this.waiting.get(key) === event) this.waiting.delete(key);
        }
        if (event.seq <= this.last) continue;
        this.last = event.seq;
        return { done: false, value: event.root };
      }
      if (this.overflowed) break;
      return undefined;
    }
    this.finish();
    return DONE;
  }

  async return(): Promise<IteratorResult<unknown>> {
    this.finish();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<unknown>> {
    this.finish();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this;
  }
}
