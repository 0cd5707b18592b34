import WebSocket from 'ws';
import { RegionDocument } from '../generated/graphql';
import { codes, startTestServer, type GraphQLResponse, type TestServer, type TestServerOptions } from '../helpers/test-server';
import { until } from '../helpers/until';

/**
 * What the hostile tests share (test/hostile/*.test.ts). Each row asserts the answer (an
 * `extensions.code`, an HTTP status or a WebSocket close code); after each, the server still
 * answers a plain query, and no table changed: row counts and an md5 of every row, per table,
 * computed in SQL. No row may be answered with a 500.
 */

export const MAX_SUBSCRIPTIONS = 5;

export type Tokens = Record<'screen' | 'lucheng' | 'yanglao' | 'admin', string>;

/** The file's server and its tokens, set in beforeAll by `useHostileServer`. */
export const hostile: { server: TestServer; tokens: Tokens } = {
  server: undefined as unknown as TestServer,
  tokens: { screen: '', lucheng: '', yanglao: '', admin: '' },
};

/** Starts the file's server (at most MAX_SUBSCRIPTIONS subscriptions a socket) and signs in its users. */
export function useHostileServer(options: TestServerOptions = {}): void {
  beforeAll(async () => {
    hostile.server = await startTestServer({
      ...options,
      env: { DUBAN_WS_MAX_SUBSCRIPTIONS: String(MAX_SUBSCRIPTIONS), ...options.env },
      connectionInitWaitTimeout: options.connectionInitWaitTimeout ?? 1000,
    });
    for (const name of Object.keys(hostile.tokens) as (keyof Tokens)[]) hostile.tokens[name] = await hostile.server.token(name);
  });
  afterAll(() => hostile.server.close());
}

export type Snapshot = Record<string, { rows: number; md5: string }>;

/**
 * Every application table (whatever the migrations made): its row count and an md5 of its rows in
 * primary-key order. Sign-in attempts are left out: a failed sign-in is recorded by design (to
 * throttle guessing); the login rows check what they record. The messages-out cursor
 * (delivery_cursor) is in: it moves only after events are appended while a channel exists, and is
 * taken once it has followed those there are (an earlier valid write's may still be on their way).
 */
export async function snapshot(): Promise<Snapshot> {
  const conn = hostile.server.orm.em.getConnection();
  await until(async () => (await conn.execute<{ caught: boolean }[]>(
    `select not exists (select 1 from channel)
         or exists (select 1 from delivery_cursor c, outbox_sequence s where c.id and s.id and c.seq >= s.last_seq) as caught`))[0].caught,
  'the delivery follower to reach the outbox end');
  const tables = await conn.execute<{ table_name: string; pk: string | null }[]>(`
    select t.table_name,
           (select string_agg(quote_ident(a.attname), ', ' order by array_position(i.indkey, a.attnum))
              from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
             where i.indrelid = (quote_ident(t.table_schema) || '.' || quote_ident(t.table_name))::regclass and i.indisprimary) as pk
      from information_schema.tables t
     where t.table_schema = 'public' and t.table_type = 'BASE TABLE' and t.table_name not in ('mikro_orm_migrations', 'login_attempt')
     order by t.table_name`);
  const parts = tables.map(({ table_name: name, pk }) =>
    `select '${name}' as name, count(*)::int as rows, md5(coalesce(string_agg(x::text, '|' order by ${pk ? pk.split(', ').map((c) => `x.${c}`).join(', ') : 'x::text'}), '')) as md5 from "${name}" x`);
  const rows = await conn.execute<{ name: string; rows: number; md5: string }[]>(parts.join(' union all '));
  return Object.fromEntries(rows.map((r) => [r.name, { rows: r.rows, md5: r.md5 }]));
}

/** A plain query that must still succeed. */
export async function expectStillAnswers(): Promise<void> {
  const res = await hostile.server.gql(RegionDocument, { code: '330300', first: 2 }, hostile.tokens.screen);
  expect(res.errors).toBeUndefined();
  expect(res.data!.region.code).toBe('330300');
}

export interface HttpAnswer { status: number; type: string; body: string; json?: GraphQLResponse<unknown> }

/** Any HTTP request to the server; `path` replaces /graphql (an import, an export). Never a 500. */
export async function http(init: { method?: string; body?: string | Buffer; headers?: Record<string, string>; search?: string; token?: string; path?: string }): Promise<HttpAnswer> {
  const url = init.path ? new URL(init.path, hostile.server.url).toString() : hostile.server.url;
  const res = await fetch(url + (init.search ?? ''), {
    method: init.method ?? 'POST',
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...init.headers },
    body: init.body,
  });
  const body = await res.text();
  let json: GraphQLResponse<unknown> | undefined;
  try { json = JSON.parse(body) as GraphQLResponse<unknown>; } catch { json = undefined; }
  expect(res.status).toBeLessThan(500);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body, json };
}

/** A raw GraphQL request over HTTP: a query string and variables, as JSON. */
export const query = (q: string, variables?: Record<string, unknown>, token = hostile.tokens.screen) => http({ body: JSON.stringify({ query: q, variables }), token });

/** Asserts a JSON answer with this status and these error codes. */
export function expectAnswer(answer: HttpAnswer, status: number, ...errorCodes: string[]): void {
  expect({ status: answer.status, type: answer.type.split(';')[0], codes: answer.json ? codes(answer.json) : answer.body })
    .toEqual({ status, type: 'application/json', codes: errorCodes });
}

