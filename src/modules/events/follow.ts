import { BadInputError } from '../../server/errors';
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
 * An iterator rather than a generator, so that `return()` ends a subscriber waiting for events at once.
 */
export function follow(stream: EventStream, filter: EventFilter, after: bigint | undefined, options: FollowOptions): AsyncIterableIterator<unknown> {
  const queue: StreamEvent[] = [];
  // Only while the subscriber is behind (events wait in its queue): the waiting ProgressChanged per
  // indicator × region, and those a later one replaced. A subscriber that keeps up has neither.
  let waiting: Map<string, StreamEvent> | undefined;
  let merged: Set<StreamEvent> | undefined;
  const index = (event: StreamEvent) => {
    const key = mergeKey(event);
    if (key === undefined) return;
    const earlier = waiting!.get(key);
    if (earlier) merged!.add(earlier);
    waiting!.set(key, event);
  };
  let wake: (() => void) | undefined;
  let finished = false;
  let overflowed = false;
  let last = after ?? stream.head;
  let replaying = after !== undefined;
  let replayed: StreamEvent[] = [];
  const stop = stream.listen((event) => {
    if (finished || overflowed || !matches(event.row, filter)) return;
    if (queue.length - (merged?.size ?? 0) >= options.maxQueued) {
      overflowed = true;
      queue.length = 0;
      options.onOverflow();
    } else {
      if (queue.length > 0) {
        // Behind: what waits is indexed (once), then this event may replace one of it.
        if (!waiting) {
          waiting = new Map();
          merged = new Set();
          for (const e of queue) index(e);
        }
        index(event);
      }
      queue.push(event);
    }
    wake?.();
  });
  // Listening from here (in the same tick): every event after the head now comes live; the
  // replay reads the outbox up to it, a page at a time, shared with other replays of the same page.
  const replayUntil = stream.head;
  let replayedThrough = after ?? replayUntil;
  const finish = () => {
    if (finished) return;
    finished = true;
    stop();
    options.onEnd?.();
    queue.length = 0;
    waiting = undefined;
    merged = undefined;
    wake?.();
  };

  const iterator: AsyncIterableIterator<unknown> = {
    async next(): Promise<IteratorResult<unknown>> {
      while (replaying && !finished) {
        if (replayed.length === 0) {
          if (replayedThrough >= replayUntil) {
            replaying = false;
            break;
          }
          let page;
          try {
            page = await stream.replays.page(replayedThrough, filter);
          } catch (error) {
            // The database away for a moment (restarting): the replay waits for it rather than ending.
            if (!isDatabaseUnavailable(error)) throw error;
            await new Promise((resolve) => setTimeout(resolve, REPLAY_RETRY_MS));
            continue;
          }
          replayedThrough = page.through;
          replayed = [...page.events];
          continue;
        }
        const event = replayed.shift();
        if (event) {
          last = event.seq;
          if (event.root === undefined) continue;
          return { done: false, value: event.root };
        }
      }
      while (!finished) {
        const event = queue.shift();
        if (event) {
          if (merged?.delete(event)) continue;
          if (queue.length === 0) {
            // Caught up: nothing waits, so nothing to merge into.
            waiting = undefined;
            merged = undefined;
          } else if (waiting) {
            const key = mergeKey(event);
            if (key !== undefined && waiting.get(key) === event) waiting.delete(key);
          }
          if (event.seq <= last) continue;
          last = event.seq;
          return { done: false, value: event.root };
        }
        if (overflowed) break;
        await new Promise<void>((resolve) => { wake = resolve; });
        wake = undefined;
      }
      finish();
      return DONE;
    },
    async return() {
      finish();
      return DONE;
    },
    async throw(error: unknown) {
      finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
