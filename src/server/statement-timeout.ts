import type { GraphQLFormattedError } from 'graphql';
import { LimitExceededError } from './limits';

/** PostgreSQL's query_canceled, with the message of statement_timeout (not of a cancel by hand). */
const QUERY_CANCELED = '57014';

/** Whether an error (or what it wraps: a resolver's, a loader's, MikroORM's) is a statement cancelled by statement_timeout. */
export function isStatementTimeout(error: unknown): boolean {
  for (let e: unknown = error, hops = 0; e && typeof e === 'object' && hops < 5; hops++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === QUERY_CANCELED && typeof message === 'string' && message.includes('statement timeout')) return true;
    e = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The error a client gets for a statement past the timeout: LIMIT_EXCEEDED, `limit: "time"`, `max` in ms. */
export function statementTimeoutError(timeoutMs: number): LimitExceededError {
  return new LimitExceededError('time', timeoutMs,
    `A database statement ran past the limit of ${timeoutMs} ms and was cancelled; whatever the operation began was rolled back. Ask for less (fewer days, regions or fields)`);
}

/**
 * Wraps a `formatError`: a statement cancelled by PostgreSQL's statement_timeout is answered as
 * a LimitExceededError (`limit: "time"`) instead of a masked internal error.
 */
export function withStatementTimeouts(
  format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
  timeoutMs: number,
): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    if (!isStatementTimeout(error)) return format(formatted, error);
    const limit = format({ message: formatted.message, locations: formatted.locations }, statementTimeoutError(timeoutMs));
    return { ...limit, path: formatted.path };
  };
}
