import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import { RateLimitedError, UnauthenticatedError } from '../../server/errors';
import { KeyedLock } from './keyed-lock';
import { LoginAttempt } from './login-attempt.entity';
import { verifyPassword } from './password';
import { SessionKind } from './session.entity';
import { openSession, type Signed } from './session.service';
import { User } from './user.entity';

const WRONG = 'Wrong username or password';

/** Class keys of the two-key advisory locks under which a username's, and an address's, attempts are counted. */
const USERNAME_LOCK = 1101;
const ADDRESS_LOCK = 1102;

/**
 * The same two locks in this process, taken first: attempts for one username (or from one address)
 * wait here without a connection, rather than filling the pool with waiters on PostgreSQL's lock.
 */
const byUsername = new KeyedLock();
const byAddress = new KeyedLock();

type Throttle = Pick<Config, 'loginMaxFailuresPerUser' | 'loginMaxFailuresPerAddress' | 'loginWindowMinutes'>;

/**
 * Counts the failures in the window for this username and from this address, refuses when either
 * is at its limit, and otherwise records this attempt as a failure before any password is checked.
 * Under the username's lock, then the address's (always in that order, so two sign-ins cannot wait
 * on each other), held by PostgreSQL until commit: every instance counts the same rows, and a
 * burst of concurrent attempts is counted one at a time. Returns the attempt's id.
 */
async function takeAttempt(em: EntityManager, config: Throttle, username: string, address: string, now: Date): Promise<string> {
  return em.transactional(async (tx) => {
    await tx.execute('select pg_advisory_xact_lock(?, hashtext(?))', [USERNAME_LOCK, username]);
    await tx.execute('select pg_advisory_xact_lock(?, hashtext(?))', [ADDRESS_LOCK, address]);
    const since = new Date(now.getTime() - config.loginWindowMinutes * 60_000);
    const [row] = await tx.execute<{ by_user: string; by_address: string }[]>(`
      select count(*) filter (where username = ?) as by_user, count(*) filter (where address = ?) as by_address
      from login_attempt where not succeeded and at >= ? and (username = ? or address = ?)`,
    [username, address, since, username, address]);
    if (Number(row.by_user) >= config.loginMaxFailuresPerUser || Number(row.by_address) >= config.loginMaxFailuresPerAddress) {
      throw new RateLimitedError(`Too many failed sign-ins; try again in ${config.loginWindowMinutes} minutes`, config.loginWindowMinutes * 60);
    }
    const attempt = tx.create(LoginAttempt, { username, address, at: now, succeeded: false });
    await tx.flush();
    return attempt.id;
  });
}

/**
 * Signs in: throttled per username and per address (the attempt counts as a failure from before
 * its password is checked until it succeeds, in the database so every instance counts it), one
 * password check of the same cost whether the user exists, cannot sign in or can, the same answer
 * for all three, and a session whose token logout can revoke. A success does not count as a failure
 * and does not forgive earlier ones.
 */
export async function login(em: EntityManager, config: Config, username: string, password: string, address: string): Promise<Signed> {
  const name = username.trim().slice(0, 64);
  const from = address.slice(0, 64);
  const attempt = await byUsername.run(name, () => byAddress.run(from, () => takeAttempt(em, config, name, from, new Date())));
  const user = await em.findOne(User, { username: name }, { populate: ['passwordHash'] });
  let ok: boolean;
  try {
    ok = await verifyPassword(password, user?.passwordHash, name);
  } catch (err) {
    // Not checked (the queue was full, or scrypt failed): not a failure of the password.
    await em.nativeDelete(LoginAttempt, { id: attempt });
    throw err;
  }
  if (!user || !ok || user.disabledAt) throw new UnauthenticatedError(WRONG);
  return em.transactional(async (tx) => {
    await tx.nativeUpdate(LoginAttempt, { id: attempt }, { succeeded: true });
    const signed = openSession(tx, config, user, SessionKind.LOGIN, config.jwtTtlSeconds);
    await tx.flush();
    return signed;
  });
}
