import { parse, print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

/**
 * Twelve counties report at the same moment; a screen watches P3 at the city. After each burst,
 * once the projector has folded it, the last ProgressChanged the screen received for the city must
 * read what a fresh query reads: with one instance and with two on one database (writes on both,
 * the screen on one, whichever leads the projection), over each bus.
 */
const BURSTS = 4;
const buses: [string, NodeJS.ProcessEnv | undefined][] = [
  ['postgres', {}],
  ['redis', process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : undefined],
];

const FIGURES = 'actual completion expectedByNow status reportedCount expectedCount met metOf doneOn lastReportedAt target { id }';
const BOARD = print(parse(`subscription ($programme: String!, $region: String!) {
  boardEvents(programme: $programme, region: $region) {
    __typename cursor
    ... on ProgressChanged { indicator { code } region { code } progress { ${FIGURES} } }
  }
}`));
const PROGRESS = `query ($region: String!) { indicator(code: "P3-01") { progress(region: $region) { ${FIGURES} } } }`;
const SUBMIT = 'mutation ($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }';

interface Received { cursor: string; indicator: string; region: string; progress: Record<string, unknown> }

function watch(server: TestServer, token: string, clients: Client[]): Received[] {
  const got: Received[] = [];
  const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  clients.push(client);
  client.subscribe<{ boardEvents: { __typename: string; cursor: string; indicator?: { code: string }; region?: { code: string }; progress?: Record<string, unknown> } }>(
    { query: BOARD, variables: { programme: 'P3', region: '330300' } }, {
      next: ({ data }) => {
        const e = data?.boardEvents;
        if (e?.__typename === 'ProgressChanged') got.push({ cursor: e.cursor, indicator: e.indicator!.code, region: e.region!.code, progress: e.progress! });
      },
      error: () => undefined, complete: () => undefined,
    });
  return got;
}

describe.each(buses)('concurrent county reports over the %s bus', (name, busEnv) => {
  if (!busEnv) {
    it.skip('is skipped: REDIS_URL is not set (.ci/run sets it to the Redis on 127.0.0.1:6379)', () => undefined);
    beforeAll(() => console.warn(`the ${name} race test is skipped: REDIS_URL is not set`));
    return;
  }

  it.each([1, 2])('with %i instance(s): the board\'s last ProgressChanged after each burst equals a fresh query', async (instances) => {
    const a = await startTestServer({ env: { ...busEnv, DUBAN_EVENT_POLL_MS: '200' }, poolMax: 8 });
    const b = instances === 2 ? await startTestServer({ env: { ...busEnv, DUBAN_EVENT_POLL_MS: '200' }, poolMax: 8, attachTo: a }) : a;
    const clients: Client[] = [];
    try {
      const admin = await a.token('admin');
      const counties: string[] = (await a.ok('{ region(code: "330300") { children(first: 50) { edges { node { code level } } } } }', {}, admin))
        .region.children.edges.map((e: { node: { code: string; level: string } }) => e.node).filter((n: { level: string }) => n.level === 'COUNTY').map((n: { code: string }) => n.code);
      expect(counties).toHaveLength(12);
      const received = watch(b, await b.token('screen'), clients);
      await until(() => b.services.events.listenerCount === 1, 'the screen to subscribe');
      const adminOn = new Map([[a, admin], [b, await b.token('admin')]]);
      let mismatches = 0;
      for (let burst = 1; burst <= BURSTS; burst++) {
        const answers = await Promise.all(counties.map((region, i) => {
          const server = i % 2 === 0 ? a : b;
          return server.call(SUBMIT, { input: { indicator: 'P3-01', region, value: burst * 10 + (i % 7), asOf: '2019-06-30' } }, adminOn.get(server));
        }));
        expect(answers.map((r) => r.code)).toEqual(counties.map(() => 'OK'));
        await a.projected();
        // The city's last ProgressChanged of P3-01 in the outbox: the screen must have it.
        const [{ seq }] = await a.orm.em.fork().getConnection().execute<{ seq: string }[]>(`
          select max(seq)::text as seq from outbox_event
          where type = 'ProgressChanged' and region_code = '330300' and (payload->>'indicatorId')::int = (select id from indicator where code = 'P3-01')`);
        await until(() => received.some((e) => e.cursor === seq), `the screen to receive event ${seq}`);
        const last = received.filter((e) => e.indicator === 'P3-01' && e.region === '330300').at(-1)!;
        const fresh = (await b.ok(PROGRESS, { region: '330300' }, await b.token('screen'))).indicator.progress;
        if (JSON.stringify(last.progress) !== JSON.stringify(fresh)) mismatches += 1;
        expect(last.progress).toEqual(fresh);
        expect(fresh.reportedCount).toBe(12);
        // The city's total is every county's figure of this burst.
        expect(fresh.actual).toBe(counties.reduce((sum, _c, i) => sum + burst * 10 + (i % 7), 0));
      }
      expect(mismatches).toBe(0);
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
      if (b !== a) await b.close();
      await a.close();
    }
  });
});
