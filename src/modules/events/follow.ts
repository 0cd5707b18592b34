import { BadInputError } from '../../server/errors';
import type { EntityManager } from '@mikro-orm/postgresql';
import { matches, type EventFilter, type EventStream, type StreamEvent } from './event-stream';
import { outboxBounds } from './outbox.service';

/** A resume cursor older than what the outbox keeps. */
export class CursorExpiredError extends BadInputError {
  constructor(cursor: string) {
    super(`Cursor ${cursor} is older than the events this server keeps: reload the board, then subscribe without after`, 'after');
    this.extensions.reason = 'CURSOR_EXPIRED';
  }
}

/** Parses and checks a cursor against the outbox's bounds. */
export async function checkCursor(em: EntityManager, cursor: string): Promise<bigint> {
  if (!/^\d{1,19}$/.test(cursor)) throw new BadInputError(`after "${cursor.slice(0, 40)}" is not a cursor of this stream`, 'after');
  const after = BigInt(cursor);
  const { lastSeq, prunedThrough } = await outboxBounds(em);
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

/**
 * The events matching `filter`: with `after`, first every one after it from the outbox, then the
 * live stream, with no gap and no repeat (live events are queued from before the replay starts,
 * and any the replay already gave are skipped by sequence). Without `after`, from now on.
 * An iterator rather than a generator, so that `return()` ends a subscriber waiting for events at once.
 */
export function follow(stream: EventStream, filter: EventFilter, after: bigint | undefined, options: FollowOptions): AsyncIterableIterator<unknown> {
  const queue: StreamEvent[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let overflowed = false;
  let last = after ?? stream.head;
  let replaying = after !== undefined;
  let replayed: StreamEvent[] = [];

  const stop = stream.listen((event) => {
    if (finished || overflowed || !matches(event.row, filter)) return;
    if (queue.length >= options.maxQueued) {
      overflowed = true;
      queue.length = 0;
      options.onOverflow();
    } else {
      queue.push(event);
    }
    wake?.();
  });
  const finish = () => {
    if (finished) return;
    finished = true;
    stop();
    options.onEnd?.();
    queue.length = 0;
    wake?.();
  };

  const iterator: AsyncIterableIterator<unknown> = {
    async next(): Promise<IteratorResult<unknown>> {
      while (replaying && !finished) {
        if (replayed.length === 0) {
          replayed = await stream.read(last, filter);
          if (replayed.length === 0) replaying = false;
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
