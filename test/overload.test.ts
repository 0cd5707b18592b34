import { Client } from 'pg';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { openSocket } from './helpers/socket';
import { codes, startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

/**
 * What keeps one caller from holding the database: a statement timeout on every connection (a
 * typed error, the transaction rolled back) and a bound on each user's operations in flight.
 * Slowness is made with a lock held by another connection, never with a sleep or a clock.
 */

/** Holds a lock from a connection of its own until `release()`. */
async function holdLock(server: TestServer, statement: string): Promise<{ release(): Promise<void> }> {
  // As the tables' owner: the application role may not lock a table it only writes rows of.
  const client = new Client({ connectionString: server.database.ownerUrl });
  await client.connect();
  await client.query('begin');
  await client.query(statement);
  return {
    async release() {
      await client.query('rollback');
      await client.end();
    },
  };
}

const PROGRESS = 'query Progress($asOf: Date) { indicator(code: "P3-01") { progress(region: "330302", asOf: $asOf) { actual history { asOf actual } } } }';
const SUBMIT = 'mutation Submit($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }';
const WRITTEN = ['submission', 'audit_entry', 'outbox_event'];

describe('the statement timeout', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ env: { DUBAN_STATEMENT_TIMEOUT_MS: '300' } }); });
  afterAll(() => server.close());

  it('answers a read that runs past it with LIMIT_EXCEEDED (limit "time")', async () => {
    const lucheng = await server.token('lucheng');
    const lock = await holdLock(server, 'lock table submission in access exclusive mode');
    let res;
    try {
      res = await server.call(PROGRESS, { asOf: '2019-05-31' }, lucheng);
    } finally {
      await lock.release();
    }
    expect(res.code).toBe('LIMIT_EXCEEDED');
    expect(res.errors![0].extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'time', max: 300 });
    expect(res.errors![0].message).toMatch(/300 ms/);
    // The same query answers once nothing holds it up.
    expect((await server.call(PROGRESS, { asOf: '2019-05-31' }, lucheng)).code).toBe('OK');
  });

  it('rolls back a write whose statement runs past it: nothing written', async () => {
    const lucheng = await server.token('lucheng');
    const before = await Promise.all(WRITTEN.map((t) => server.count(t)));
    // The outbox's sequence row, which every write updates in its transaction.
    const lock = await holdLock(server, 'select * from outbox_sequence for update');
    const input = { indicator: 'P3-01', region: '330302', value: 9, asOf: '2019-06-30', idempotencyKey: 'timeout-1' };
    let res;
    try {
      res = await server.call(SUBMIT, { input }, lucheng);
    } finally {
      await lock.release();
    }
    expect(res.code).toBe('LIMIT_EXCEEDED');
    expect(res.errors![0].extensions).toMatchObject({ limit: 'time' });
    expect(await Promise.all(WRITTEN.map((t) => server.count(t)))).toEqual(before);
    // Sent again, it is written once.
    expect((await server.call(SUBMIT, { input }, lucheng)).code).toBe('OK');
    expect(await server.count('submission')).toBe(before[0] + 1);
  });
});

describe('operations in flight', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ env: { DUBAN_MAX_IN_FLIGHT_PER_USER: '2' } }); });
  afterAll(() => server.close());

  it('refuses one past the bound with RATE_LIMITED (HTTP 429), for that user only, over HTTP and WebSocket', async () => {
    const [lucheng, wuma] = await Promise.all([server.token('lucheng'), server.token('wuma')]);
    const lock = await holdLock(server, 'lock table submission in access exclusive mode');
    const ws = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${lucheng}` } });
    try {
      const sent = [1, 2, 3].map(() => server.post(JSON.stringify({ query: PROGRESS }), lucheng));
      // Two wait on the lock; the third is answered at once.
      const first = await Promise.race(sent);
      expect(first.status).toBe(429);
      expect(codes(first.json)).toEqual(['RATE_LIMITED']);
      expect(first.json.errors![0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
      // The same user over WebSocket, meanwhile: refused too.
      const overWs = await new Promise<any>((resolve) => {
        ws.subscribe({ query: '{ me { username } }' }, { next: resolve, error: resolve, complete: () => undefined });
      });
      expect(overWs.errors?.map((e: any) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
      // Another user is not held up.
      expect((await server.call('{ me { username } }', {}, wuma)).data).toEqual({ me: { username: 'wuma' } });
      await lock.release();
      const all = await Promise.all(sent);
      expect(all.map((r) => r.status).sort()).toEqual([200, 200, 429]);
      // Once they are done, the user may send again.
      expect((await server.call(PROGRESS, {}, lucheng)).code).toBe('OK');
    } finally {
      await ws.dispose();
      await lock.release().catch(() => undefined);
    }
  });

  it('lets a wall of screens on one account start its subscriptions at once: past the bound they wait for a slot, while its queries are refused', async () => {
    const screen = await server.token('screen');
    const BOARD = 'subscription { boardEvents(programme: "P3", region: "330300") { __typename ... on ProgressChanged { region { code } progress { actual } } } }';
    // Each start writes its presence row: with that table held, the first two starts stay in flight.
    const lock = await holdLock(server, 'lock table board_watcher in access exclusive mode');
    const sockets = Array.from({ length: 6 }, () => openSocket(server.wsUrl, screen));
    try {
      await Promise.all(sockets.map((s) => s.connected));
      const boards = sockets.map((s) => s.subscribe(BOARD));
      // Both slots taken by the starts: a query of the same account is refused at once.
      await until(async () => (await server.call('{ me { username } }', {}, screen)).code === 'RATE_LIMITED', 'the bound to be reached');
      await lock.release();
      await until(() => server.services.events.listenerCount >= 6, 'every board subscribed');
      await server.ok(SUBMIT, { input: { indicator: 'P3-01', region: '330302', value: 41, asOf: '2019-06-30' } }, await server.token('lucheng'));
      await until(() => boards.every((b) => b.payloads.some((p) => p.boardEvents.region?.code === '330300')), 'the figure on every board');
      expect(boards.flatMap((b) => b.errors)).toEqual([]);
      expect(sockets.map((s) => s.closedWith())).toEqual(sockets.map(() => undefined));
    } finally {
      await lock.release().catch(() => undefined);
      await Promise.all(sockets.map((s) => s.dispose()));
    }
  });
});
