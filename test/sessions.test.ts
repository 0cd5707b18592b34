import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from './helpers/test-server';

/** Sessions that end: logout, revocation, disabled accounts; throttled sign-ins; screen tokens; accounts. */
let server: TestServer;
beforeAll(async () => { server = await startTestServer({ env: { DUBAN_LOGIN_MAX_FAILURES_PER_ADDRESS: '12' } }); });
afterAll(() => server.close());

const LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token user { username role } } }';
const ME = '{ me { username } }';

async function login(username: string, password = 'demo'): Promise<string> {
  const res = await server.call(LOGIN, { u: username, p: password });
  if (res.code !== 'OK') throw new Error(`login ${username}: ${res.code}`);
  return res.data!.login.token;
}

/** Whether a WebSocket connection with the token is accepted (graphql-ws closes with 4403 otherwise). */
async function wsAccepts(token: string): Promise<boolean | number> {
  const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${token}` } });
  const outcome = await new Promise<boolean | number>((resolve) => {
    client.on('connected', () => resolve(true));
    client.on('closed', (event) => resolve((event as { code: number }).code));
  });
  await client.dispose();
  return outcome;
}

describe('logout', () => {
  it('ends the token at once, over HTTP and WebSocket; other sessions of the user go on', async () => {
    const first = await login('yanglao');
    const second = await login('yanglao');
    expect((await server.call(ME, {}, first)).code).toBe('OK');
    expect(await wsAccepts(first)).toBe(true);
    expect((await server.call('mutation { logout }', {}, first)).data).toEqual({ logout: true });
    const after = await server.call(ME, {}, first);
    expect(after.code).toBe('UNAUTHENTICATED');
    expect(after.errors![0].message).toMatch(/revoked/);
    expect(await wsAccepts(first)).toBe(4403);
    expect((await server.call(ME, {}, second)).code).toBe('OK');
  });
});

describe('sign-in throttling', () => {
  it('refuses a username after 5 failures, even with the right password, and leaves others alone', async () => {
    await server.orm.em.getConnection().execute(`insert into app_user (username, password_hash, role) select 'victim', password_hash, role from app_user where username = 'screen'`);
    for (let i = 0; i < 5; i += 1) expect((await server.call(LOGIN, { u: 'victim', p: `guess${i}` })).code).toBe('UNAUTHENTICATED');
    const refused = await server.call(LOGIN, { u: 'victim', p: 'demo' });
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.errors![0].extensions?.retryAfterSeconds).toBe(15 * 60);
    expect(await login('admin')).toEqual(expect.any(String));
  });

  it('refuses an address after its failures pass the limit, whatever the username', async () => {
    const [{ n }] = await server.orm.em.getConnection().execute(`select count(*)::int as n from login_attempt where not succeeded`);
    for (let i = n; i < 12; i += 1) expect((await server.call(LOGIN, { u: `nobody${i}`, p: 'x' })).code).toBe('UNAUTHENTICATED');
    expect((await server.call(LOGIN, { u: 'wuma', p: 'demo' })).code).toBe('RATE_LIMITED');
    // The window passes: the failures are older than it.
    await server.orm.em.getConnection().execute(`update login_attempt set at = at - interval '1 hour'`);
    expect(await login('wuma')).toEqual(expect.any(String));
  });
});

describe('screen tokens', () => {
  const CREATE = 'mutation($input: CreateScreenTokenInput!) { createScreenToken(input: $input) { token session { id kind name boards { programme region } expiresAt user { username role } } } }';
  const BOARD = 'query($p: String!, $r: String!) { programme(code: $p) { indicators { progress(region: $r) { actual } } } }';

  it('reads and watches only its boards, and stops at once when revoked', async () => {
    const admin = await login('admin');
    const created = await server.call(CREATE, { input: { name: '三楼会议室', boards: [{ programme: 'P3', region: '330300' }], days: 30 } }, admin);
    expect(created.code).toBe('OK');
    const { token, session } = created.data!.createScreenToken;
    expect(session).toMatchObject({ kind: 'SCREEN', name: '三楼会议室', boards: [{ programme: 'P3', region: '330300' }], user: { username: 'screen:三楼会议室', role: 'VIEWER' } });
    expect(new Date(session.expiresAt).getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);

    expect((await server.call(BOARD, { p: 'P3', r: '330300' }, token)).code).toBe('OK');
    expect((await server.call(BOARD, { p: 'P3', r: '330302' }, token)).code).toBe('OK');
    expect((await server.call(BOARD, { p: 'P2', r: '330300' }, token)).code).toBe('FORBIDDEN');
    expect((await server.call(LOGIN, { u: 'screen:三楼会议室', p: '!' })).code).toBe('UNAUTHENTICATED');

    const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    const subscribe = (programme: string) => new Promise<string>((resolve) => {
      const stop = client.subscribe({ query: 'subscription($p: String!) { boardEvents(programme: $p, region: "330300") { cursor } }', variables: { p: programme } }, {
        // A refused subscribe arrives as a result with errors, then completes.
        next: (result) => { stop(); resolve(result.errors ? String(result.errors[0].extensions?.code) : 'OK'); },
        error: (errors) => resolve(String((errors as { extensions?: { code?: string } }[])[0]?.extensions?.code)),
        complete: () => resolve('complete'),
      });
    });
    expect(await subscribe('P2')).toBe('FORBIDDEN');
    expect(await subscribe('P3')).toBe('OK'); // its own arrival on the board
    await client.dispose();

    const listed = await server.call('{ screenTokens { id name revokedAt } }', {}, admin);
    expect(listed.data!.screenTokens).toContainEqual({ id: session.id, name: '三楼会议室', revokedAt: null });
    const revoked = await server.call('mutation($id: ID!) { revokeToken(id: $id) { revokedAt } }', { id: session.id }, admin);
    expect(revoked.data!.revokeToken.revokedAt).toEqual(expect.any(String));
    expect((await server.call(BOARD, { p: 'P3', r: '330300' }, token)).code).toBe('UNAUTHENTICATED');
    expect(await wsAccepts(token)).toBe(4403);
  });

  it.each([
    ['no board', { name: 'a', boards: [] }, 'BAD_USER_INPUT'],
    ['an unknown programme', { name: 'b', boards: [{ programme: 'P9', region: '330300' }] }, 'NOT_FOUND'],
    ['an unknown region', { name: 'c', boards: [{ programme: 'P3', region: '999999' }] }, 'NOT_FOUND'],
    ['a board twice', { name: 'd', boards: [{ programme: 'P3', region: '330300' }, { programme: 'P3', region: '330300' }] }, 'BAD_USER_INPUT'],
    ['a blank name', { name: '   ', boards: [{ programme: 'P3', region: '330300' }] }, 'BAD_USER_INPUT'],
    ['a lifetime of 10 years', { name: 'e', boards: [{ programme: 'P3', region: '330300' }], days: 3650 }, 'BAD_USER_INPUT'],
  ])('refuses %s, writing nothing', async (_what, input, code) => {
    const admin = await login('admin');
    const before = [await server.count('auth_session'), await server.count('app_user'), await server.count('audit_entry')];
    expect((await server.call(CREATE, { input }, admin)).code).toBe(code);
    expect([await server.count('auth_session'), await server.count('app_user'), await server.count('audit_entry')]).toEqual(before);
  });
});

describe('accounts', () => {
  const CREATE = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id username role region { code } department { name } } }';
  const UPDATE = 'mutation($input: UpdateUserInput!) { updateUser(input: $input) { id role disabledAt } }';

  it('creates a reporter who signs in, then disabled, is shut out at once', async () => {
    const admin = await login('admin');
    const created = await server.call(CREATE, { input: { username: 'ouhai.stats', password: 'a long secret', role: 'REPORTER', region: '330304' } }, admin);
    expect(created.data!.createUser).toMatchObject({ username: 'ouhai.stats', role: 'REPORTER', region: { code: '330304' } });
    const token = await login('ouhai.stats', 'a long secret');
    expect((await server.call(ME, {}, token)).code).toBe('OK');
    const disabled = await server.call(UPDATE, { input: { id: created.data!.createUser.id, disabled: true } }, admin);
    expect(disabled.data!.updateUser.disabledAt).toEqual(expect.any(String));
    expect((await server.call(ME, {}, token)).code).toBe('UNAUTHENTICATED');
    expect((await server.call(LOGIN, { u: 'ouhai.stats', p: 'a long secret' })).code).toBe('UNAUTHENTICATED');
    await server.call(UPDATE, { input: { id: created.data!.createUser.id, disabled: false } }, admin);
    expect(await login('ouhai.stats', 'a long secret')).toEqual(expect.any(String));

    const trail = await server.call('query($id: String!) { auditEntries(filter: { entityType: "User", entityId: $id }) { nodes { action actor { username } before after } } }',
      { id: created.data!.createUser.id }, admin);
    expect(trail.data!.auditEntries.nodes.map((n: { action: string }) => n.action)).toEqual(['UPDATE_USER', 'UPDATE_USER', 'CREATE_USER']);
    expect(trail.data!.auditEntries.nodes[1]).toMatchObject({ actor: { username: 'admin' }, before: { disabledAt: null }, after: { disabledAt: expect.any(String) } });
    expect(JSON.stringify(trail.data)).not.toMatch(/scrypt|secret/);
  });

  it.each([
    ['a taken username', { username: 'admin', password: 'long enough', role: 'VIEWER' }, 'CONFLICT'],
    ['a reporter without a region', { username: 'rep1', password: 'long enough', role: 'REPORTER' }, 'BAD_USER_INPUT'],
    ['a department user without a department', { username: 'dep1', password: 'long enough', role: 'DEPARTMENT' }, 'BAD_USER_INPUT'],
    ['a viewer with a department', { username: 'dep2', password: 'long enough', role: 'VIEWER', department: '养老服务处' }, 'BAD_USER_INPUT'],
    ['an unknown region', { username: 'rep2', password: 'long enough', role: 'REPORTER', region: '123456' }, 'NOT_FOUND'],
    ['an unknown department', { username: 'dep3', password: 'long enough', role: 'DEPARTMENT', department: '无此处' }, 'NOT_FOUND'],
    ['a short password', { username: 'rep3', password: 'short', role: 'VIEWER' }, 'BAD_USER_INPUT'],
    ['a username with spaces', { username: 'a b', password: 'long enough', role: 'VIEWER' }, 'BAD_USER_INPUT'],
  ])('refuses %s, writing nothing', async (_what, input, code) => {
    const admin = await login('admin');
    const before = [await server.count('app_user'), await server.count('audit_entry')];
    expect((await server.call(CREATE, { input }, admin)).code).toBe(code);
    expect([await server.count('app_user'), await server.count('audit_entry')]).toEqual(before);
  });

  it('an admin cannot disable itself or give up its role', async () => {
    const admin = await login('admin');
    const { data } = await server.call('{ me { id } }', {}, admin);
    expect((await server.call(UPDATE, { input: { id: data!.me.id, disabled: true } }, admin)).code).toBe('BAD_USER_INPUT');
    expect((await server.call(UPDATE, { input: { id: data!.me.id, role: 'VIEWER' } }, admin)).code).toBe('BAD_USER_INPUT');
    expect((await server.call(UPDATE, { input: { id: '987654', role: 'VIEWER' } }, admin)).code).toBe('NOT_FOUND');
  });
});
