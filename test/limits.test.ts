import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getIntrospectionQuery, parse, print } from 'graphql';
import WebSocket from 'ws';
import { codes, startTestServer, type GraphQLResponse, type TestServer } from './helpers/test-server';

/** Every operation a client sends: the contract, and the tests' own. */
function clientOperations(): [name: string, query: string][] {
  return ['contract', 'operations'].flatMap((dir) => readdirSync(join(__dirname, dir)).filter((f) => f.endsWith('.graphql')).flatMap((file) => {
    const document = parse(readFileSync(join(__dirname, dir, file), 'utf8'));
    const fragments = document.definitions.filter((d) => d.kind === 'FragmentDefinition');
    return document.definitions.flatMap((d) => (d.kind === 'OperationDefinition'
      ? [[`${dir}/${file} ${d.name?.value ?? ''}`, print({ ...document, definitions: [d, ...fragments] })] as [string, string]]
      : []));
  }));
}

/** One operation over a fresh WebSocket; its first next or error message. */
async function overWebSocket(server: TestServer, token: string, query: string): Promise<{ type: string; payload: unknown }> {
  const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws');
  const answer = new Promise<{ type: string; payload: unknown }>((resolve, reject) => {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload: unknown };
      if (message.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
      if (message.type === 'next' || message.type === 'error') resolve(message);
    });
    ws.on('close', (code) => reject(new Error(`closed ${code}`)));
  });
  await new Promise<void>((resolve) => { ws.once('open', () => resolve()); });
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  try {
    return await answer;
  } finally {
    ws.removeAllListeners('close');
    ws.close();
  }
}

describe('limits tighter than the defaults', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { DUBAN_MAX_DEPTH: '7', DUBAN_MAX_ALIASES: '3', DUBAN_MAX_TOKENS: '400', DUBAN_MAX_COST: '5000', DUBAN_MAX_READ_COST: '20000' } });
  });
  afterAll(() => server.close());

  it.each(clientOperations())('still let %s through (its variables aside)', async (_name, query) => {
    // Sent without variables: a limit would refuse it before the variables are even read.
    const res = await server.post(JSON.stringify({ query }), await server.token('screen'));
    expect(codes(res.json)).not.toContain('LIMIT_EXCEEDED');
    expect(codes(res.json)).not.toContain('GRAPHQL_VALIDATION_FAILED');
  });

  it.each([
    ['depth', `{ region(code: "330302006") { ${'parent { '.repeat(6)}code${' }'.repeat(6)} } }`, 7],
    ['aliases', '{ a: me { username } b: me { username } c: me { username } d: me { username } }', 3],
    ['tokens', `{ me { ${'username '.repeat(400)}} }`, 400],
    ['cost', '{ region(code: "330300") { children(first: 300) { nodes { code name level } } } }', 5000],
    ['reads', '{ programmes { indicators { progress(region: "330300") { children { history { asOf } } } } } }', 20000],
  ])('are read from the environment: %s', async (limit, query, max) => {
    const res = await server.post(JSON.stringify({ query }), await server.token('screen'));
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([expect.objectContaining({ extensions: { code: 'LIMIT_EXCEEDED', limit, max } })]);
  });
});

describe('introspection, the playground and suggestions', () => {
  it('in production without the demo: no introspection (HTTP or WebSocket), no playground, no suggestions', async () => {
    const server = await startTestServer({ env: { DUBAN_DEMO: 'off' } });
    try {
      const token = await server.token('screen');
      const http = await server.post(JSON.stringify({ query: getIntrospectionQuery() }), token);
      expect(http.status).toBe(400);
      expect(new Set(codes(http.json))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
      expect(http.json.errors![0].message).toMatch(/introspection/);
      const type = await server.post(JSON.stringify({ query: '{ __type(name: "Submission") { fields { name } } }' }), token);
      expect(codes(type.json)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      const ws = await overWebSocket(server, token, getIntrospectionQuery());
      expect(ws.type).toBe('error');
      expect(new Set((ws.payload as GraphQLResponse<unknown>['errors'])!.map((e) => e.extensions?.code))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
      for (const path of ['/', '/playground', '/playground/assets/graphiql.js']) {
        expect((await fetch(server.url.replace(/\/graphql$/, path))).status).toBe(404);
      }
      const misspelt = await server.post(JSON.stringify({ query: '{ region(code: "330300") { nam } }' }), token);
      expect(misspelt.json.errors![0].message).toBe('Cannot query field "nam" on type "Region".');
      // __typename is no introspection: clients (and unions) need it.
      const typename = await server.post(JSON.stringify({ query: '{ me { __typename username } }' }), token);
      expect(typename.json).toEqual({ data: { me: { __typename: 'User', username: 'screen' } } });
    } finally {
      await server.close();
    }
  });

  it('in production, opted in: introspection and the playground', async () => {
    const server = await startTestServer({ env: { DUBAN_DEMO: 'off', DUBAN_INTROSPECTION: 'on', DUBAN_PLAYGROUND: 'on' } });
    try {
      const res = await server.post(JSON.stringify({ query: '{ __type(name: "Submission") { name } }' }), await server.token('screen'));
      expect(res.json).toEqual({ data: { __type: { name: 'Submission' } } });
      expect((await fetch(server.url.replace(/\/graphql$/, '/playground'))).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('in development: suggestions, introspection and the playground', async () => {
    const server = await startTestServer({ env: { NODE_ENV: 'development', DUBAN_DEMO: 'off' } });
    try {
      const token = await server.token('screen');
      const misspelt = await server.post(JSON.stringify({ query: '{ region(code: "330300") { nam } }' }), token);
      expect(misspelt.json.errors![0].message).toMatch(/Did you mean "name"\?/);
      const schema = await server.post(JSON.stringify({ query: '{ __schema { queryType { name } } }' }), token);
      expect(schema.json.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
      expect((await fetch(server.url.replace(/\/graphql$/, '/'))).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
