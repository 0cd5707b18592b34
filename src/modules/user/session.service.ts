import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import { AuthSession, SessionKind, type BoardScope } from './session.entity';
import { bearer, signToken, verifyToken, type VerifiedToken } from './token';
import { User } from './user.entity';

export interface Signed {
  session: AuthSession;
  token: string;
}

/** Opens a session and signs its token; the session row is written with the caller's flush. */
export function openSession(em: EntityManager, config: Pick<Config, 'jwtSecret'>, user: User, kind: SessionKind, ttlSeconds: number,
  extra: { name?: string; boards?: BoardScope[]; createdBy?: User } = {}): Signed {
  const now = new Date();
  const session = em.create(AuthSession, {
    id: randomUUID(), user, kind, name: extra.name, boards: extra.boards ?? null, createdAt: now,
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000), createdBy: extra.createdBy,
  });
  return { session, token: signToken(user.id, session.id, config.jwtSecret, ttlSeconds) };
}

export interface Authenticated {
  user: User;
  session: AuthSession;
}

/**
 * The user and session a bearer token names: undefined without a token; 'invalid' for a bad or
 * expired token, a revoked or ended session, or a disabled account. One statement.
 */
export async function authenticate(em: EntityManager, secret: string, header: unknown): Promise<Authenticated | 'invalid' | undefined> {
  const token = bearer(header);
  if (!token) return header === undefined || header === '' ? undefined : 'invalid';
  const claims = verifyToken(token, secret);
  if (!claims) return 'invalid';
  const session = await em.fork().findOne(AuthSession, { id: claims.sessionId }, { populate: AUTH_POPULATE });
  return judgeSession(session, claims);
}

/** What authenticating loads with the session: its user, their region and department. */
export const AUTH_POPULATE = ['user.region', 'user.department'] as const;

/** The session as read now, for the token's claims: valid, or 'invalid' (gone, another user's, revoked, expired, or a disabled account). */
export function judgeSession(session: AuthSession | null, claims: VerifiedToken): Authenticated | 'invalid' {
  if (!session || session.user.id !== claims.userId || session.revokedAt || session.expiresAt <= new Date() || session.user.disabledAt) {
    return 'invalid';
  }
  return { user: session.user, session };
}
