import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

const ISSUER = 'duban';

export interface TokenClaims {
  /** The user's id. */
  sub: string;
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

export function signToken(userId: number, secret: string, ttlSeconds: number): string {
  return jwt.sign({}, keyOf(secret), { algorithm: 'HS256', subject: String(userId), issuer: ISSUER, expiresIn: ttlSeconds });
}

/** The user id of a valid, unexpired token; undefined for anything else. */
export function verifyToken(token: string, secret: string): number | undefined {
  try {
    const claims = jwt.verify(token, keyOf(secret), { algorithms: ['HS256'], issuer: ISSUER }) as TokenClaims;
    const id = Number(claims.sub);
    return Number.isInteger(id) ? id : undefined;
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
