import { Client, fetchExchange, subscriptionExchange, type CombinedError } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import schema from '../client/urql-schema';
import { BoardEventsIdsDocument, BoardIdsDocument, SubmitDocument, type BoardIdsQuery } from '../client/operations';
import { SubmissionsPageNodesDocument } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

// urql 6 as a frontend team sets it up (client/README.md): graphcache with the generated schema
// (client/urql-schema.ts) and the relayPagination resolver, urql's default GET for queries (with the header Apollo's CSRF
// prevention asks for), graphql-ws for subscriptions. No cache code of the test's own.
let server: TestServer;
const cleanups: (() => unknown)[] = [];
beforeAll(async () => { server = await startTestServer(); });
afterEach(async () => { await Promise.all(cleanups.splice(0).map((c) => c())); });
afterAll(() => server.close());

/** The operations each client sent over HTTP, by name. */
const sent: string[] = [];

function urql(token: string, headers: Record<string, string> = { 'apollo-require-preflight': 'true' }): Client {
  const ws: WsClient = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  cleanups.push(() => ws.dispose());
  return new Client({
    url: server.url,
    fetch: (input, init) => { sent.push(new URL(String(input)).searchParams.get('operationName') ?? 'POST'); return fetch(input, init); },
    fetchOptions: { headers: { authorization: `Bearer ${token}`, ...headers } },
    exchanges: [
      cacheExchange({ schema, resolvers: { Query: { submissions: relayPagination() } } }),
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }) };
        },
      }),
      fetchExchange,
    ],
  });
}

const p301At = (board: BoardIdsQuery | undefined, region: string) => {
  const progress = board?.programme.indicators.find((i) => i.code === 'P3-01')?.progress;
  return region === progress?.region.code ? progress : progress?.children.find((c) => c.region.code === region);
};

describe('urql with graphcache', () => {
  it('sends queries as GET (its default) with apollo-require-preflight; without the header the server refuses them (CSRF)', async () => {
    const token = await server.token('screen');
    const variables = { programme: 'P3', region: '330300' };
    const methods: string[] = [];
    const fetching = (input: string | URL | Request, init?: RequestInit) => { methods.push(init?.method ?? 'GET'); return fetch(input, init); };
    const refused = await new Client({ url: server.url, fetch: fetching, exchanges: [fetchExchange], fetchOptions: { headers: { authorization: `Bearer ${token}` } } })
      .query(BoardIdsDocument, variables).toPromise();
    expect(refused.error?.response?.status).toBe(400);
    const client = new Client({ url: server.url, fetch: fetching, exchanges: [fetchExchange], fetchOptions: { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } } });
    const ok = await client.query(BoardIdsDocument, variables).toPromise();
    expect(ok.error).toBeUndefined();
    expect(ok.data!.programme.code).toBe('P3');
    expect(methods).toEqual(['GET', 'GET']);
  });

  it('sees a figure another user submits arrive in the watched Board, through BoardEvents alone', async () => {
    const screen = await server.token('screen');
    const client = urql(screen);
    const variables = { programme: 'P3', region: '330300' };
    let latest: BoardIdsQuery | undefined;
    const watched = client.query(BoardIdsDocument, variables).subscribe((result) => { if (result.data) latest = result.data; });
    cleanups.push(() => watched.unsubscribe());
    await until(() => p301At(latest, '330300') !== undefined, 'the board');
    const before = { city: p301At(latest, '330300')!.actual!, county: p301At(latest, '330302')!.actual ?? 0 };

    const events: string[] = [];
    const subscription = client.subscription(BoardEventsIdsDocument, variables).subscribe((result) => { if (result.data) events.push(result.data.boardEvents.__typename); });
    cleanups.push(() => subscription.unsubscribe());
    await until(async () => (await server.ok('query { boardWatchers(programme: "P3", region: "330300") { username } }', {}, screen)).boardWatchers.length > 0, 'the subscription');

    const submitted = await server.gql(SubmitDocument, {
      input: { indicator: 'P3-01', region: '330302', value: before.county + 3, asOf: '2019-06-30', idempotencyKey: 'urql-1' },
    }, await server.token('lucheng'));
    expect(submitted.errors).toBeUndefined();

    await until(() => p301At(latest, '330300')!.actual === before.city + 3 && p301At(latest, '330302')!.actual === before.county + 3, 'the watched board to change');
    expect(events).toContain('ProgressChanged');
    // The cache changed the watched query: the board was read over HTTP once.
    expect(sent.filter((name) => name === 'BoardIds')).toHaveLength(1);
  });

  it('pages submissions with relayPagination, the nodes of every page in one list', async () => {
    const client = urql(await server.token('admin'));
    const filter = { programme: 'P3', region: '330300' };
    const all = await client.query(SubmissionsPageNodesDocument, { filter, first: 6 }, { requestPolicy: 'network-only' }).toPromise();
    const expected = all.data!.submissions.nodes.map((n) => n.id);
    const paged = urql(await server.token('admin'));
    const first = await paged.query(SubmissionsPageNodesDocument, { filter, first: 3 }).toPromise();
    expect(first.data!.submissions.nodes).toHaveLength(3);
    const second = await paged.query(SubmissionsPageNodesDocument, { filter, first: 3, after: first.data!.submissions.pageInfo.endCursor }).toPromise();
    // The cache answers the second page's query with both pages, in order.
    expect(second.data!.submissions.nodes.map((n) => n.id)).toEqual(expected);
  });

  it('tells FORBIDDEN from BAD_USER_INPUT by extensions.code', async () => {
    const client = urql(await server.token('lucheng'));
    const codeOf = async (input: Record<string, unknown>) => {
      const { error } = await client.mutation(SubmitDocument, { input: { indicator: 'P3-01', asOf: '2019-06-30', ...input } as never }).toPromise();
      const first = (error as CombinedError | undefined)?.graphQLErrors[0];
      return first ? [first.extensions.code, first.extensions.field] : 'OK';
    };
    expect(await codeOf({ region: '330303', value: 1 })).toEqual(['FORBIDDEN', undefined]);
    expect(await codeOf({ region: '330302', value: -1 })).toEqual(['BAD_USER_INPUT', 'value']);
  });
});
