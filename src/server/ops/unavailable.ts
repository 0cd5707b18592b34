import type { ApolloServerPlugin } from '@apollo/server';
import { isDatabaseUnavailable } from '../../db/unavailable';
import { ServiceUnavailableError } from '../../core/errors';

/**
 * While the database is away (restarting, unreachable), an operation that needed it answers
 * SERVICE_UNAVAILABLE (the format turns the driver's error into it), and over HTTP the status is
 * 503 with `Retry-After`, so a client or a balancer knows to try again rather than report a fault.
 */
export function createUnavailablePlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          if (!response.body.singleResult.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) return;
          response.http.status = 503;
          response.http.headers.set('retry-after', '1');
        },
      };
    },
  };
}

/** `work`, with a database that cannot be reached said as SERVICE_UNAVAILABLE (where no format runs after, as in building a context). */
export async function orUnavailable<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw isDatabaseUnavailable(error) ? new ServiceUnavailableError() : error;
  }
}
