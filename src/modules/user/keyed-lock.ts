/**
 * One holder at a time per key, in this process, in the order they asked. For work that would
 * otherwise wait on a database lock while holding a pooled connection: a burst for one key then
 * waits here, holding nothing, and the pool stays free for every other key.
 *
 * The holders of one key that follow each other without a pause share a `state` object: it lives
 * while the key has a holder or a waiter and is gone once none is left, so what one holder learnt
 * (the key is at its limit) serves the rest of its burst, never a later request.
 */
export class KeyedLock<State extends object = Record<string, unknown>> {
  private readonly keys = new Map<string, { tail: Promise<void>; state: State }>();

  constructor(private readonly initial: () => State = () => ({}) as State) {}

  async run<T>(key: string, work: (state: State) => Promise<T>): Promise<T> {
    const entry = this.keys.get(key);
    const before = entry?.tail ?? Promise.resolve();
    const state = entry?.state ?? this.initial();
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const tail = before.then(() => held);
    this.keys.set(key, { tail, state });
    await before;
    try {
      return await work(state);
    } finally {
      release();
      if (this.keys.get(key)?.tail === tail) this.keys.delete(key);
    }
  }

  /** Keys held or waited for now. */
  get size(): number {
    return this.keys.size;
  }
}
