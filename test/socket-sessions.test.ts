import { openSocket, type OpenSocket } from './helpers/socket';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';
import { localKey } from '../src/common/node';

/**
 * A right that ends ends on open sockets too, on every instance: two instances on one database,
 * the socket on B, the change made on A (over HTTP, as an admin would). Over each bus.
 */
const buses: [string, NodeJS.ProcessEnv | undefined][] = [
  ['postgres', {}],
  ['redis', process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : undefined],
];

const BOARD = 'subscription($p: String!, $r: String!) { boardEvents(programme: $p, region: $r) { __typename cursor } }';
const LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }';
const CREATE = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }';
const UPDATE = 'mutation($input: UpdateUserInput!) { updateUser(input: $input) { id } }';
const SUBMIT = 'mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }';
const PASSWORD = 'long enough';

describe.each(buses)('open sockets follow their session, over the %s bus', (name, busEnv) => {
  if (!busEnv) {
    it.skip('is skipped: REDIS_URL is not set (.ci/run sets it to the Redis on 127.0.0.1:6379)', () => undefined);
    beforeAll(() => console.warn(`the ${name} socket-session tests are skipped: REDIS_URL is not set`));
    return;
  }
  let a: TestServer;
  let b: TestServer;
  let admin: string;
  const sockets: OpenSocket[] = [];
  let n = 0;

  beforeAll(async () => {
    a = await startTestServer({ env: busEnv });
    b = await startTestServer({ env: busEnv, attachTo: a });
    admin = await a.token('admin');
  });
  afterEach(async () => { await Promise.all(sockets.splice(0).map((s) => s.dispose())); });
  afterAll(async () => { await b?.close(); await a?.close(); });

  async function login(username: string, password = 'demo'): Promise<string> {
    return (await a.ok(LOGIN, { u: username, p: password })).login.token;
  }
  /** A fresh account (so that changing it disturbs no other test) and a token for it. */
  async function account(role: string, region?: string): Promise<{ id: string; token: string }> {
    const username = `s${name}${(n += 1)}`;
    const { createUser } = await a.ok(CREATE, { input: { username, password: PASSWORD, role, region } }, admin);
    return { id: createUser.id, token: await login(username, PASSWORD) };
  }
  /** A socket on B watching a board, live. */
  async function watching(token: string, programme = 'P3', region = '330302') {
    const socket = openSocket(b.wsUrl, token);
    sockets.push(socket);
    await socket.connected;
    const board = socket.subscribe(BOARD, { p: programme, r: region });
    // Live once a figure submitted now reaches it.
    const before = board.payloads.length;
    await a.ok(SUBMIT, { input: { indicator: `${programme}-01`, region: '330302', value: 1000 + (n += 1), asOf: '2019-06-30' } }, admin);
    await until(() => board.payloads.length > before, 'the board live');
    return { socket, board };
  }
  async function endsWith(socket: OpenSocket, board: { errors: string[] }, code: number, error: string) {
    await until(() => socket.closedWith() !== undefined, `the socket closed with ${code}`, 10_000);
    expect(socket.closedWith()).toBe(code);
    expect(board.errors).toEqual([error]);
  }

  it('logout ends the socket of that session (4401), not the user\'s others', async () => {
    const first = await login('lucheng');
    const second = await login('lucheng');
    const one = await watching(first);
    const other = await watching(second);
    await a.ok('mutation { logout }', {}, first);
    await endsWith(one.socket, one.board, 4401, 'UNAUTHENTICATED');
    expect(other.socket.closedWith()).toBeUndefined();
    expect((await other.socket.call('{ me { username } }')).data).toEqual({ me: { username: 'lucheng' } });
  });

  it('a revoked screen token closes its screen (4401)', async () => {
    const { createScreenToken } = await a.ok(`mutation($input: CreateScreenTokenInput!) { createScreenToken(input: $input) { token session { id } } }`,
      { input: { name: `屏 ${name} ${(n += 1)}`, boards: [{ programme: 'P3', region: '330300' }] } }, admin);
    const { socket, board } = await watching(createScreenToken.token, 'P3', '330300');
    await a.ok('mutation($id: ID!) { revokeToken(id: $id) { revokedAt } }', { id: createScreenToken.session.id }, admin);
    await endsWith(socket, board, 4401, 'UNAUTHENTICATED');
  });

  it('a disabled account is closed (4401)', async () => {
    const user = await account('REPORTER', '330302');
    const { socket, board } = await watching(user.token);
    await a.ok(UPDATE, { input: { id: user.id, disabled: true } }, admin);
    await endsWith(socket, board, 4401, 'UNAUTHENTICATED');
  });

  it('a narrowed region scope closes the socket (4403); a widened one keeps it, with the new rights', async () => {
    const narrowed = await account('VIEWER', '330302');
    const one = await watching(narrowed.token);
    await a.ok(UPDATE, { input: { id: narrowed.id, region: '330302006' } }, admin);
    await endsWith(one.socket, one.board, 4403, 'FORBIDDEN');

    const widened = await account('VIEWER', '330302');
    const two = await watching(widened.token);
    expect((await two.socket.call('{ indicator(code: "P3-01") { progress(region: "330303") { actual } } }')).code).toBe('FORBIDDEN');
    await a.ok(UPDATE, { input: { id: widened.id, region: '' } }, admin);
    await until(async () => (await two.socket.call('{ indicator(code: "P3-01") { progress(region: "330303") { actual } } }')).code === 'OK', 'the wider scope on the open socket', 10_000);
    expect(two.socket.closedWith()).toBeUndefined();
  });

  it('an ADMIN demoted to VIEWER is closed (4403), and can no longer write over the socket', async () => {
    const boss = await account('ADMIN');
    const { socket, board } = await watching(boss.token);
    expect((await socket.call(CREATE, { input: { username: `made${name}${(n += 1)}`, password: PASSWORD, role: 'VIEWER' } })).code).toBe('OK');
    const users = await a.count('app_user');
    await a.ok(UPDATE, { input: { id: boss.id, role: 'VIEWER' } }, admin);
    await endsWith(socket, board, 4403, 'FORBIDDEN');
    expect(await a.count('app_user')).toBe(users);
  });

  it('every operation runs as the session stands now, even before the change is heard', async () => {
    const user = await account('ADMIN');
    const socket = openSocket(b.wsUrl, user.token);
    sockets.push(socket);
    await socket.connected;
    // Disabled behind the server's back: no fact in the outbox, so only the operation's own check can see it.
    await a.orm.em.getConnection().execute('update app_user set disabled_at = now() where id = ?', [localKey('User', user.id)]);
    const users = await a.count('app_user');
    const res = await socket.call(CREATE, { input: { username: `late${name}${(n += 1)}`, password: PASSWORD, role: 'ADMIN' } });
    expect(res.code).toBe('UNAUTHENTICATED');
    await until(() => socket.closedWith() !== undefined, 'the socket closed');
    expect(socket.closedWith()).toBe(4401);
    expect(await a.count('app_user')).toBe(users);
  });

  it('a new password ends the account\'s other sessions; the admin\'s own session that changed it stays', async () => {
    const user = await account('REPORTER', '330302');
    const theirs = await watching(user.token);
    await a.ok(UPDATE, { input: { id: user.id, password: 'another long one' } }, admin);
    await endsWith(theirs.socket, theirs.board, 4401, 'UNAUTHENTICATED');
    expect((await a.call('{ me { username } }', {}, user.token)).code).toBe('UNAUTHENTICATED');

    const boss = await account('ADMIN');
    const mine = await login(`s${name}${n}`, PASSWORD);
    const other = await watching(boss.token);
    const own = await watching(mine);
    await a.ok(UPDATE, { input: { id: boss.id, password: 'yet another long one' } }, mine);
    await endsWith(other.socket, other.board, 4401, 'UNAUTHENTICATED');
    expect(own.socket.closedWith()).toBeUndefined();
    expect((await a.call('{ me { username } }', {}, mine)).code).toBe('OK');
  });

  it('a token\'s expiry closes its socket at that moment (4401)', async () => {
    const user = await account('VIEWER');
    await a.orm.em.getConnection().execute(
      "update auth_session set expires_at = now() + interval '1.5 seconds' where user_id = ?", [localKey('User', user.id)]);
    const socket = openSocket(b.wsUrl, user.token);
    sockets.push(socket);
    await socket.connected;
    const board = socket.subscribe(BOARD, { p: 'P3', r: '330302' });
    await endsWith(socket, board, 4401, 'UNAUTHENTICATED');
  });
});
