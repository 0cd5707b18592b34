import { EventEmitter, on } from 'node:events';
import type { BoardEvent } from './board.types';

/**
 * Fans board events out to this process's subscribers. Each event is built once, by the writer,
 * and the same object reaches every subscriber. In-process and live only: events published while
 * a client is away are not kept.
 */
export class LiveHub {
  private readonly emitter = new EventEmitter({ captureRejections: false });
  private sequence = 0;

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** A cursor for the next event, strictly increasing within this process. */
  nextCursor(): string {
    this.sequence += 1;
    return String(this.sequence);
  }

  /** How many subscribers listen now. */
  subscriberCount(): number {
    return this.emitter.listenerCount('event');
  }

  publish(event: BoardEvent): void {
    this.emitter.emit('event', event);
  }

  /** Every event published from now on, until the consumer returns. */
  async *events(signal?: AbortSignal): AsyncGenerator<BoardEvent> {
    try {
      for await (const [event] of on(this.emitter, 'event', { signal })) yield event as BoardEvent;
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    }
  }
}
