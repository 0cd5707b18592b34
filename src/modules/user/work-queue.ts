/** Thrown by `WorkQueue.run` when as many jobs are waiting as the queue holds. */
export class QueueFullError extends Error {
  constructor() {
    super('The queue is full');
    this.name = 'QueueFullError';
  }
}

export interface WorkQueueOptions {
  /** Jobs running at once. */
  concurrency: number;
  /** Jobs waiting for a turn; one more is refused with a QueueFullError. */
  maxWaiting: number;
}

interface Waiting {
  start(): void;
}

/**
 * Runs jobs with bounded concurrency behind a bounded queue, taking turns between keys: a key with
 * many jobs waiting (one account under attack) waits behind every other key's next job, so another
 * caller waits for at most the jobs already running, never for the whole burst.
 */
export class WorkQueue {
  private running = 0;
  private waitingCount = 0;
  /** Waiting jobs by key; the Map's order is the order of turns. */
  private readonly waiting = new Map<string, Waiting[]>();

  constructor(private readonly options: WorkQueueOptions) {
    if (options.concurrency < 1 || options.maxWaiting < 0) throw new RangeError('concurrency must be 1 or more, maxWaiting 0 or more');
  }

  /** Jobs running and waiting now. */
  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waitingCount };
  }

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    if (this.running < this.options.concurrency && this.waitingCount === 0) return this.start(job);
    if (this.waitingCount >= this.options.maxWaiting) return Promise.reject(new QueueFullError());
    return new Promise<T>((resolve, reject) => {
      const queue = this.waiting.get(key) ?? [];
      queue.push({ start: () => this.start(job).then(resolve, reject) });
      this.waiting.set(key, queue);
      this.waitingCount += 1;
    });
  }

  private start<T>(job: () => Promise<T>): Promise<T> {
    this.running += 1;
    let promise: Promise<T>;
    try {
      promise = job();
    } catch (err) {
      promise = Promise.reject(err);
    }
    return promise.finally(() => {
      this.running -= 1;
      this.next();
    });
  }

  /** Starts the next key's oldest job; that key then goes to the back of the turns. */
  private next(): void {
    const first = this.waiting.entries().next();
    if (first.done) return;
    const [key, queue] = first.value;
    const job = queue.shift()!;
    this.waiting.delete(key);
    if (queue.length > 0) this.waiting.set(key, queue);
    this.waitingCount -= 1;
    job.start();
  }
}
