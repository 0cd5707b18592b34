/**
 * Reads by key in batches, one batch at a time: the keys asked for while a batch is being read go
 * into the next one, which starts once that read is done (or just after the current turn of the
 * event loop, when nothing is being read). A quiet server reads each key at once; a burst (a wall
 * of screens connecting together) is read in a few statements rather than one per caller. Every
 * caller's read starts after it asked, so it sees what was committed before; nothing is cached
 * between batches. A failed read fails its batch's callers only.
 */
export function batched<K, V>(read: (keys: K[]) => Promise<Map<K, V>>, maxBatch = 1000): (key: K) => Promise<V | undefined> {
  interface Batch {
    keys: Set<K>;
    rows: Promise<Map<K, V>>;
    start: () => void;
  }
  /** Batches not read yet, in order; the last one takes the keys asked for now. */
  const waiting: Batch[] = [];
  let reading = false;

  const open = (): Batch => {
    const keys = new Set<K>();
    let start!: () => void;
    const rows = new Promise<void>((resolve) => { start = resolve; }).then(() => read([...keys]));
    return { keys, rows, start };
  };
  const run = (): void => {
    const batch = waiting.shift();
    if (!batch) {
      reading = false;
      return;
    }
    batch.start();
    batch.rows.then(run, run);
  };

  return async (key: K) => {
    let batch = waiting[waiting.length - 1];
    if (!batch || batch.keys.size >= maxBatch) waiting.push((batch = open()));
    batch.keys.add(key);
    if (!reading) {
      reading = true;
      setImmediate(run);
    }
    return (await batch.rows).get(key);
  };
}
