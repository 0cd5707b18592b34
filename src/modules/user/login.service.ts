import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import { RateLimitedError, UnauthenticatedError } from '../../server/errors';
import { LoginAttempt } from './login-attempt.entity';
import { dummyHash, verifyPassword } from './password';
import { SessionKind } from './session.entity';
import { openSession, type Signed } from './session.service';
import { User } from './user.entity';

const WRONG = 'Wrong username or password';

type Throttle = Pick<Config, 'loginMaxFailuresPerUser' | 'loginMaxFailuresPerAddress' | 'loginWindowMinutes'>;

/** Refuses a sign-in while too many failures, for this username or from this address, fall in the window. */
async function checkThrottle(em: EntityManager, config: Throttle, username: string, address: string, now: Date): Promise<void> {
  const since = new Date(now.getTime() - config.loginWindowMinutes * 60_000);
  const [row] = await em.execute<{ by_user: string; by_address: string }[]>(`
    select count(*) filter (where username = ?) as by_user, count(*) filter (where address = ?) as by_address
    from login_attempt where not succeeded and at >= ? and (username = ? or address = ?)`,
  [username, address, since, username, address]);
  if (Number(row.by_user) >= config.loginMaxFailuresPerUser || Number(row.by_address) >= config.loginMaxFailuresPerAddress) {
    throw new RateLimitedError(`Too many failed sign-ins; try again in ${config.loginWindowMinutes} minutes`, config.loginWindowMinutes * 60);
  }
}

/**
 * Signs in: throttled per username and per address (failures in the last window, kept in the
 * database so every instance counts them), the same answer whether the user exists or not, and a
 * session whose token logout can revoke.
 */
export async function login(em: EntityManager, config: Config, username: string, password: string, address: string): Promise<Signed> {
  const name = username.trim().slice(0, 64);
  const now = new Date();
  await checkThrottle(em, config, name, address, now);
  const user = await em.findOne(User, { username: name }, { populate: ['passwordHash'] });
  // Verify against a dummy hash when there is no such user, so both answers take as long.
  const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
  const succeeded = Boolean(user && ok && !user.disabledAt);
  return em.transactional(async (tx) => {
    tx.create(LoginAttempt, { username: name, address: address.slice(0, 64), at: now, succeeded });
    if (!succeeded) {
      await tx.flush();
      return null;
    }
    const signed = openSession(tx, config, user!, SessionKind.LOGIN, config.jwtTtlSeconds);
    await tx.flush();
    return signed;
  }).then((signed) => {
    if (!signed) throw new UnauthenticatedError(WRONG);
    return signed;
  });
}
