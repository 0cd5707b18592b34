import { ConnectionException } from '@mikro-orm/core';

/** Node's network failures: nothing listens, the connection was cut, the host is not reachable. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** PostgreSQL's: class 08 (connection exception), shutting down, crashed, starting up, full. */
const SQLSTATE = /^(08...|57P01|57P02|57P03|53300)$/;
/** What node-postgres and knex say when a connection is gone or none can be had. */
const MESSAGE = /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect|Timeout acquiring a connection|the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)|is not currently accepting connections/i;

/**
 * True when `error` (or what it wraps) says that the database cannot be reached now, rather than
 * that a statement was wrong: a PostgreSQL restarting, killed or away. Such a request may be tried
 * again; it is answered SERVICE_UNAVAILABLE, not masked as an internal error.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = error; e && typeof e === 'object' && !seen.has(e); ) {
    seen.add(e);
    if (e instanceof ConnectionException) return true;
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK.has(code) || SQLSTATE.test(code))) return true;
    if (name === 'KnexTimeoutError') return true;
    if (typeof message === 'string' && MESSAGE.test(message)) return true;
    const next = e as { originalError?: unknown; cause?: unknown; previous?: unknown };
    e = next.originalError ?? next.cause ?? next.previous;
  }
  return false;
}
