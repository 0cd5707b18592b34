import { createClient, type Client } from 'graphql-ws';
import { print } from 'graphql';
import { get as httpGet, type IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { BoardEventsDocument, BoardPresenceDocument, BoardWatchersDocument, ProgressDocument, SetTargetDocument, SubmitDocument, type BoardEventsSubscription } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

let server: TestServer;
const clients: Client[] = [];
const tokens: { screen?: string } = {};
beforeAll(async () => {
  server = await startTestServer({ connectionInitWaitTimeout: 500 });
  tokens.screen = await server.token('screen');
});
afterEach(async () => { await Promise.all(clients.splice(0).map((c) => c.dispose())); });
afterAll(() => server.close());

function client(token: string | undefined, onClose?: (code: number) => void): Client {
  const c = createClient({
    url: server.wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: { closed: (event) => onClose?.((event as { code: number }).code) },
    onNonLazyError: () => undefined,
  });
  clients.push(c);
  return c;
}

function closeCode(token: string | undefined): Promise<number> {
  return new Promise((resolve) => client(token, resolve));
}

describe('WebSocket (graphql-transport-ws) on the API\'s own path', () => {
  it('closes with 4403 for a missing or bad token', async () => {
    expect(await closeCode(undefined)).toBe(4403);
    expect(await closeCode('not-a-token')).toBe(4403);
  });

  it('closes with 4408 when no connection_init comes in time', async () => {
    const code = await new Promise<number>((resolve) => {
      const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
      socket.on('close', (c) => resolve(c));
    });
    expect(code).toBe(4408);
  });
});

describe('boardEvents (contract: board-events.graphql)', () => {
  it('pushes the progress of the region and of its children when a county reports', async () => {
    expect.assertions(5);
    const c = client(await server.token('screen'));
    const events: BoardEventsSubscription['boardEvents'][] = [];
    const twoEvents = new Promise<void>((resolve, reject) => {
      c.subscribe<BoardEventsSubscription>({ query: print(BoardEventsDocument), variables: { programme: 'P3', region: '330300' } }, {
        next: ({ data }) => {
          // Its own arrival (see the presence tests) and the notices judged from the figure (see test/notice.test.ts).
          if (data!.boardEvents.__typename === 'PresenceChanged' || data!.boardEvents.__typename === 'NoticeChanged') return;
          events.push(data!.boardEvents);
          if (events.length === 2) resolve();
        },
        error: reject,
        complete: () => undefined,
      });
    });
    await until(() => server.services.events.listenerCount === 1);
    const submitted = await server.gql(SubmitDocument, { input: { indicator: 'P3-01', region: '330302', value: 6, asOf: '2019-06-30' } }, await server.token('lucheng'));
    expect(submitted.errors).toBeUndefined();
    await twoEvents;
    const byRegion = new Map(events.map((e) => [e.__typename === 'ProgressChanged' ? e.region.code : '', e]));
    expect([...byRegion.keys()].sort()).toEqual(['330300', '330302']);
    const county = byRegion.get('330302')!;
    expect(county.__typename === 'ProgressChanged' && county.progress.actual).toBe(6);
    expect(Number(events[1].cursor)).toBeGreaterThan(Number(events[0].cursor));
    expect(events.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
  });

  it('answers NOT_FOUND for an unknown programme', async () => {
    const errors = (await subscribeErrors({ programme: 'P9', region: '330300' })) as { extensions: { code: string } }[];
    expect(errors[0].extensions.code).toBe('NOT_FOUND');
  });

  it('moves the county and the city when a township reports (P3-05, 五马街道)', async () => {
    const received = collect({ programme: 'P3', region: '330300' });
    await until(() => server.services.events.listenerCount === 1);
    const res = await server.gql(SubmitDocument, { input: { indicator: 'P3-05', region: '330302006', value: 40, asOf: '2019-06-30' } }, await server.token('wuma'));
    expect(res.errors).toBeUndefined();
    const events = await received.take(2);
    const changed = events.map((e) => (e.__typename === 'ProgressChanged' ? [e.indicator.code, e.region.code] : []));
    expect(changed).toEqual([['P3-05', '330302'], ['P3-05', '330300']]);
    const city = await server.gql(ProgressDocument, { indicator: 'P3-05', region: '330300' }, await server.token('screen'));
    const last = events[1];
    expect(last.__typename === 'ProgressChanged' && last.progress.actual).toBe(city.data!.indicator.progress.actual);
  });

  it('resumes after a cursor: every event after it from the outbox, then live, no gap and no repeat', async () => {
    const lucheng = await server.token('lucheng');
    const submit = (value: number) => server.gql(SubmitDocument, { input: { indicator: 'P3-01', region: '330302', value, asOf: '2019-06-30' } }, lucheng);
    const first = collect({ programme: 'P3', region: '330300' });
    await until(() => server.services.events.listenerCount === 1);
    await submit(11);
    const seen = await first.take(2);
    await first.close();
    // Away: two figures come in (each folded on its own: a page of facts makes one event per region).
    await submit(12);
    await server.projected();
    await submit(13);
    await server.projected();
    const cursor = seen[1].cursor;
    const resumed = collect({ programme: 'P3', region: '330300', after: cursor });
    const replayed = await resumed.take(4);
    await submit(14);
    const live = await resumed.take(2);
    const cursors = [...seen, ...replayed, ...live].map((e) => Number(e.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(new Set(cursors).size).toBe(8);
    const actuals = [...replayed, ...live].filter((e) => e.__typename === 'ProgressChanged' && e.region.code === '330302')
      .map((e) => (e.__typename === 'ProgressChanged' ? e.progress.actual : null));
    expect(actuals).toEqual([12, 13, 14]);
    // The outbox holds exactly these for this board after the cursor: none missed.
    const rows = await server.orm.em.fork().getConnection().execute<{ seq: string }[]>(
      `select seq from outbox_event where seq > ? and type not in ('PresenceChanged', 'NoticeChanged') and programme_id = (select id from programme where code = 'P3') and (region_code = '330300' or parent_code = '330300') order by seq`, [cursor]);
    expect(rows.map((r) => Number(r.seq))).toEqual(cursors.slice(2));
  });

  it('tells a target change to the board', async () => {
    const received = collect({ programme: 'P3', region: '330300' });
    await until(() => server.services.events.listenerCount === 1);
    const set = await server.gql(SetTargetDocument, { input: { indicator: 'P3-16', region: '330302', comparator: 'GTE', value: 2, deadline: '2019-11-30', expectedVersion: 1 } }, await server.token('admin'));
    expect(set.errors).toBeUndefined();
    const events = await received.take(1);
    expect(events[0].__typename).toBe('TargetChanged');
  });

  it.each([
    ['ahead of the stream', '999999999', 'BAD_USER_INPUT', undefined],
    ['not a cursor', 'yesterday', 'BAD_USER_INPUT', undefined],
    ['older than what the outbox keeps', '1', 'BAD_USER_INPUT', 'CURSOR_EXPIRED'],
  ])('refuses a cursor %s', async (_what, after, code, reason) => {
    if (reason) {
      // Retention has passed over the first events.
      await server.orm.em.fork().getConnection().execute('update outbox_sequence set pruned_through = 2 where id');
    }
    const errors = (await subscribeErrors({ programme: 'P3', region: '330300', after })) as { message: string; extensions: { code: string; reason?: string } }[];
    expect(errors[0].extensions.code).toBe(code);
    expect(errors[0].extensions.reason).toBe(reason);
    if (reason) expect(errors[0].message).toMatch(/reload the board/);
  });

  it('tells who watches: a person\'s first screen joins, their last leaves, the list is a query away', async () => {
    const watching = collect({ programme: 'P6', region: '330300' }, tokens.screen, true);
    const [own] = await watching.take(1);
    expect(own).toMatchObject({ __typename: 'PresenceChanged', change: 'JOINED', watcher: { username: 'screen' }, watching: 1 });
    const yanglao = await server.token('yanglao');
    const other = collect({ programme: 'P6', region: '330300' }, yanglao, true);
    expect(await watching.take(1)).toEqual([expect.objectContaining({ change: 'JOINED', watcher: expect.objectContaining({ username: 'yanglao', department: '养老服务处' }), watching: 2 })]);
    const second = collect({ programme: 'P6', region: '330300' }, yanglao, true); // a second screen, same person: no news
    await until(() => server.services.events.listenerCount === 3);
    const list = await server.gql(BoardWatchersDocument, { programme: 'P6', region: '330300' }, tokens.screen);
    expect(list.data!.boardWatchers.map((w) => w.username)).toEqual(['screen', 'yanglao']);
    await second.close();
    await other.close();
    expect(await watching.take(1)).toEqual([expect.objectContaining({ change: 'LEFT', watcher: expect.objectContaining({ username: 'yanglao' }), watching: 1 })]);
  });

  it('holds at most the configured number of subscriptions on one connection', async () => {
    const capped = await startTestServer({ env: { DUBAN_WS_MAX_SUBSCRIPTIONS: '2' } });
    try {
      const c = createClient({ url: capped.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${await capped.token('screen')}` } });
      clients.push(c);
      const outcomes: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        c.subscribe({ query: print(BoardEventsDocument), variables: { programme: 'P3', region: '330300' } }, {
          next: () => undefined, error: (e) => outcomes.push(e), complete: () => undefined,
        });
      }
      await until(() => outcomes.length === 1);
      expect((outcomes[0] as { extensions: { code: string } }[])[0].extensions.code).toBe('BAD_USER_INPUT');
      await until(() => capped.services.events.listenerCount === 2);
      expect(outcomes).toHaveLength(1);
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.dispose()));
      await capped.close();
    }
  });
});

type BoardEvent = BoardEventsSubscription['boardEvents'];

/**
 * Subscribes to a board; `take(n)` resolves with the next n events (presence ones only if asked;
 * never the notices the engine judges from the figures, which test/notice.test.ts follows).
 */
function collect(variables: { programme: string; region: string; after?: string }, token = tokens.screen, withPresence = false) {
  const c = client(token);
  const buffer: BoardEvent[] = [];
  let waiter: { n: number; resolve: (events: BoardEvent[]) => void; reject: (e: unknown) => void } | undefined;
  const flush = () => {
    if (waiter && buffer.length >= waiter.n) {
      const { n, resolve } = waiter;
      waiter = undefined;
      resolve(buffer.splice(0, n));
    }
  };
  c.subscribe<BoardEventsSubscription>({ query: print(withPresence ? BoardPresenceDocument : BoardEventsDocument), variables }, {
    next: ({ data, errors }) => {
      if (errors) waiter?.reject(errors);
      else if (data!.boardEvents.__typename === 'NoticeChanged') return;
      else if (withPresence || data!.boardEvents.__typename !== 'PresenceChanged') { buffer.push(data!.boardEvents); flush(); }
    },
    error: (e) => waiter?.reject(e),
    complete: () => undefined,
  });
  return {
    take: (n: number) => new Promise<BoardEvent[]>((resolve, reject) => { waiter = { n, resolve, reject }; flush(); }),
    close: () => c.dispose(),
  };
}

function subscribeErrors(variables: Record<string, unknown>): Promise<unknown> {
  const c = client(tokens.screen);
  return new Promise<unknown>((resolve) => {
    c.subscribe({ query: print(BoardEventsDocument), variables }, { next: (r) => resolve(r.errors), error: resolve, complete: () => undefined });
  });
}

/** A client that reads the connection_ack, then never reads again (it still writes). */
class StopsReading extends WebSocket {
  static last: StopsReading | undefined;
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    StopsReading.last = this;
    this.once('message', () => this.raw().pause());
  }

  raw(): { pause(): void; resume(): void } {
    return (this as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  }
}

/**
 * One real target change, then two thousand more like it in the outbox, announced at once (target
 * changes, which are never merged as a board's figures may be).
 */
async function floodWithTargetChanges(server: TestServer): Promise<void> {
  const res = await server.gql(SetTargetDocument, { input: { indicator: 'P3-16', region: '330302', comparator: 'GTE', value: 3, deadline: '2019-12-30' } }, await server.token('admin'));
  expect(res.errors).toBeUndefined();
  // Its ProgressChanged events are the projector's: once they are in the outbox, copy them.
  await server.projected();
  const conn = server.orm.em.fork().getConnection();
  await conn.execute(`
    insert into outbox_event (seq, type, programme_id, region_code, parent_code, payload, created_at)
    select (select last_seq from outbox_sequence) + n, type, programme_id, region_code, parent_code, payload, created_at
    from outbox_event, generate_series(1, 2000) as n
    where seq = (select max(seq) from outbox_event where type = 'TargetChanged')`);
  const [{ last }] = await conn.execute<{ last: string }[]>('update outbox_sequence set last_seq = last_seq + 2000 returning last_seq as last');
  server.services.events.announce(last);
}

describe('a subscriber that stops reading', () => {
  it('is cut off with 4013 once its queue passes the bound, and leaves nothing behind', async () => {
    const slow = await startTestServer({ env: { DUBAN_WS_MAX_QUEUED_EVENTS: '50' } });
    try {
      const token = await slow.token('screen');
      const closed = new Promise<{ code: number; reason: string }>((resolve) => {
        const c = createClient({
          url: slow.wsUrl, webSocketImpl: StopsReading, retryAttempts: 0,
          connectionParams: { authorization: `Bearer ${token}` },
          on: { closed: (e) => { const { code, reason } = e as { code: number; reason: string }; resolve({ code, reason }); } },
        });
        clients.push(c);
        c.subscribe({ query: print(BoardEventsDocument), variables: { programme: 'P3', region: '330300' } }, {
          next: () => undefined, error: () => undefined, complete: () => undefined,
        });
      });
      await until(() => slow.services.events.listenerCount === 1);
      await floodWithTargetChanges(slow);
      // The server gives up on it: the subscription ends, its queue goes with it.
      await until(() => slow.services.events.listenerCount === 0);
      // Reading again, the client finds why.
      StopsReading.last!.raw().resume();
      const { code, reason } = await closed;
      expect(code).toBe(4013);
      expect(reason).toMatch(/reconnect with your last cursor/);
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.dispose()));
      await slow.close();
    }
  });
});

describe('an event stream that stops reading', () => {
  it('is dropped (not completed) once its queue passes the bound, so that it reconnects from its last cursor; nothing is left behind', async () => {
    const slow = await startTestServer({ env: { DUBAN_WS_MAX_QUEUED_EVENTS: '50' } });
    try {
      const token = await slow.token('screen');
      const url = new URL(slow.sseUrl);
      url.searchParams.set('query', print(BoardEventsDocument));
      url.searchParams.set('variables', JSON.stringify({ programme: 'P3', region: '330300' }));
      let received = '';
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        httpGet(url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } }, resolve).on('error', reject);
      });
      expect(response.statusCode).toBe(200);
      const ended = new Promise<string>((resolve) => {
        response.on('aborted', () => resolve('aborted'));
        response.on('error', () => resolve('error'));
        response.on('end', () => resolve('end'));
      });
      // It reads the stream's first bytes, then never again.
      await new Promise<void>((resolve) => response.once('data', (chunk) => { received += String(chunk); response.pause(); resolve(); }));
      await until(() => slow.services.events.listenerCount === 1);
      await floodWithTargetChanges(slow);
      // The server gives up on it: the subscription ends, its queue goes with it.
      await until(() => slow.services.events.listenerCount === 0);
      // Reading again, the client finds the stream cut short: no `complete`, which would tell it not to come back.
      response.on('data', (chunk) => { received += String(chunk); });
      response.resume();
      expect(await ended).not.toBe('end');
      expect(received).toMatch(/event: next/);
      expect(received).not.toMatch(/event: complete/);
    } finally {
      await slow.close();
    }
  });
});

