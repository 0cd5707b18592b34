import type { EntityManager } from '@mikro-orm/postgresql';
import { AuthSession } from './session.entity';
import { AUTH_POPULATE, judgeSession, type Authenticated } from './session.service';
import { bearer, verifyToken, type VerifiedToken } from './token';

/** Verified tokens kept, at most (the oldest go first). */
const MAX_TOKENS = 10_000;

export type LiveAuthenticate = (header: unknown) => Promise<Authenticated | 'invalid' | undefined>;

/**
 * `authenticate` for live connections (WebSocket, Server-Sent Events), where thousands of screens
 * connect and are rechecked together (a deploy, a session change): the same answer, for less.
 *
 * - The session is still read from the database on every call, but the calls made in one turn of
 *   the event loop are read in one statement (`id in (…)`), each only after it was made: a change
 *   committed before a call is seen by it, as with one statement per call. The calls of one batch
 *   that name one session share one answer (one user and session object for all their sockets).
 * - A token's signature is verified once: the verdict depends only on the token and the secret;
 *   its expiry is checked on every call (and the session's expiry, from the database, too).
 */
export function createLiveAuthenticate(em: EntityManager, secret: string): LiveAuthenticate {
  const verified = new Map<string, VerifiedToken>();
  /** The ids asked for in this turn of the event loop, and the statement that reads them after it. */
  let current: { ids: Set<string>; rows: Promise<Map<string, AuthSession>> } | undefined;

  const claimsOf = (token: string): VerifiedToken | undefined => {
    let claims = verified.get(token);
    if (!claims) {
      claims = verifyToken(token, secret);
      if (!claims) return undefined;
      verified.set(token, claims);
      if (verified.size > MAX_TOKENS) verified.delete(verified.keys().next().value!);
    }
    return claims.expiresAt !== undefined && claims.expiresAt <= Date.now() ? undefined : claims;
  };

  // One EntityManager reads every batch, one batch at a time, cleared before each: the sessions'
  // entities are fresh, and a socket keeps its entities but no EntityManager (nor identity map) of its own.
  const reader = em.fork();
  let previous: Promise<unknown> = Promise.resolve();

  /** The session by id, read in the statement of this turn's batch. */
  const sessionById = async (id: string): Promise<AuthSession | null> => {
    if (!current) {
      const ids = new Set<string>();
      const rows = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        current = undefined;
        const read = previous.then(async () => {
          reader.clear();
          const found = await reader.find(AuthSession, { id: { $in: [...ids] } }, { populate: AUTH_POPULATE });
          reader.clear();
          return new Map(found.map((s) => [s.id, s]));
        });
        previous = read.catch(() => undefined);
        return read;
      });
      current = { ids, rows };
    }
    const batch = current;
    batch.ids.add(id);
    return (await batch.rows).get(id) ?? null;
  };

  const answers = new WeakMap<AuthSession, Authenticated>();
  return async (header) => {
    const token = bearer(header);
    if (!token) return header === undefined || header === '' ? undefined : 'invalid';
    const claims = claimsOf(token);
    if (!claims) return 'invalid';
    const session = await sessionById(claims.sessionId);
    const verdict = judgeSession(session, claims);
    if (verdict === 'invalid' || !session) return verdict;
    // One answer per session read: the sockets of one screen token share their user and session.
    let auth = answers.get(session);
    if (!auth) answers.set(session, (auth = verdict));
    return auth;
  };
}
