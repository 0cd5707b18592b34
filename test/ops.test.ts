import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { print } from 'graphql';
import { Client } from 'pg';
import WebSocket from 'ws';
import { BoardEventsDocument, MeDocument, RegionDocument, SubmitDocument } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

/** The server's JSON log lines, as they are written. */
function logSink() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, destination: { write: (line: string) => { lines.push(JSON.parse(line)); } } };
}

/** Prometheus' text format, as sample → value ("name{labels}" exactly as written). */
async function scrape(server: TestServer): Promise<Map<string, number>> {
  const res = await fetch(new URL('/metrics', server.url));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const get = (server: TestServer, path: string, headers: Record<string, string> = {}) => fetch(new URL(path, server.url), { headers });

describe('operations endpoints', () => {
  let server: TestServer;
  const log = logSink();
  const ws: WsClient[] = [];
  beforeAll(async () => { server = await startTestServer({ env: { LOG_LEVEL: 'info' }, logDestination: log.destination }); });
  afterAll(async () => {
    await Promise.all(ws.map((c) => c.dispose()));
    await server.close();
  });

  it('/healthz: alive', async () => {
    const res = await get(server, '/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz: ready when the database answers and the bus listens; ok or unavailable per check, details for an ADMIN only', async () => {
    const res = await get(server, '/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { database: 'ok', bus: 'ok' } });
    for (const who of ['screen', 'yanglao']) {
      expect(await (await get(server, '/readyz', { authorization: `Bearer ${await server.token(who)}` })).json()).toEqual({ status: 'ready', checks: { database: 'ok', bus: 'ok' } });
    }
    expect(await (await get(server, '/readyz', { authorization: 'Bearer forged' })).json()).toEqual({ status: 'ready', checks: { database: 'ok', bus: 'ok' } });
    const admin = await get(server, '/readyz', { authorization: `Bearer ${await server.token('admin')}` });
    expect(await admin.json()).toEqual({
      status: 'ready', checks: { database: 'ok', bus: 'ok' }, details: { database: { ok: true }, bus: { ok: true, name: 'postgres' } },
    });
  });

  it('/metrics: HTTP durations, GraphQL operations and errors by name and code', async () => {
    const token = await server.token('screen');
    await server.gql(RegionDocument, { code: '330300' }, token);
    await server.gql(RegionDocument, { code: '330300' }, token);
    await server.gql(RegionDocument, { code: '999999' }, token);
    await server.gql(MeDocument, {});
    const samples = await scrape(server);
    expect(samples.get('duban_graphql_operations_total{operation="Region",type="query"}')).toBe(3);
    expect(samples.get('duban_graphql_errors_total{operation="Region",code="NOT_FOUND"}')).toBe(1);
    expect(samples.get('duban_graphql_errors_total{operation="Me",code="UNAUTHENTICATED"}')).toBe(1);
    expect(samples.get('duban_http_request_duration_seconds_count{method="POST",route="/graphql",status="200"}')).toBeGreaterThanOrEqual(5);
    expect(samples.get('duban_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/graphql",status="200"}')).toBeGreaterThanOrEqual(5);
    expect(samples.has('duban_process_resident_memory_bytes')).toBe(true);
  });

  it('/metrics: 3,000 operation names nobody knows (HTTP and WebSocket) are counted as other, and do not grow /metrics', async () => {
    const token = await server.token('screen');
    await server.gql(MeDocument, {}, token);
    const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    ws.push(client);
    await new Promise<void>((resolve, reject) => {
      client.subscribe({ query: 'query Warm { __typename }' }, { next: () => undefined, error: reject, complete: resolve });
    });
    const size = async () => (await (await fetch(new URL('/metrics', server.url))).text()).length;
    const sizeBefore = await size();
    const overWs = (name: string) => new Promise<void>((resolve, reject) => {
      client.subscribe({ query: `query ${name} { __typename }` }, { next: () => undefined, error: reject, complete: resolve });
    });
    for (let batch = 0; batch < 150; batch += 1) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => server.post(JSON.stringify({ query: `query Op${batch * 10 + i} { __typename }` }))));
      await Promise.all(Array.from({ length: 5 }, (_, i) => overWs(`Ws${batch * 10 + i}`)).concat(Array.from({ length: 5 }, (_, i) => overWs(`Ws${batch * 10 + 5 + i}`))));
    }
    const samples = await scrape(server);
    expect([...samples.keys()].filter((k) => /Op\d+|Ws\d+/.test(k))).toEqual([]);
    expect(samples.get('duban_graphql_operations_total{operation="other",type="query"}')).toBeGreaterThanOrEqual(1500);
    expect(samples.get('duban_graphql_operations_total{operation="other",type="subscription"}')).toBeGreaterThanOrEqual(1500);
    // A few bytes more as counters and the histogram's counts grow; nothing per name.
    expect(await size()).toBeLessThan(sizeBefore + 2_000);
    expect(samples.get('duban_graphql_operations_total{operation="Me",type="query"}')).toBeGreaterThanOrEqual(1);
  }, 180_000);

  it('/metrics: the contract\'s operation names and the schema\'s root fields are labels; anonymous operations are anonymous', async () => {
    const token = await server.token('screen');
    await server.post(JSON.stringify({ query: 'query Board { me { username } }' }), token);
    await server.post(JSON.stringify({ query: 'query targets { targets(first: 1) { totalCount } }' }), token);
    await server.post(JSON.stringify({ query: '{ me { username } }' }), token);
    await server.post(JSON.stringify({ query: 'query Targetz { me { username } }' }), token);
    const samples = await scrape(server);
    expect(samples.get('duban_graphql_operations_total{operation="Board",type="query"}')).toBeGreaterThanOrEqual(1);
    expect(samples.get('duban_graphql_operations_total{operation="targets",type="query"}')).toBe(1);
    expect(samples.get('duban_graphql_operations_total{operation="anonymous",type="query"}')).toBeGreaterThanOrEqual(1);
    expect(samples.has('duban_graphql_operations_total{operation="Targetz",type="query"}')).toBe(false);
  });

  it('/metrics: a URL nobody knows is counted as other, not as a series of its own', async () => {
    await get(server, '/no/such/page/12345');
    const samples = await scrape(server);
    expect([...samples.keys()].some((k) => k.includes('12345'))).toBe(false);
    expect(samples.get('duban_http_request_duration_seconds_count{method="GET",route="other",status="404"}')).toBeGreaterThanOrEqual(1);
  });

  it('/metrics: WebSocket connections, subscriptions, events fanned out, outbox lag', async () => {
    const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${await server.token('screen')}` } });
    ws.push(client);
    let received = 0;
    client.subscribe({ query: print(BoardEventsDocument), variables: { programme: 'P3', region: '330300' } }, {
      next: ({ data }) => { if ((data as { boardEvents: { __typename: string } }).boardEvents.__typename === 'ProgressChanged') received += 1; },
      error: () => undefined,
      complete: () => undefined,
    });
    await until(async () => (await scrape(server)).get('duban_subscriptions')! >= 1, 'the subscription');
    const sent = await server.gql(SubmitDocument, {
      input: { indicator: 'P3-01', region: '330302', value: 12, asOf: '2019-06-30', idempotencyKey: 'ops-metrics' },
    }, await server.token('lucheng'));
    expect(sent.errors).toBeUndefined();
    await until(() => received === 2, 'the county\'s and the city\'s events');
    const samples = await scrape(server);
    expect(samples.get('duban_websocket_connections')).toBe(1);
    expect(samples.get('duban_subscriptions')).toBe(1);
    expect(samples.get('duban_graphql_operations_total{operation="BoardEvents",type="subscription"}')).toBe(1);
    expect(samples.get('duban_events_fanned_out_total')).toBeGreaterThanOrEqual(2);
    expect(samples.get('duban_event_payloads_executed_total')).toBeGreaterThanOrEqual(2);
    expect(samples.get('duban_outbox_lag_events')).toBe(0);
  });

  it('logs each request as JSON with a request id: the client\'s if it sent a plain one, else a new one', async () => {
    const mine = await get(server, '/readyz', { 'x-request-id': 'wall-7f3a' });
    expect(mine.headers.get('x-request-id')).toBe('wall-7f3a');
    const fresh = await get(server, '/readyz');
    const freshId = fresh.headers.get('x-request-id')!;
    expect(freshId).toMatch(/^[0-9a-f-]{36}$/);
    const odd = await get(server, '/readyz', { 'x-request-id': 'has spaces and <html>' });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await until(() => log.lines.filter((l) => (l.req as { url?: string } | undefined)?.url === '/readyz').length >= 3, 'the log lines');
    const entry = log.lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'wall-7f3a')!;
    expect(entry).toMatchObject({ level: 30, service: 'duban', req: { method: 'GET', url: '/readyz' }, res: { statusCode: 200 }, responseTime: expect.any(Number) });
    expect(log.lines.some((l) => (l.req as { id?: string } | undefined)?.id === freshId)).toBe(true);
  });

  it('never writes a token down: not the Authorization header, not the board\'s ?token=', async () => {
    const token = await server.token('yanglao');
    await server.gql(MeDocument, {}, token);
    await get(server, `/board?programme=P3&region=330300&token=${token}`);
    await until(() => log.lines.some((l) => String((l.req as { url?: string } | undefined)?.url).startsWith('/board')), 'the board\'s line');
    expect(JSON.stringify(log.lines)).not.toContain(token);
    expect(log.lines.find((l) => String((l.req as { url?: string } | undefined)?.url).startsWith('/board'))!.req).toMatchObject({ url: '/board?programme=P3&region=330300&token=[redacted]' });
  });

  it('logs a client error as a warning', async () => {
    await get(server, '/board/assets/missing.js');
    await until(() => log.lines.some((l) => (l.req as { url?: string } | undefined)?.url === '/board/assets/missing.js'), 'the 404\'s line');
    expect(log.lines.find((l) => (l.req as { url?: string } | undefined)?.url === '/board/assets/missing.js')).toMatchObject({ level: 40, res: { statusCode: 404 } });
  });

  it('sends no X-Powered-By, on any route', async () => {
    const token = await server.token('screen');
    const answers = await Promise.all([
      get(server, '/healthz'), get(server, '/readyz'), get(server, '/metrics'), get(server, '/nowhere'), get(server, '/board?programme=P3&region=330300'),
      get(server, '/playground'), get(server, '/export/board.xlsx?programme=P3&region=330300', { authorization: `Bearer ${token}` }),
      fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }),
      fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ me { username } }' }) }),
    ]);
    expect(answers.map((a) => a.headers.get('x-powered-by'))).toEqual(answers.map(() => null));
  });
});

describe('/readyz when what it needs is away', () => {
  it('is 503 naming the database while its database refuses connections, stays alive, and is ready again once it is back', async () => {
    const server = await startTestServer();
    const database = new URL(server.config.databaseUrl!).pathname.slice(1);
    const adminToken = await server.token('admin');
    const admin = new Client({ connectionString: process.env.DUBAN_TEST_ADMIN_URL });
    await admin.connect();
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      // The database goes away: no new connections, every open one cut.
      await admin.query(`alter database "${database}" allow_connections false`);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [database]);
      const res = await get(server, '/readyz');
      expect(res.status).toBe(503);
      const body = await res.json();
      // Without a token, only which check failed: no error text, no port, no bus name.
      expect(body).toEqual({ status: 'unavailable', checks: { database: 'unavailable', bus: 'unavailable' } });
      expect(JSON.stringify(body)).not.toMatch(/password|postgres|port|ECONN|\d{4,5}/);
      // An ADMIN's token cannot be checked while the database is away: the answer stays as short.
      expect(await (await get(server, '/readyz', { authorization: `Bearer ${adminToken}` })).json()).toEqual(body);
      expect((await get(server, '/healthz')).status).toBe(200);

      await admin.query(`alter database "${database}" allow_connections true`);
      await until(async () => (await get(server, '/readyz')).status === 200, 'ready again', 15_000);
    } finally {
      await admin.query(`alter database "${database}" allow_connections true`).catch(() => undefined);
      await admin.end();
      quiet.mockRestore();
      await server.close();
    }
  });

  it('is 503 once the server begins shutting down, so the balancer sends no more', async () => {
    const server = await startTestServer();
    try {
      expect((await get(server, '/readyz')).status).toBe(200);
      server.services.events.beginClosing();
      const res = await get(server, '/readyz');
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', closing: true, checks: { database: 'ok', bus: 'ok' } });
      expect((await get(server, '/healthz')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  const redisServer = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
  (redisServer ? it : it.skip)('is 503 naming the bus when Redis goes away under a server that uses it', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => { const { port: p } = probe.address() as { port: number }; probe.close(() => resolve(p)); });
    });
    const redis: ChildProcess = spawn(redisServer!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    let server: TestServer | undefined;
    try {
      await until(() => new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.on('connect', () => { socket.end(); resolve(true); });
        socket.on('error', () => resolve(false));
      }), 'a Redis of its own', 10_000);
      server = await startTestServer({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
      const admin = { authorization: `Bearer ${await server.token('admin')}` };
      const ready = await get(server, '/readyz', admin);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { details: { bus: unknown } }).details.bus).toEqual({ ok: true, name: 'redis' });
      redis.kill('SIGKILL');
      await until(async () => (await get(server!, '/readyz')).status === 503, 'not ready', 10_000);
      expect(await (await get(server, '/readyz')).json()).toEqual({ status: 'unavailable', checks: { database: 'ok', bus: 'unavailable' } });
      // An ADMIN reads why (the database answers, so the token can be checked).
      const body = (await (await get(server, '/readyz', admin)).json()) as { details: unknown };
      expect(body.details).toMatchObject({ database: { ok: true }, bus: { ok: false, name: 'redis', error: expect.any(String) } });
    } finally {
      redis.kill('SIGKILL');
      await server?.close().catch(() => undefined);
    }
  });
});
