import { print } from 'graphql';
import { Client } from 'pg';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { Replays, Semaphore } from '../src/modules/events/replay';
import type { EventFilter, StreamEvent } from '../src/modules/events/event-stream';
import { NotificationsDocument } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

/** A deferred read: resolves with the window's events when told. */
function fakeOutbox(seqs: number[]) {
  const pending: (() => void)[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const calls: [after: bigint, upTo: bigint][] = [];
  const read = async (after: bigint, _filter: EventFilter, upTo: bigint): Promise<StreamEvent[]> => {
    calls.push([after, upTo]);
    running += 1;
    mostAtOnce = Math.max(mostAtOnce, running);
    await new Promise<void>((resolve) => pending.push(resolve));
    running -= 1;
    return seqs.filter((s) => BigInt(s) > after && BigInt(s) <= upTo).map((s) => ({ seq: BigInt(s), row: {} as StreamEvent['row'], root: { s } }));
  };
  return { read, calls, pending, mostAtOnce: () => mostAtOnce, releaseAll: () => { for (const p of pending.splice(0)) p(); } };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('replays, without a database', () => {
  it('a semaphore lets at most its bound run at once, the others in order', async () => {
    const limit = new Semaphore(2);
    const order: number[] = [];
    const gates = Array.from({ length: 5 }, () => { let open!: () => void; const p = new Promise<void>((r) => { open = r; }); return { p, open }; });
    const runs = gates.map((g, i) => limit.run(async () => { order.push(i); await g.p; }));
    await flush();
    expect(order).toEqual([0, 1]);
    expect(limit.state).toEqual({ running: 2, waiting: 3 });
    gates[1].open();
    await flush();
    expect(order).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    await Promise.all(runs);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(limit.state).toEqual({ running: 0, waiting: 0 });
  });

  it('replays from nearby cursors share one read of their window, each getting what follows its own cursor', async () => {
    const outbox = fakeOutbox([3, 5, 8, 12, 13]);
    const replays = new Replays(outbox.read, 10, 4);
    const filter = { programmeId: 1, regionOrChildOf: '330300' };
    const pages = [2, 4, 6].map((after) => replays.page(BigInt(after), filter));
    await flush();
    outbox.releaseAll();
    const got = await Promise.all(pages);
    expect(outbox.calls).toEqual([[0n, 10n]]);
    expect(got.map((p) => p.events.map((e) => Number(e.seq)))).toEqual([[3, 5, 8], [5, 8], [8]]);
    expect(got.map((p) => p.through)).toEqual([10n, 10n, 10n]);
    // Another filter, or the next window, is a read of its own.
    const other = replays.page(2n, { userId: 7 });
    const next = replays.page(10n, filter);
    await flush();
    outbox.releaseAll();
    expect((await next).events.map((e) => Number(e.seq))).toEqual([12, 13]);
    await other;
    expect(outbox.calls).toHaveLength(3);
  });

  it('reads at most its bound of windows at once', async () => {
    const outbox = fakeOutbox([]);
    const replays = new Replays(outbox.read, 10, 2);
    const pages = Array.from({ length: 6 }, (_, i) => replays.page(BigInt(i * 10), {}));
    for (let i = 0; i < 6; i++) {
      await flush();
      outbox.releaseAll();
    }
    await Promise.all(pages);
    expect(outbox.calls).toHaveLength(6);
    expect(outbox.mostAtOnce()).toBe(2);
  });
});

describe('replays over WebSocket', () => {
  let server: TestServer;
  const clients: WsClient[] = [];
  beforeAll(async () => { server = await startTestServer(); });
  afterEach(async () => { await Promise.all(clients.splice(0).map((c) => c.dispose())); });
  afterAll(() => server.close());

  it('subscribers resuming together read each window once and each get exactly what follows its cursor', async () => {
    const [lucheng, yanglao] = await Promise.all([server.token('lucheng'), server.token('yanglao')]);
    const submitted = await server.ok('mutation S($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }',
      { input: { indicator: 'P3-01', region: '330302', value: 7, asOf: '2019-06-30' } }, lucheng);
    const id = submitted.submitFigure.submission.id;
    // The notices judged from the figure (and their notifications) come before the comments'.
    await server.projected();
    for (const text of ['一', '二']) {
      await server.ok('mutation C($input: AddCommentInput!) { addComment(input: $input) { id } }', { input: { indicator: 'P3-01', region: '330302', submission: id, text } }, yanglao);
    }
    const [{ seqs }] = await server.orm.em.fork().getConnection().execute<{ seqs: string[] }[]>(
      `select array_agg(seq::text order by seq) as seqs from outbox_event where type = 'Notification' and user_id = (select id from app_user where username = 'lucheng')`);
    const notes = seqs.map(BigInt).slice(-2);
    // Cursors from just before the first comment's notification to it: one window of the outbox (500 sequences).
    const windowStart = (notes[0] - 1n) / 500n * 500n;
    const cursors = [0n, 1n, 2n, 3n].map((i) => notes[0] - 1n - i).map((c) => (c < windowStart ? windowStart : c));
    // Held: the replays wait on the outbox until every subscriber has asked.
    const lock = new Client({ connectionString: server.orm.config.get('clientUrl') });
    await lock.connect();
    await lock.query('begin');
    await lock.query('lock table outbox_event in access exclusive mode');
    const replays = server.services.events.replays;
    const [readsBefore, askedBefore] = [replays.reads, replays.asked];
    const received = cursors.map((after) => {
      const got: { cursor: string; comment: { text: string } | null }[] = [];
      const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${lucheng}` } });
      clients.push(client);
      client.subscribe({ query: print(NotificationsDocument), variables: { after: String(after) } }, {
        next: ({ data }) => { got.push((data as any).notifications); }, error: () => undefined, complete: () => undefined,
      });
      return { after, got };
    });
    try {
      await until(() => replays.asked - askedBefore >= cursors.length);
    } finally {
      await lock.query('rollback');
      await lock.end();
    }
    const expected = (after: bigint) => seqs.map(BigInt).filter((s) => s > after).map(String);
    await until(() => received.every((r) => r.got.length >= expected(r.after).length), 'every replay');
    for (const { after, got } of received) expect(got.map((n) => n.cursor)).toEqual(expected(after));
    // Each window the replays crossed (up to the head when they began) was read once, however many subscribers asked for it.
    const windows = Number((server.services.events.head - 1n) / 500n - windowStart / 500n) + 1;
    expect(replays.reads - readsBefore).toBe(windows);
    expect(replays.asked - askedBefore).toBe(cursors.length * windows);
  });
});
