import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { relayStylePagination } from '@apollo/client/utilities';
import { OperationTypeNode } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import introspection from '../client/possible-types';
import { BoardEventsIdsDocument, BoardIdsDocument, SubmitDocument, type BoardIdsQuery } from '../client/operations';
import { firstValueFrom, filter as where } from 'rxjs';
import { SubmissionsPageDocument, type SubmissionsPageQuery } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

// Apollo Client 4 as a frontend team sets it up (client/README.md): InMemoryCache with the generated
// possibleTypes and nothing else but the pagination policy, HTTP for queries, graphql-ws for
// subscriptions. No cache code of the test's own: the ids do the merging.
let server: TestServer;
const cleanups: (() => unknown)[] = [];
beforeAll(async () => { server = await startTestServer(); });
afterEach(async () => { await Promise.all(cleanups.splice(0).map((c) => c())); });
afterAll(() => server.close());

function apollo(token: string): ApolloClient {
  const ws: WsClient = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  const link = ApolloLink.split(
    (operation) => operation.operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(ws),
    new HttpLink({ uri: server.url, headers: { authorization: `Bearer ${token}` } }),
  );
  const client = new ApolloClient({
    link,
    cache: new InMemoryCache({
      possibleTypes: introspection.possibleTypes,
      typePolicies: { Query: { fields: { submissions: relayStylePagination(['filter']) } } },
    }),
  });
  cleanups.push(() => { client.stop(); return ws.dispose(); });
  return client;
}

const p301At = (board: BoardIdsQuery | undefined, region: string) => {
  const progress = board?.programme.indicators.find((i) => i.code === 'P3-01')?.progress;
  return region === progress?.region.code ? progress : progress?.children.find((c) => c.region.code === region);
};

describe('Apollo Client with InMemoryCache', () => {
  it('sees a figure another user submits arrive in the watched Board, through BoardEvents alone', async () => {
    const screen = await server.token('screen');
    const client = apollo(screen);
    const variables = { programme: 'P3', region: '330300' };
    let latest: BoardIdsQuery | undefined;
    const watched = client.watchQuery({ query: BoardIdsDocument, variables }).subscribe((result) => { if (result.data) latest = result.data as BoardIdsQuery; });
    cleanups.push(() => watched.unsubscribe());
    await until(() => p301At(latest, '330300') !== undefined, 'the board');
    const before = { city: p301At(latest, '330300')!.actual!, county: p301At(latest, '330302')!.actual ?? 0 };

    const events: string[] = [];
    const subscription = client.subscribe({ query: BoardEventsIdsDocument, variables }).subscribe((result) => { events.push(result.data!.boardEvents.__typename); });
    cleanups.push(() => subscription.unsubscribe());
    await until(async () => (await server.ok('query { boardWatchers(programme: "P3", region: "330300") { username } }', {}, screen)).boardWatchers.length > 0, 'the subscription');

    // Another user, another client: 鹿城区's reporter adds 2 to the county's cumulative figure.
    const submitted = await server.gql(SubmitDocument, {
      input: { indicator: 'P3-01', region: '330302', value: before.county + 2, asOf: '2019-06-30', idempotencyKey: 'apollo-1' },
    }, await server.token('lucheng'));
    expect(submitted.errors).toBeUndefined();

    await until(() => p301At(latest, '330300')!.actual === before.city + 2 && p301At(latest, '330302')!.actual === before.county + 2, 'the watched board to change');
    expect(events).toContain('ProgressChanged');
    // The watched query changed in the cache, not by a refetch: the cache holds one Progress for the city.
    const city = p301At(latest, '330300')!;
    expect((client.cache.extract() as Record<string, unknown>)[`Progress:${city.id}`]).toMatchObject({ actual: before.city + 2 });
  });

  it('pages submissions with relayStylePagination, the edges of every page in one list', async () => {
    const client = apollo(await server.token('admin'));
    const filter = { programme: 'P3', region: '330300' };
    const all = await client.query({ query: SubmissionsPageDocument, variables: { filter, first: 6 }, fetchPolicy: 'network-only' });
    const expected = all.data!.submissions.edges.map((e) => e.node.id);
    await client.clearStore();
    const watched = client.watchQuery({ query: SubmissionsPageDocument, variables: { filter, first: 3 } });
    const first = await firstValueFrom(watched.pipe(where((r) => r.dataState === 'complete')));
    expect(first.data!.submissions.edges).toHaveLength(3);
    const more = await watched.fetchMore({ variables: { after: first.data!.submissions.pageInfo.endCursor } });
    expect(more.data!.submissions.edges).toHaveLength(3);
    // The watched query now reads both pages, in order.
    const merged = (watched.getCurrentResult().data as SubmissionsPageQuery).submissions;
    expect(merged.edges.map((e) => e.node.id)).toEqual(expected);
    expect(merged.totalCount).toBe(all.data!.submissions.totalCount);
  });

  it('tells FORBIDDEN from BAD_USER_INPUT by extensions.code', async () => {
    const client = apollo(await server.token('lucheng'));
    const codeOf = async (input: Record<string, unknown>) => {
      try {
        await client.mutate({ mutation: SubmitDocument, variables: { input: { indicator: 'P3-01', asOf: '2019-06-30', ...input } as never } });
        return 'OK';
      } catch (error) {
        if (!CombinedGraphQLErrors.is(error)) throw error;
        return [error.errors[0].extensions?.code, error.errors[0].extensions?.field];
      }
    };
    expect(await codeOf({ region: '330303', value: 1 })).toEqual(['FORBIDDEN', undefined]);
    expect(await codeOf({ region: '330302', value: -1 })).toEqual(['BAD_USER_INPUT', 'value']);
  });
});
