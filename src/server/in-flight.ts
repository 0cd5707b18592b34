import type { ApolloServerPlugin } from '@apollo/server';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { RateLimitedError } from '../core/errors';
import type { Context } from '../core/context';

/**
 * How many operations each caller has running, HTTP and WebSocket together; one past the bound
 * is refused at once with RATE_LIMITED (`retryAfterSeconds: 1`) rather than queued, so that one
 * user cannot take the pool's connections from everyone else.
 */
/** How long a subscription's start may wait for a slot of its caller, in ms. */
const WAIT_MS = 10_000;
/** Starts waiting per caller, at most, per slot of the bound. */
const WAITING_PER_SLOT = 64;

export class InFlight {
  private readonly running = new Map<string, number>();
  /** Per caller, the subscription starts waiting for a slot, first come first served. */
  private readonly waiting = new Map<string, ((release: () => void) => void)[]>();

  constructor(readonly max: number) {}

  /** The caller of a context: its user, else its address (before login). */
  static keyOf(ctx: Pick<Context, 'user' | 'clientAddress'>): string {
    return ctx.user ? `user:${ctx.user.id}` : `address:${ctx.clientAddress ?? 'unknown'}`;
  }

  /** Counts one more operation for `key`, and returns its release (once); throws past the bound. */
  enter(key: string): () => void {
    const now = this.running.get(key) ?? 0;
    if (now >= this.max) throw this.refusal();
    this.running.set(key, now + 1);
    return this.slot(key);
  }

  /**
   * As `enter`, but past the bound it waits for one of the caller's operations to finish (up to
   * 10 s, and at most 64 waiting per slot): for subscriptions starting, which a wall of screens on
   * one account sends all at once when it reconnects. Refused as `enter` refuses past either.
   */
  enterWhenFree(key: string): Promise<() => void> {
    if ((this.running.get(key) ?? 0) < this.max) return Promise.resolve(this.enter(key));
    const queue = this.waiting.get(key) ?? [];
    if (queue.length >= this.max * WAITING_PER_SLOT) return Promise.reject(this.refusal());
    this.waiting.set(key, queue);
    return new Promise((resolve, reject) => {
      const waiter = (release: () => void) => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        if (queue.length === 0 && this.waiting.get(key) === queue) this.waiting.delete(key);
        reject(this.refusal());
      }, WAIT_MS);
      queue.push(waiter);
    });
  }

  private refusal(): RateLimitedError {
    return new RateLimitedError(`At most ${this.max} operations of yours may run at once; wait for one to finish`, 1);
  }

  /** One counted operation's release: its slot goes to the first start waiting, else back. */
  private slot(key: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const queue = this.waiting.get(key);
      const next = queue?.shift();
      if (queue?.length === 0) this.waiting.delete(key);
      if (next) {
        next(this.slot(key));
        return;
      }
      const left = (this.running.get(key) ?? 1) - 1;
      if (left <= 0) this.running.delete(key);
      else this.running.set(key, left);
    };
  }

  /** Operations running for `key` now. */
  count(key: string): number {
    return this.running.get(key) ?? 0;
  }

  /** On HTTP: counted once Apollo knows the operation, released when the response is sent. */
  apolloPlugin(): ApolloServerPlugin<Context> {
    return {
      requestDidStart: async () => {
        let release: (() => void) | undefined;
        return {
          didResolveOperation: async ({ contextValue, response }) => {
            try {
              release = this.enter(InFlight.keyOf(contextValue));
            } catch (error) {
              // Apollo answers an error from this hook with 500 unless told otherwise.
              response.http.status = 429;
              response.http.headers.set('retry-after', '1');
              throw error;
            }
          },
          willSendResponse: async () => { release?.(); },
        };
      },
    };
  }

  /**
   * On live connections: graphql-ws's `execute` and `subscribe`, and the event streams' `subscribe`,
   * counted while they run (a query or mutation until its result; a subscription while it starts,
   * waiting for a slot past the bound (`waits`); its replay is bounded apart).
   */
  wrap<T extends ExecutionResult | AsyncIterableIterator<ExecutionResult>>(run: (args: ExecutionArgs) => Promise<T> | T, options: { waits?: boolean } = {}) {
    return async (args: ExecutionArgs): Promise<T | ExecutionResult> => {
      let release: () => void;
      try {
        const key = InFlight.keyOf(args.contextValue as Context);
        release = options.waits ? await this.enterWhenFree(key) : this.enter(key);
      } catch (error) {
        return { errors: [error as RateLimitedError] };
      }
      try {
        return await run(args);
      } finally {
        release();
      }
    };
  }
}
