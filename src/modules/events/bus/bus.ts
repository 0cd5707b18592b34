/**
 * What tells the instances that the outbox has grown. It carries only the sequence: every instance
 * then reads the new rows from the outbox itself, in order, so an announcement lost (an instance
 * away, a writer killed after its commit) delays events until the next one or the next poll, and
 * never loses them.
 */
export interface EventBus {
  readonly name: string;
  /** Tells every instance, this one included, that the outbox reached `seq`. */
  announce(seq: string): Promise<void>;
  /** Calls `onSeq` for every announcement from now on. */
  subscribe(onSeq: (seq: string) => void): Promise<void>;
  /** Resolves when the bus is reachable and this instance is listening; rejects saying why not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const CHANNEL = 'duban_events';
