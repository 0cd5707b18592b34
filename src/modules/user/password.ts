import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { RateLimitedError } from '../../core/errors';
import { QueueFullError, WorkQueue } from './work-queue';

/**
 * Password hashing with scrypt (RFC 7914; OWASP's recommended parameters: N=2^17, r=8, p=1),
 * from Node's own crypto. Stored as `scrypt$N$r$p$salt$hash`, so parameters can rise later.
 */
const N = 2 ** 17;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

/**
 * Each scrypt takes ~128 MiB and a libuv thread for a few hundred milliseconds. Two run at once,
 * 32 more wait (taking turns by account, so a burst against one account does not hold up the
 * others), and past that a sign-in is refused with RATE_LIMITED rather than queued without end.
 */
export const PASSWORD_CHECKS_AT_ONCE = 2;
export const PASSWORD_CHECKS_WAITING = 32;
export const passwordQueue = new WorkQueue({ concurrency: PASSWORD_CHECKS_AT_ONCE, maxWaiting: PASSWORD_CHECKS_WAITING });

/** How many scrypt computations this process has run (read by tests: a count, not a time). */
export const scryptCounts = { hashes: 0, verifications: 0 };

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize('NFKC'), salt, KEY_LENGTH, { ...options, maxmem: 256 * options.N! * options.r! }, (err, key) =>
      err ? reject(err) : resolve(key)));
}

/** Runs one scrypt in the bounded queue; a full queue is RATE_LIMITED. */
async function queued<T>(key: string, job: () => Promise<T>): Promise<T> {
  try {
    return await passwordQueue.run(key, job);
  } catch (err) {
    if (err instanceof QueueFullError) throw new RateLimitedError('Too many passwords are being checked at once; try again in a moment', 1);
    throw err;
  }
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await queued('', () => {
    scryptCounts.hashes += 1;
    return scrypt(password, salt, { N, r: R, p: P });
  });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * A hash of the current parameters that no password matches (a random key, not computed): what
 * an unknown user's, or a screen account's (`!`), password is checked against, so that every
 * refusal costs one scrypt of the same size.
 */
const UNMATCHABLE = ['scrypt', N, R, P, randomBytes(16).toString('base64'), randomBytes(KEY_LENGTH).toString('base64')].join('$');

function parse(stored: string | undefined): { n: number; r: number; p: number; salt: Buffer; key: Buffer } | undefined {
  const [scheme, n, r, p, salt, key, ...rest] = (stored ?? '').split('$');
  const params = [Number(n), Number(r), Number(p)];
  if (scheme !== 'scrypt' || !salt || !key || rest.length > 0 || !params.every((x) => Number.isInteger(x) && x > 0)) return undefined;
  return { n: params[0], r: params[1], p: params[2], salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

/**
 * Whether the password matches the stored hash. Always exactly one scrypt, whether `stored` is a
 * real hash, absent (no such user) or no hash at all (`!`, an account that cannot sign in): the
 * answer takes as long in every case. `key` names whose turn it is in the queue (the username).
 */
export async function verifyPassword(password: string, stored: string | undefined, key = ''): Promise<boolean> {
  const real = parse(stored);
  const { n, r, p, salt, key: expected } = real ?? parse(UNMATCHABLE)!;
  const actual = await queued(key, () => {
    scryptCounts.verifications += 1;
    return scrypt(password, salt, { N: n, r, p });
  });
  return real !== undefined && actual.length === expected.length && timingSafeEqual(actual, expected);
}
