import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import { appendEvents, type NewEvent } from './outbox.service';

/** What a service appends to inside its transaction: the facts and events of its write. */
export interface Outbox {
  add(...events: NewEvent[]): void;
}

/** Told the last sequence a committed unit appended (every instance then reads the outbox). */
export type Announce = (seq: string) => void;

interface Open {
  tx: EntityManager;
  events: NewEvent[];
}

/**
 * A unit of work: the EntityManager and clock a service reads with, and `transaction`, which gives
 * the service its transaction and an outbox. The outbox's events are appended in that transaction
 * (they commit with the write or not at all), and once it commits the sequence is announced, here
 * and nowhere else: services return domain values only.
 *
 * A unit opened inside another's transaction (`savepoint`: an import's row) runs its transactions as
 * savepoints of that one, and its events join the outer unit's only if the savepoint stays; the
 * outer unit appends them all at its commit, once.
 */
export class UnitOfWork {
  private open: Open | undefined;
  private lastSeq: string | undefined;

  private constructor(
    readonly em: EntityManager,
    readonly clock: Clock,
    private readonly announce: Announce | undefined,
    /** The events of the enclosing savepoint, for a unit inside another's transaction. */
    private readonly enclosing: NewEvent[] | undefined,
  ) {}

  /** A unit of its own: `transaction` commits, appends and announces. */
  static root(em: EntityManager, clock: Clock, announce?: Announce): UnitOfWork {
    return new UnitOfWork(em, clock, announce, undefined);
  }

  /** The last sequence this unit appended (read-your-writes: a read after it may wait for the projection to reach it). */
  get appendedThrough(): string | undefined {
    return this.lastSeq;
  }

  /** Runs `work` in one transaction with an outbox; appends its events before the commit, announces after. */
  async transaction<T>(work: (tx: EntityManager, outbox: Outbox) => Promise<T>): Promise<T> {
    if (this.open) {
      // Already inside this unit's transaction: join it.
      const open = this.open;
      return work(open.tx, { add: (...events) => open.events.push(...events) });
    }
    const events: NewEvent[] = [];
    const outbox: Outbox = { add: (...added) => events.push(...added) };
    if (this.enclosing) {
      const enclosing = this.enclosing;
      const result = await this.em.transactional((tx) => work(tx, outbox));
      enclosing.push(...events);
      return result;
    }
    let seq: string | undefined;
    const result = await this.em.transactional(async (tx) => {
      this.open = { tx, events };
      try {
        const value = await work(tx, outbox);
        seq = await appendEvents(tx, events, this.clock.now());
        return value;
      } finally {
        this.open = undefined;
      }
    });
    if (seq !== undefined) {
      this.lastSeq = seq;
      this.announce?.(seq);
    }
    return result;
  }

  /**
   * Inside this unit's transaction: runs `work` with a unit of its own (its own identity map) in a
   * savepoint. Its events join this unit's only if `work` returns; a throw undoes the savepoint
   * and drops them.
   */
  async savepoint<T>(work: (unit: UnitOfWork) => Promise<T>): Promise<T> {
    const open = this.open;
    if (!open) throw new Error('savepoint outside a transaction of its unit of work');
    const rowEm = open.tx.fork({ keepTransactionContext: true });
    const events: NewEvent[] = [];
    const result = await rowEm.transactional((savepoint) => work(new UnitOfWork(savepoint, this.clock, undefined, events)));
    open.events.push(...events);
    return result;
  }
}
