import type { ApolloServerPlugin } from '@apollo/server';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { RateLimitedError } from '../core/errors';
import type { Context } from '../core/context';

/**
 * How many operations each caller has running, HTTP and WebSocket together; one past the bound
 * is refused at once with RATE_LIMITED (`retryAfterSeconds: 1`) rather than queued, so that one
 * user cannot take the pool's connections from everyone else.
 */
export class InFlight {
  private readonly running = new Map<string, number>();

  constructor(readonly max: number) {}

  /** The caller of a context: its user, else its address (before login). */
  static keyOf(ctx: Pick<Context, 'user' | 'clientAddress'>): string {
    return ctx.user ? `user:${ctx.user.id}` : `address:${ctx.clientAddress ?? 'unknown'}`;
  }

  /** Counts one more operation for `key`, and returns its release (once); throws past the bound. */
  enter(key: string): () => void {
    const now = this.running.get(key) ?? 0;
    if (now >= this.max) {
      throw new RateLimitedError(`At most ${this.max} operations of yours may run at once; wait for one to finish`, 1);
    }
    this.running.set(key, now + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
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
   * On the WebSocket: graphql-ws's `execute` and `subscribe`, counted while they run (a query or
   * mutation until its result; a subscription while it starts; its replay is bounded apart).
   */
  wrap<T extends ExecutionResult | AsyncIterableIterator<ExecutionResult>>(run: (args: ExecutionArgs) => Promise<T> | T) {
    return async (args: ExecutionArgs): Promise<T | ExecutionResult> => {
      let release: () => void;
      try {
        release = this.enter(InFlight.keyOf(args.contextValue as Context));
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
