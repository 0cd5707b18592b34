import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse, print, visit, type DocumentNode } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { BoardDocument, BoardEventsDocument, LoginDocument } from '../client/operations';
import { startTestServer, type TestServer } from './helpers/test-server';
import { canonical } from '../src/server/trusted-documents';

// Operations by hash (extensions.persistedQuery, Apollo's APQ shape) over HTTP and WebSocket, and
// trusted documents: with DUBAN_TRUSTED_DOCUMENTS=on only the manifest's operations, but for ADMIN.
const manifest = JSON.parse(readFileSync(`${__dirname}/../client/persisted-documents.json`, 'utf8')) as Record<string, string>;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hashOf = (doc: DocumentNode) => sha256(print(doc));
const byHash = (hash: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
const AD_HOC = 'query AdHoc { regions: region(code: "330300") { name } }';
const variables = { programme: 'P3', region: '330300' };

/** As Apollo Client and urql send a document: with __typename in every selection set. */
function withTypenames(doc: DocumentNode): string {
  return print(visit(doc, {
    SelectionSet: (node) => (node.selections.some((s) => s.kind === 'Field' && s.name.value === '__typename') ? undefined
      : { ...node, selections: [...node.selections, { kind: 'Field', name: { kind: 'Name', value: '__typename' } }] }),
  }));
}

let off: TestServer;
let on: TestServer;
const clients: Client[] = [];
beforeAll(async () => {
  [off, on] = await Promise.all([startTestServer(), startTestServer({ env: { DUBAN_TRUSTED_DOCUMENTS: 'on' } })]);
});
afterEach(async () => { await Promise.all(clients.splice(0).map((c) => c.dispose())); });
afterAll(() => Promise.all([off.close(), on.close()]));

const send = async (server: TestServer, body: object, token?: string) => {
  const { status, json } = await server.post(JSON.stringify(body), token);
  return { status, code: json.errors?.[0]?.extensions?.code ?? 'OK', data: json.data as any };
};

/** The first message a WebSocket subscription gets: its data, or its error's code. */
function firstOnSocket(server: TestServer, token: string, payload: { query: string; variables?: Record<string, unknown>; extensions?: Record<string, unknown> }): Promise<string> {
  const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  clients.push(client);
  return new Promise((resolve) => {
    client.subscribe(payload, {
      next: (result) => resolve(result.errors ? String(result.errors[0].extensions?.code) : (result.data as any).boardEvents.__typename),
      error: (errors) => resolve(String((errors as { extensions?: { code?: string } }[])[0]?.extensions?.code ?? errors)),
      complete: () => undefined,
    });
  });
}

describe('the manifest (npm run codegen: client/persisted-documents.json)', () => {
  it('holds every contract operation under the hash of its printed document, as the typed client prints it', () => {
    for (const doc of [BoardDocument, BoardEventsDocument, LoginDocument]) expect(manifest[hashOf(doc)]).toBe(print(doc));
    for (const [hash, text] of Object.entries(manifest)) expect(sha256(text)).toBe(hash);
    const names = Object.values(manifest).map((text) => (parse(text).definitions[0] as { name: { value: string } }).name.value);
    expect(names).toEqual(expect.arrayContaining(['Board', 'BoardEvents', 'Login', 'Region', 'Submit', 'BoardIds', 'BoardEventsIds', 'BoardPage', 'BoardPageEvents', 'BoardLogin', 'BoardRanking', 'BoardNotices', 'PlaygroundLogin']));
  });
});

describe('the pages\' operations', () => {
  it('are the manifest\'s: the board page sends by hash the very operations its script holds', async () => {
    // The page's operations live in board.model.js (QUERIES), which the page loads as a script.
    const script = readFileSync(`${__dirname}/../src/web/board/board.model.js`, 'utf8');
    const page$: { model?: { QUERIES: Record<string, string> } } = {};
    Function('window', script)({ DubanBoard: page$ });
    const queries = page$.model!.QUERIES;
    const page = await (await fetch(off.url.replace('/graphql', '/board'))).text();
    const settings = JSON.parse(/<script id="duban-board" type="application\/json">([^<]*)<\/script>/.exec(page)![1]) as { documents: Record<string, string> };
    for (const [name, text] of [['BoardPage', queries.board], ['BoardPageEvents', queries.events], ['BoardLogin', queries.login],
      ['BoardRanking', queries.ranking], ['BoardNotices', queries.notices]]) {
      expect(canonical(parse(manifest[settings.documents[name]]))).toBe(canonical(parse(text)));
    }
  });
});

describe('operations by hash (trusted documents off, the default)', () => {
  it('runs a manifest operation by its hash alone, over HTTP and WebSocket', async () => {
    const token = await off.token('screen');
    const res = await send(off, { ...byHash(hashOf(BoardDocument)), variables }, token);
    expect([res.status, res.code, res.data.programme.code]).toEqual([200, 'OK', 'P3']);
    expect(await firstOnSocket(off, token, { query: '', variables, ...byHash(hashOf(BoardEventsDocument)) })).toBe('PresenceChanged');
  });

  it('answers PERSISTED_QUERY_NOT_FOUND for a hash it does not know, then runs it once the client sends the text with it (APQ)', async () => {
    const token = await off.token('screen');
    const hash = sha256(AD_HOC);
    expect((await send(off, byHash(hash), token)).code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await send(off, { query: AD_HOC, ...byHash(hash) }, token)).data).toEqual({ regions: { name: '温州市' } });
    expect((await send(off, byHash(hash), token)).data).toEqual({ regions: { name: '温州市' } });
    // A hash that is not the text's is refused.
    expect((await send(off, { query: AD_HOC, ...byHash(sha256('other')) }, token)).code).toBe('BAD_REQUEST');
  });

  it('still runs any operation sent as text', async () => {
    expect((await send(off, { query: AD_HOC }, await off.token('screen'))).code).toBe('OK');
  });
});

