import { Client } from 'pg';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

/**
 * While the database refuses connections (an external PostgreSQL restarting, away), GraphQL says
 * so with a code a client can act on, SERVICE_UNAVAILABLE over HTTP 503 with Retry-After, rather
 * than a masked internal error; it writes nothing, and answers again once the database is back.
 */
let server: TestServer;
let admin: Client;
let database: string;
beforeAll(async () => {
  server = await startTestServer();
  database = new URL(server.config.databaseUrl!).pathname.slice(1);
  admin = new Client({ connectionString: process.env.DUBAN_TEST_ADMIN_URL });
  await admin.connect();
});
afterAll(async () => {
  await admin.query(`alter database "${database}" allow_connections true`).catch(() => undefined);
  await admin.end();
  await server.close();
});

const SUBMIT = 'mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }';
const INPUT = { input: { indicator: 'P3-02', region: '330302', asOf: '2019-06-22', value: 43 } };

it('answers SERVICE_UNAVAILABLE (503, Retry-After) while the database is away, writes nothing, and answers again after', async () => {
  const token = await server.token('lucheng');
  const before = await server.count('submission');
  const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    await admin.query(`alter database "${database}" allow_connections false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [database]);
    for (const [query, variables, as] of [
      [SUBMIT, INPUT, token],                       // a write, signed in: the session is read first
      ['mutation { login(username: "lucheng", password: "demo") { token } }', {}, undefined], // anonymous: the resolver needs the database
    ] as const) {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(as ? { authorization: `Bearer ${as}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] };
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(body.errors![0].extensions).not.toHaveProperty('http');
      expect(JSON.stringify(body)).not.toMatch(/postgres|accepting connections|ECONN/);
    }
  } finally {
    await admin.query(`alter database "${database}" allow_connections true`);
    quiet.mockRestore();
  }
  expect(await server.count('submission')).toBe(before);
  await until(async () => (await server.call(SUBMIT, INPUT, token)).code === 'OK', 'a write accepted again', 15_000);
  expect(await server.count('submission')).toBe(before + 1);
});
