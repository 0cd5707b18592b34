import { createClient, type Client } from 'graphql-ws';
import { print } from 'graphql';
import WebSocket from 'ws';
import { BoardEventsDocument, SubmitDocument, type BoardEventsSubscription } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/test-server';

let server: TestServer;
const clients: Client[] = [];
beforeAll(async () => { server = await startTestServer({ connectionInitWaitTimeout: 500 }); });
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

/** Resolves once `condition` holds, checking on every turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setImmediate(r));
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
        next: ({ data }) => { events.push(data!.boardEvents); if (events.length === 2) resolve(); },
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

  it('answers NOT_FOUND for an unknown programme, and refuses a cursor it cannot replay', async () => {
    const c = client(await server.token('screen'));
    const run = (variables: Record<string, unknown>) => new Promise<unknown>((resolve) => {
      c.subscribe({ query: print(BoardEventsDocument), variables }, { next: (r) => resolve(r.errors), error: resolve, complete: () => undefined });
    });
    const unknown = (await run({ programme: 'P9', region: '330300' })) as { extensions: { code: string } }[];
    expect(unknown[0].extensions.code).toBe('NOT_FOUND');
    const resume = (await run({ programme: 'P3', region: '330300', after: '5' })) as { extensions: { code: string } }[];
    expect(resume[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});