/** The one shape of BAD_USER_INPUT: the field at fault (and `fields`, where several are). */
export function expectBadInput(response: GraphQLResponse<unknown>, field: string, message?: RegExp): void {
  expect(codes(response)).toEqual(['BAD_USER_INPUT']);
  expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  if (message) expect(response.errors![0].message).toMatch(message);
}

// ---- WebSocket, raw: what a client library would never send ----

export interface WsMessage { id?: string; type: string; payload?: unknown }

export interface RawSocket {
  ws: WebSocket;
  messages: WsMessage[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  next(predicate: (m: WsMessage) => boolean, what: string): Promise<WsMessage>;
}

export async function rawSocket(): Promise<RawSocket> {
  const ws = new WebSocket(hostile.server.wsUrl, 'graphql-transport-ws');
  const messages: WsMessage[] = [];
  ws.on('message', (data) => { messages.push(JSON.parse(String(data))); });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => { ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })); });
  ws.on('error', () => undefined); // the close code tells
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  return {
    ws,
    messages,
    closed,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async next(predicate, what) {
      await until(() => messages.some(predicate) || ws.readyState === WebSocket.CLOSED, what);
      const found = messages.find(predicate);
      if (!found) throw new Error(`socket closed before ${what}: ${JSON.stringify(await Promise.race([closed, Promise.resolve('open')]))}`);
      return found;
    },
  };
}

/** A socket past connection_init, as `token`. */
export async function signedIn(token = hostile.tokens.screen): Promise<RawSocket> {
  const s = await rawSocket();
  s.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
  await s.next((m) => m.type === 'connection_ack', 'connection_ack');
  return s;
}

/** Sends one operation over a signed-in socket; resolves with its first next or error message. */
export async function wsOperation(s: RawSocket, id: string, q: string, variables?: Record<string, unknown>, operationName?: string): Promise<WsMessage> {
  s.send({ id, type: 'subscribe', payload: { query: q, variables, ...(operationName ? { operationName } : {}) } });
  return s.next((m) => m.id === id && (m.type === 'next' || m.type === 'error'), `an answer to ${id}`);
}

/** The errors of a WebSocket answer: an error message's payload, or a next message's errors. */
export function wsErrors(message: WsMessage): { message: string; extensions?: Record<string, unknown> }[] {
  if (message.type === 'error') return message.payload as { message: string; extensions?: Record<string, unknown> }[];
  return ((message.payload as GraphQLResponse<unknown>).errors ?? []) as { message: string; extensions?: Record<string, unknown> }[];
}

/** The codes of a WebSocket error message's errors. */
export function wsCodes(message: WsMessage): unknown[] {
  expect(message.type).toBe('error');
  return (message.payload as { extensions?: { code?: unknown } }[]).map((e) => e.extensions?.code);
}

export async function closeCode(s: RawSocket): Promise<number> {
  return (await s.closed).code;
}

// ---- Bombs ----

export const depthBomb = `{ region(code: "330302006") { ${'parent { '.repeat(12)}code${' }'.repeat(12)} } }`;
export const aliasBomb = `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: me { username }`).join(' ')} }`;
export const tokenFlood = `{ me { ${'username '.repeat(100_000)}} }`;
export const costBomb = '{ region(code: "330300") { children(first: 500) { nodes { children(first: 500) { nodes { children(first: 500) { nodes { code name } } } } } } } }';
export const costBombInVariables = 'query C($n: Int!, $m: Int = 500) { region(code: "330300") { children(first: $n) { nodes { children(first: $m) { nodes { children(first: $n) { nodes { code name } } } } } } } }';
export const fragmentCycle = 'query { region(code: "330300") { ...A } } fragment A on Region { parent { ...B } } fragment B on Region { parent { ...A } }';

// ---- Rows ----

export const SQL = `330302' OR '1'='1'; drop table submission; --`;
export const SCRIPT = '<script>alert(document.cookie)</script>';
export const HOSTILE = [['SQL', SQL], ['<script>', SCRIPT]] as const;

/** A lone surrogate: half of a UTF-16 pair, no Unicode character. */
export const LONE = 'a\ud800b';

export const figure = { indicator: 'P3-01', region: '330302', value: 4, asOf: '2019-06-30' };
export const target = { indicator: 'P3-01', region: '330302', comparator: 'GTE' as never, value: 10, deadline: '2019-12-31' };

export type Row = [string, () => Promise<void>];

/**
 * The rows of one kind: each asserts its answer, then that the server still answers and that no
 * table changed; at the end, every table is as it was before the first row.
 */
export function hostileRows(title: string, rows: Row[], options: { atLeast: number }): void {
  describe(title, () => {
    let initial: Snapshot;
    beforeAll(async () => { initial = await snapshot(); });

    it(`has at least ${options.atLeast} rows`, () => { expect(rows.length).toBeGreaterThanOrEqual(options.atLeast); });

    it.each(rows)('%s', async (_name, run) => {
      const before = await snapshot();
      await run();
      await expectStillAnswers();
      expect(await snapshot()).toEqual(before);
    });

    it('left every table as it was, row for row', async () => {
      const after = await snapshot();
      expect(Object.keys(after).length).toBeGreaterThanOrEqual(10);
      expect(after).toEqual(initial);
    });
  });
}
