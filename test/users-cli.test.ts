import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from './helpers/test-server';

/** `npm run users`: accounts and screen tokens from the command line, beside a running server. */
const run = promisify(execFile);
const CLI = join(__dirname, '..', 'dist', 'src', 'modules', 'user', 'user.cli.js');
const secret = randomBytes(32).toString('hex');
let server: TestServer;
beforeAll(async () => { server = await startTestServer({ env: { JWT_SECRET: secret } }); });
afterAll(() => server.close());

function users(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, NODE_ENV: 'production', DATABASE_URL: server.config.databaseUrl!, JWT_SECRET: secret, ...env } })
    .then(({ stdout }) => ({ code: 0, stdout, stderr: '' }), (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }));
}

it('creates an account that signs in, audited with no actor', async () => {
  const res = await users(['create-user', '--username', 'ruian.clerk', '--role', 'REPORTER', '--region', '330381'], { DUBAN_PASSWORD: 'a long secret' });
  expect(res).toMatchObject({ code: 0, stdout: expect.stringMatching(/^created ruian.clerk \(REPORTER, id \d+\)/) });
  const login = await server.call('mutation { login(username: "ruian.clerk", password: "a long secret") { user { region { code } } } }', {});
  expect(login.data!.login.user.region.code).toBe('330381');
  const trail = await server.call('{ auditEntries(filter: { entityType: "User" }) { nodes { action actor { username } after } } }', {}, await server.token('admin'));
  expect(trail.data!.auditEntries.nodes[0]).toMatchObject({ action: 'CREATE_USER', actor: null, after: { username: 'ruian.clerk', role: 'REPORTER', region: '330381' } });
});

it('makes a screen token the running server accepts, lists it, and revokes it', async () => {
  const made = await users(['create-screen-token', '--name', '会商室', '--board', 'P3:330300', '--days', '90']);
  expect(made.code).toBe(0);
  const [header, token] = made.stdout.trim().split('\n');
  const id = /^screen token (\S+) for "会商室"/.exec(header)![1];
  expect((await server.call('{ programme(code: "P3") { code } }', {}, token)).code).toBe('OK');
  expect((await server.call('{ programme(code: "P1") { code } }', {}, token)).code).toBe('FORBIDDEN');
  const listed = await users(['list-screen-tokens']);
  expect(listed.stdout).toContain(`${id}\t会商室\tP3:330300`);
  expect((await users(['revoke-token', id])).code).toBe(0);
  expect((await server.call('{ programme(code: "P3") { code } }', {}, token)).code).toBe('UNAUTHENTICATED');
  expect((await users(['list-screen-tokens'])).stdout).toContain('\trevoked');
});

it.each([
  ['no command', [], {}, /Usage: npm run users/],
  ['an unknown command', ['frobnicate'], {}, /unknown command frobnicate/],
  ['a role that does not exist', ['create-user', '--username', 'x1x', '--role', 'KING'], { DUBAN_PASSWORD: 'long enough' }, /--role/],
  ['a short password', ['create-user', '--username', 'x2x', '--role', 'VIEWER'], { DUBAN_PASSWORD: 'short' }, /at least 8/],
  ['a taken username', ['create-user', '--username', 'admin', '--role', 'VIEWER'], { DUBAN_PASSWORD: 'long enough' }, /taken/],
  ['an unknown region', ['create-user', '--username', 'x3x', '--role', 'REPORTER', '--region', '999999'], { DUBAN_PASSWORD: 'long enough' }, /Region "999999" does not exist/],
  ['a board without a region', ['create-screen-token', '--name', 'x', '--board', 'P3'], {}, /PROGRAMME:REGION/],
  ['a lifetime of 1000 days', ['create-screen-token', '--name', 'x', '--board', 'P3:330300', '--days', '1000'], {}, /--days/],
  ['an unknown token', ['revoke-token', '00000000-0000-0000-0000-000000000000'], {}, /does not exist/],
])('refuses %s with exit code 2, writing nothing', async (_what, args, env, message) => {
  const before = await Promise.all(['app_user', 'auth_session', 'audit_entry'].map((t) => server.count(t)));
  const res = await users(args as string[], env as Record<string, string>);
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(message);
  expect(await Promise.all(['app_user', 'auth_session', 'audit_entry'].map((t) => server.count(t)))).toEqual(before);
});
