import type { EntityManager } from '@mikro-orm/postgresql';
import { batched } from '../../common/batches';
import { pgArray } from '../../common/pg-array';
import { AuthSession } from './session.entity';
import { AUTH_POPULATE, judgeSession, type Authenticated } from './session.service';
import { bearer, verifyToken, type VerifiedToken } from './token';

/** Verified tokens kept, at most (the oldest go first). */
const MAX_TOKENS = 10_000;
/** Sessions kept with their rows' fingerprint, at most. */
const MAX_SESSIONS = 10_000;

export type LiveAuthenticate = (header: unknown) => Promise<Authenticated | 'invalid' | undefined>;

/**
 * `authenticate` for live connections (WebSocket, Server-Sent Events), where thousands of screens
 * connect and are rechecked together (a deploy, a session change): the same answer, for less.
 *
 * - The session is still read from the database on every call, but the calls made while a batch is
 *   read are read together in the next statement, each only after it was made: a change committed
 *   before a call is seen by it, as with one statement per call. What is read is a fingerprint of
 *   the rows; the entities are read again only when it changed, so the sockets of one session share
 *   one answer (one user and session object) for as long as nothing about them changes.
 * - A token's signature is verified once: the verdict depends only on the token and the secret;
 *   its expiry is checked on every call (and the session's expiry, from the database, too).
 */
export function createLiveAuthenticate(em: EntityManager, secret: string): LiveAuthenticate {
  const verified = new Map<string, VerifiedToken>();
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

  // Sessions as last read, by id, with a fingerprint of their rows (the session, its user, their
  // region and department): a batch reads the fingerprints, and the entities again only where one
  // changed. While nothing changes, every socket of a session shares one user and session object.
  const kept = new Map<string, { fingerprint: string; session: AuthSession }>();
  // One EntityManager reads the entities, one batch at a time, cleared around each: a socket keeps
  // its entities but no EntityManager (nor identity map) of its own.
  const reader = em.fork();
  /** The session by id, read with the others asked for meanwhile (common/batches.ts). */
  const sessionById = batched(async (ids: string[]) => {
    const rows = await em.getConnection().execute<{ id: string; fingerprint: string }[]>(
      `select s.id, md5(concat(row_to_json(s)::text, row_to_json(u)::text, row_to_json(r)::text, row_to_json(d)::text)) as fingerprint
       from auth_session s join app_user u on u.id = s.user_id
       left join region r on r.code = u.region_code left join department d on d.id = u.department_id
       where s.id = any(?::uuid[])`, [pgArray(ids)]);
    const changed = new Map(rows.filter((r) => kept.get(r.id)?.fingerprint !== r.fingerprint).map((r) => [r.id, r.fingerprint]));
    if (changed.size > 0) {
      reader.clear();
      const found = await reader.find(AuthSession, { id: { $in: [...changed.keys()] } }, { populate: AUTH_POPULATE });
      reader.clear();
      for (const session of found) {
        kept.delete(session.id);
        kept.set(session.id, { fingerprint: changed.get(session.id)!, session });
        if (kept.size > MAX_SESSIONS) kept.delete(kept.keys().next().value!);
      }
    }
    const sessions = new Map<string, AuthSession>();
    for (const { id } of rows) {
      const k = kept.get(id);
      if (k) sessions.set(id, k.session);
    }
    return sessions;
  });

  const answers = new WeakMap<AuthSession, Authenticated>();
  return async (header) => {
    const token = bearer(header);
    if (!token) return header === undefined || header === '' ? undefined : 'invalid';
    const claims = claimsOf(token);
    if (!claims) return 'invalid';
    const session = (await sessionById(claims.sessionId)) ?? null;
    const verdict = judgeSession(session, claims);
    if (verdict === 'invalid' || !session) return verdict;
    // One answer per session read: the sockets of one screen token share their user and session.
    let auth = answers.get(session);
    if (!auth) answers.set(session, (auth = verdict));
    return auth;
  };
}
