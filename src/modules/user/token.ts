import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

const ISSUER = 'duban';

export interface TokenClaims {
  /** The user's id. */
  sub: string;
  /** The session's id: the token works while its session is neither expired nor revoked. */
  jti: string;
  /** Expiry, in seconds since the epoch (jsonwebtoken's `expiresIn`). */
  exp?: number;
}

export interface VerifiedToken {
  userId: number;
  sessionId: string;
  /** When the token stops being valid, in ms since the epoch. */
  expiresAt?: number;
}

/** The secret as a key object, made once (jsonwebtoken would otherwise make one per call). */
const keys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

export function signToken(userId: number, sessionId: string, secret: string, ttlSeconds: number): string {
  return jwt.sign({}, keyOf(secret), { algorithm: 'HS256', subject: String(userId), jwtid: sessionId, issuer: ISSUER, expiresIn: ttlSeconds });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The user and session of a valid, unexpired token; undefined for anything else. */
export function verifyToken(token: string, secret: string): VerifiedToken | undefined {
  try {
    const claims = jwt.verify(token, keyOf(secret), { algorithms: ['HS256'], issuer: ISSUER }) as TokenClaims;
    const userId = Number(claims.sub);
    if (!Number.isInteger(userId) || typeof claims.jti !== 'string' || !UUID.test(claims.jti)) return undefined;
    return { userId, sessionId: claims.jti, expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined };
  } catch {
    return undefined;
  }
}

/** The token of an `Authorization: Bearer …` header value. */
export function bearer(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
