import { QueueFullError, WorkQueue } from '../src/modules/user/work-queue';

/** The queue that password checks wait in: bounded concurrency, a bounded queue, turns by key. */

interface Job {
  key: string;
  n: number;
  release(): void;
}

/** A queue whose jobs run until the test releases them, recording the order in which they start. */
function harness(concurrency: number, maxWaiting: number) {
  const queue = new WorkQueue({ concurrency, maxWaiting });
  const started: Job[] = [];
  let maxRunning = 0;
  const run = (key: string, n: number) => queue.run(key, () => new Promise<string>((resolve) => {
    started.push({ key, n, release: () => resolve(`${key}${n}`) });
    maxRunning = Math.max(maxRunning, queue.stats.running);
  }));
  /** Releases the oldest running job and lets the queue start the next one. */
  const releaseOldest = async (done: Set<Job>) => {
    const job = started.find((j) => !done.has(j))!;
    done.add(job);
    job.release();
    await new Promise((r) => setImmediate(r));
  };
  return { queue, started, run, releaseOldest, maxRunning: () => maxRunning };
}

describe('WorkQueue', () => {
  it('runs at most `concurrency` jobs at once, and every job in the end', async () => {
    const h = harness(2, 100);
    const results = Array.from({ length: 20 }, (_, i) => h.run(`k${i % 3}`, i));
    expect(h.started).toHaveLength(2);
    expect(h.queue.stats).toEqual({ running: 2, waiting: 18 });
    const done = new Set<Job>();
    while (done.size < 20) await h.releaseOldest(done);
    expect(new Set(await Promise.all(results)).size).toBe(20);
    expect(h.maxRunning()).toBe(2);
    expect(h.queue.stats).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses a job when the queue is full, and takes one again once there is room', async () => {
    const h = harness(2, 3);
    const accepted = Array.from({ length: 5 }, (_, i) => h.run('a', i));
    await expect(h.run('b', 99)).rejects.toBeInstanceOf(QueueFullError);
    expect(h.queue.stats).toEqual({ running: 2, waiting: 3 });
    const done = new Set<Job>();
    await h.releaseOldest(done);
    const later = h.run('b', 100);
    expect(h.queue.stats).toEqual({ running: 2, waiting: 3 });
    while (done.size < 6) await h.releaseOldest(done);
    await expect(later).resolves.toBe('b100');
    await Promise.all(accepted);
  });

  it('lets another key go next, however many jobs one key has waiting', async () => {
    const h = harness(2, 300);
    const burst = Array.from({ length: 200 }, (_, i) => h.run('victim', i));
    const other = h.run('other', 0);
    const done = new Set<Job>();
    // The two running jobs end; the victim's next one and then the other key's start.
    await h.releaseOldest(done);
    await h.releaseOldest(done);
    const keys = h.started.map((j) => j.key);
    expect(keys.indexOf('other')).toBeGreaterThanOrEqual(0);
    expect(keys.indexOf('other')).toBeLessThanOrEqual(3);
    while (done.size < 201) await h.releaseOldest(done);
    await Promise.all([...burst, other]);
  });

  it('passes on a job that fails, and goes on with the next', async () => {
    const queue = new WorkQueue({ concurrency: 1, maxWaiting: 5 });
    const failing = queue.run('a', () => Promise.reject(new Error('scrypt failed')));
    const throwing = queue.run('a', () => { throw new Error('thrown'); });
    const next = queue.run('b', async () => 'ok');
    await expect(failing).rejects.toThrow('scrypt failed');
    await expect(throwing).rejects.toThrow('thrown');
    await expect(next).resolves.toBe('ok');
    expect(queue.stats).toEqual({ running: 0, waiting: 0 });
  });
});
