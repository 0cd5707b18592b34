import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { codes, startTestServer, type TestServer } from './helpers/test-server';

/**
 * What the progress fields make PostgreSQL read, priced before anything runs: a query that passes
 * depth, aliases, tokens and graphql-armor's cost but would read the submission history of every
 * township once per alias is refused with LIMIT_EXCEEDED (`limit: "reads"`), saying which part costs what.
 */
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

const day = (i: number) => new Date(Date.UTC(2019, 0, 1 + i * 6)).toISOString().slice(0, 10);
/** 29 aliases of a county's progress on different days, with its history, its townships' forecast and history, and the allocation. */
const stall = (aliases: number) => `{ programmes { indicators { ${Array.from({ length: aliases }, (_, i) =>
  `a${i}: progress(region: "330302", asOf: "${day(i)}") { history { asOf actual } children { forecast history { asOf actual } } allocation { target childrenSum } }`).join(' ')} } } }`;

const operation = (dir: string, file: string) => readFileSync(join(__dirname, dir, file), 'utf8');

describe('the read cost', () => {
  it('refuses the stalling query of a REPORTER over HTTP before it runs, naming the parts and their cost', async () => {
    const lucheng = await server.token('lucheng');
    const statements = await server.countStatements(async () => {
      const res = await server.post(JSON.stringify({ query: stall(29) }), lucheng);
      expect(res.status).toBe(400);
      expect(codes(res.json)).toEqual(['LIMIT_EXCEEDED']);
      const [error] = res.json.errors!;
      expect(error.extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'reads', max: server.config.limits.maxReadCost });
      expect(error.message).toMatch(/programmes\.indicators\.a\d+ in 330302 as of 2019-/);
      expect(error.message).toMatch(/children\.forecast [\d,]+/);
      expect(error.message).toMatch(/and 26 more progress fields/);
    });
    // The token's session and the tree's counts, at most: no roll-up, no history (the query run
    // would send hundreds).
    expect(statements).toBeLessThanOrEqual(6);
  });

  it('refuses it over WebSocket too, as an error message on that operation', async () => {
    const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${await server.token('lucheng')}` } });
    try {
      const errors = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: stall(29) }, { next: (r) => resolve(r.errors), error: resolve, complete: () => undefined });
      });
      expect(errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'LIMIT_EXCEEDED', limit: 'reads' }) })]);
    } finally {
      await client.dispose();
    }
  });

  it('prices the regions the variables name', async () => {
    const query = `query Q($region: String!) { programmes { indicators { ${Array.from({ length: 29 }, (_, i) => `a${i}: progress(region: $region, asOf: "${day(i)}") { children { history { asOf } } }`).join(' ')} } } }`;
    const county = await server.call(query, { region: '330302' }, await server.token('lucheng'));
    expect(county.code).toBe('LIMIT_EXCEEDED');
    // A township has no children: the same document reads little there.
    const township = await server.call(query, { region: '330302006' }, await server.token('wuma'));
    expect(township.code).toBe('OK');
  });

  it('lets every board of the contract through, well below the limit', async () => {
    const tight = await startTestServer({ env: { DUBAN_MAX_READ_COST: String(server.config.limits.maxReadCost / 10) } });
    try {
      const admin = await tight.token('admin');
      for (const variables of [{ programme: 'P3', region: '330300' }, { programme: 'P2', region: '330300', asOf: '2019-03-31' }, { programme: 'P3', region: '330302' }]) {
        expect((await tight.call(operation('contract', 'board.graphql'), variables, admin)).code).toBe('OK');
      }
      expect((await tight.call(operation('operations', 'progress.graphql'), { indicator: 'P3-01', region: '330300' }, admin)).code).toBe('OK');
      expect((await tight.call(stall(1), {}, admin)).code).toBe('LIMIT_EXCEEDED');
    } finally {
      await tight.close();
    }
  });
});