describe('DUBAN_TRUSTED_DOCUMENTS=on', () => {
  it('refuses an operation outside the manifest from a caller other than ADMIN, over HTTP and WebSocket', async () => {
    const screen = await on.token('screen');
    expect(await send(on, { query: AD_HOC }, screen)).toMatchObject({ status: 400, code: 'TRUSTED_DOCUMENT_REQUIRED' });
    // Registering it by APQ does not make it trusted: it is refused, and so not registered.
    expect((await send(on, { query: AD_HOC, ...byHash(sha256(AD_HOC)) }, screen)).code).toBe('TRUSTED_DOCUMENT_REQUIRED');
    expect((await send(on, byHash(sha256(AD_HOC)), screen)).code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const adHocEvents = 'subscription Mine($programme: String!, $region: String!) { boardEvents(programme: $programme, region: $region) { cursor } }';
    expect(await firstOnSocket(on, screen, { query: adHocEvents, variables })).toBe('TRUSTED_DOCUMENT_REQUIRED');
    // Nor is a manifest operation changed by a field.
    expect((await send(on, { query: print(BoardDocument).replace('unit', 'unit kind gloss') }, screen)).code).not.toBe('OK');
  });

  it('runs the manifest\'s operations: by hash, as text, and as Apollo and urql send them (with __typename)', async () => {
    const screen = await on.token('screen');
    expect((await send(on, { ...byHash(hashOf(BoardDocument)), variables }, screen)).data.programme.code).toBe('P3');
    expect((await send(on, { query: print(BoardDocument), variables }, screen)).code).toBe('OK');
    expect((await send(on, { query: withTypenames(BoardDocument), variables }, screen)).code).toBe('OK');
    expect(await firstOnSocket(on, screen, { query: '', variables, ...byHash(hashOf(BoardEventsDocument)) })).toBe('PresenceChanged');
    // Signing in is a manifest operation too.
    const login = await send(on, { ...byHash(hashOf(LoginDocument)), variables: { username: 'lucheng', password: 'demo' } });
    expect(login.data.login.token).toEqual(expect.any(String));
  });

  it('lets ADMIN send anything (the playground, ad-hoc queries)', async () => {
    const admin = await on.token('admin');
    expect((await send(on, { query: AD_HOC }, admin)).data).toEqual({ regions: { name: '温州市' } });
  });
});
