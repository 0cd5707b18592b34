import { openOrm, type MikroORM } from '../src/db/orm';
import { login } from '../src/modules/user/login.service';
import { PASSWORD_CHECKS_AT_ONCE, PASSWORD_CHECKS_WAITING, passwordQueue, scryptCounts } from '../src/modules/user/password';
import { startTestServer, type CallResult, type TestServer } from './helpers/test-server';

/**
 * Sign-in under attack: bursts of wrong passwords are counted before any is checked, on every
 * instance; password checks wait in a bounded queue; every refusal costs one check. What is
 * measured is the number of scrypt computations (a count, not a time); bench/signin measures the
 * latency.
 */
const ADDRESS_LIMIT = 8;
let server: TestServer;
/** A second instance's ORM on the same database: its own connection pool, the same rows. */
let other: MikroORM;
beforeAll(async () => {
  server = await startTestServer({ env: { DUBAN_LOGIN_MAX_FAILURES_PER_ADDRESS: String(ADDRESS_LIMIT) } });
  other = await openOrm(server.config.databaseUrl!, { pool: { min: 0, max: 5 } });
});
afterAll(async () => {
  await other.close();
  await server.close();
});
// Each test starts with no attempt in the window.
beforeEach(() => server.orm.em.getConnection().execute('delete from login_attempt'));

const LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token user { username } } }';
const signIn = (u: string, p: string) => server.call(LOGIN, { u, p });

/** The scrypt verifications that `work` caused. */
async function checksDuring<T>(work: () => Promise<T>): Promise<{ checks: number; result: T }> {
  const before = scryptCounts.verifications;
  const result = await work();
  return { checks: scryptCounts.verifications - before, result };
}

/** The code of a sign-in made on the other instance, straight through the service. */
async function signInOnOther(u: string, p: string, address: string): Promise<string> {
  try {
    await login(other.em.fork(), server.config, u, p, address);
    return 'OK';
  } catch (err) {
    return String((err as { extensions?: { code?: string } }).extensions?.code ?? err);
  }
}

const tally = (codes: string[]) => codes.reduce<Record<string, number>>((t, c) => ({ ...t, [c]: (t[c] ?? 0) + 1 }), {});

describe('a burst of wrong passwords', () => {
  it('for one user, over two instances at once: 5 are checked, the other 195 are RATE_LIMITED unchecked', async () => {
    const { checks, result } = await checksDuring(() => Promise.all(Array.from({ length: 200 }, (_, i) => i % 2 === 0
      ? signIn('yanglao', `guess${i}`).then((r) => r.code)
      : signInOnOther('yanglao', `guess${i}`, '10.0.0.2'))));
    expect(checks).toBe(server.config.loginMaxFailuresPerUser);
    expect(tally(result)).toEqual({ UNAUTHENTICATED: server.config.loginMaxFailuresPerUser, RATE_LIMITED: 200 - server.config.loginMaxFailuresPerUser });
    // The right password too, now, on either instance; nothing more is checked.
    const after = await checksDuring(async () => [(await signIn('yanglao', 'demo')).code, await signInOnOther('yanglao', 'demo', '10.0.0.3')]);
    expect(after).toEqual({ checks: 0, result: ['RATE_LIMITED', 'RATE_LIMITED'] });
    // Another user signs in meanwhile.
    expect((await signIn('admin', 'demo')).code).toBe('OK');
  });

  it('from one address over 200 usernames: the address limit is checked, no more', async () => {
    const { checks, result } = await checksDuring(() => Promise.all(Array.from({ length: 200 }, (_, i) => signIn(`nobody${i}`, 'x').then((r) => r.code))));
    expect(checks).toBe(ADDRESS_LIMIT);
    expect(tally(result)).toEqual({ UNAUTHENTICATED: ADDRESS_LIMIT, RATE_LIMITED: 200 - ADDRESS_LIMIT });
    expect(await server.count('login_attempt')).toBe(ADDRESS_LIMIT);
  });
});

describe('a correct sign-in', () => {
  it('succeeds beside failures in flight while under the limit; a success is no failure and forgives none', async () => {
    const [ok, ...wrong] = await Promise.all([signIn('lucheng', 'demo'), ...[1, 2, 3].map((i) => signIn('lucheng', `guess${i}`))]);
    expect(ok.code).toBe('OK');
    expect(ok.data.login.user).toEqual({ username: 'lucheng' });
    expect(wrong.map((r) => r.code)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
    const rows = await server.orm.em.getConnection().execute<{ succeeded: boolean; n: number }[]>(
      `select succeeded, count(*)::int as n from login_attempt where username = 'lucheng' group by succeeded order by succeeded`);
    expect(rows).toEqual([{ succeeded: false, n: 3 }, { succeeded: true, n: 1 }]);
    // Two more failures reach the limit of 5: then the right password is refused as well.
    for (const i of [4, 5]) expect((await signIn('lucheng', `guess${i}`)).code).toBe('UNAUTHENTICATED');
    expect((await signIn('lucheng', 'demo')).code).toBe('RATE_LIMITED');
  });
});

describe('every refusal', () => {
  it('costs one scrypt check of the same size, and reads the same, for a screen account, an unknown user, a disabled and a real one', async () => {
    const conn = server.orm.em.getConnection();
    await conn.execute(`insert into app_user (username, password_hash, role) values ('screen:lobby', '!', 'VIEWER')`);
    await conn.execute(`insert into app_user (username, password_hash, role, disabled_at) select 'gone', password_hash, role, now() from app_user where username = 'screen'`);
    const cases: [string, string][] = [['screen:lobby', '!'], ['screen:lobby', 'demo'], ['nobody', 'demo'], ['gone', 'demo'], ['admin', 'wrong']];
    const answers: { checks: number; result: CallResult }[] = [];
    for (const [u, p] of cases) answers.push(await checksDuring(() => signIn(u, p)));
    expect(answers.map((a) => a.checks)).toEqual(cases.map(() => 1));
    expect(answers.map((a) => a.result.code)).toEqual(cases.map(() => 'UNAUTHENTICATED'));
    expect(new Set(answers.map((a) => a.result.errors![0].message)).size).toBe(1);
    // A success costs the same one check.
    expect((await checksDuring(() => signIn('admin', 'demo'))).checks).toBe(1);
  });
});

describe('the password queue', () => {
  it('when full, answers RATE_LIMITED at once, checks nothing and counts no failure', async () => {
    // Fill the queue with checks that run until released: as a burst on many accounts would.
    const releases: (() => void)[] = [];
    const held = Array.from({ length: PASSWORD_CHECKS_AT_ONCE + PASSWORD_CHECKS_WAITING }, (_, i) =>
      passwordQueue.run(`held${i}`, () => new Promise<void>((resolve) => { releases.push(resolve); })));
    try {
      expect(passwordQueue.stats).toEqual({ running: PASSWORD_CHECKS_AT_ONCE, waiting: PASSWORD_CHECKS_WAITING });
      const { checks, result } = await checksDuring(() => signIn('wuma', 'demo'));
      expect(checks).toBe(0);
      expect(result.code).toBe('RATE_LIMITED');
      expect(result.errors![0].extensions?.retryAfterSeconds).toBe(1);
      expect(await server.count('login_attempt')).toBe(0);
    } finally {
      // Those waiting start as the running ones end; release each as it starts.
      let settled = 0;
      for (const h of held) void h.then(() => { settled += 1; });
      while (settled < held.length) {
        for (const release of releases.splice(0)) release();
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all(held);
    }
    expect((await signIn('wuma', 'demo')).code).toBe('OK');
  });
});
