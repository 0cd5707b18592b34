import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import { RateLimitedError, UnauthenticatedError } from '../../core/errors';
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
 * Once the database has refused a key, the rest of the burst queued behind it is refused without
 * asking again, for a second at most.
 */
interface Burst {
  /** Until when (ms) the rest of the burst is refused without asking the database. */
  refusedUntil?: number;
}
const byUsername = new KeyedLock<Burst>();
const byAddress = new KeyedLock<Burst>();
const REFUSAL_REUSE_MS = 1000;

type Throttle = Pick<Config, 'loginMaxFailuresPerUser' | 'loginMaxFailuresPerAddress' | 'loginWindowMinutes'>;

const tooManyFailures = (config: Throttle) =>
  new RateLimitedError(`Too many failed sign-ins; try again in ${config.loginWindowMinutes} minutes`, config.loginWindowMinutes * 60);

/** The database's refusal, saying for which of the two keys. */
class AtLimit extends Error {
  constructor(readonly byUser: boolean, readonly byAddress: boolean) {
    super('at the limit of failed sign-ins');
  }
}

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
    const byUser = Number(row.by_user) >= config.loginMaxFailuresPerUser;
    const byAddress = Number(row.by_address) >= config.loginMaxFailuresPerAddress;
    if (byUser || byAddress) {
      throw new AtLimit(byUser, byAddress);
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
  const attempt = await byUsername.run(name, (forName) => byAddress.run(from, async (forAddress) => {
    const now = new Date();
    if ([forName, forAddress].some((burst) => (burst.refusedUntil ?? 0) > now.getTime())) throw tooManyFailures(config);
    try {
      return await takeAttempt(em, config, name, from, now);
    } catch (err) {
      if (!(err instanceof AtLimit)) throw err;
      if (err.byUser) forName.refusedUntil = now.getTime() + REFUSAL_REUSE_MS;
      if (err.byAddress) forAddress.refusedUntil = now.getTime() + REFUSAL_REUSE_MS;
      throw tooManyFailures(config);
    }
  }));
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
