import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import {
  AddCommentDocument, BoardDocument, CommentsDocument, LoginDocument, MeDocument, ProgressDocument, RegionDocument, ReviewDocument,
  SetTargetDocument, SubmissionsDocument, SubmitDocument, TargetsDocument,
} from './generated/graphql';
import { codes, startTestServer, type GraphQLResponse, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';
import { localKey } from '../src/common/node';

/**
 * Hostile and malformed requests, over HTTP and WebSocket. Each row asserts the answer (an
 * `extensions.code`, an HTTP status or a WebSocket close code); after each, the server still
 * answers a plain query, and no table changed: row counts and an md5 of every row, per table,
 * computed in SQL. Text that is valid input (a comment with <script> in it) is stored: those rows
 * are at the end and assert the exact value stored instead.
 */

const MAX_SUBSCRIPTIONS = 5;
let server: TestServer;
const tokens: Record<'screen' | 'lucheng' | 'yanglao' | 'admin', string> = { screen: '', lucheng: '', yanglao: '', admin: '' };

type Snapshot = Record<string, { rows: number; md5: string }>;

/**
 * Every application table (whatever the migrations made): its row count and an md5 of its rows in
 * primary-key order. Sign-in attempts are left out: a failed sign-in is recorded by design (to
 * throttle guessing); the login rows check what they record.
 */
async function snapshot(): Promise<Snapshot> {
  const conn = server.orm.em.getConnection();
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
async function expectStillAnswers(): Promise<void> {
  const res = await server.gql(RegionDocument, { code: '330300', first: 2 }, tokens.screen);
  expect(res.errors).toBeUndefined();
  expect(res.data!.region.code).toBe('330300');
}

interface HttpAnswer { status: number; type: string; body: string; json?: GraphQLResponse<unknown> }

async function http(init: { method?: string; body?: string | Buffer; headers?: Record<string, string>; search?: string; token?: string }): Promise<HttpAnswer> {
  const res = await fetch(server.url + (init.search ?? ''), {
    method: init.method ?? 'POST',
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...init.headers },
    body: init.body,
  });
  const body = await res.text();
  let json: GraphQLResponse<unknown> | undefined;
  try { json = JSON.parse(body) as GraphQLResponse<unknown>; } catch { json = undefined; }
  return { status: res.status, type: res.headers.get('content-type') ?? '', body, json };
}

/** A raw GraphQL request over HTTP: a query string and variables, as JSON. */
const query = (q: string, variables?: Record<string, unknown>, token = tokens.screen) => http({ body: JSON.stringify({ query: q, variables }), token });

/** Asserts a JSON answer with this status and these error codes. */
function expectAnswer(answer: HttpAnswer, status: number, ...errorCodes: string[]): void {
  expect({ status: answer.status, type: answer.type.split(';')[0], codes: answer.json ? codes(answer.json) : answer.body })
    .toEqual({ status, type: 'application/json', codes: errorCodes });
}

// ---- WebSocket, raw: what a client library would never send ----

interface RawSocket {
  ws: WebSocket;
  messages: { id?: string; type: string; payload?: unknown }[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  next(predicate: (m: { id?: string; type: string; payload?: unknown }) => boolean, what: string): Promise<{ id?: string; type: string; payload?: unknown }>;
}

async function rawSocket(): Promise<RawSocket> {
  const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws');
  const messages: RawSocket['messages'] = [];
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
      if (!found) throw new Error(`socket closed before ${what}`);
      return found;
    },
  };
}

/** A socket past connection_init, as `token`. */
async function signedIn(token = tokens.screen): Promise<RawSocket> {
  const s = await rawSocket();
  s.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
  await s.next((m) => m.type === 'connection_ack', 'connection_ack');
  return s;
}

/** Sends one operation over a signed-in socket; resolves with its first next or error message. */
async function wsOperation(s: RawSocket, id: string, q: string, variables?: Record<string, unknown>) {
  s.send({ id, type: 'subscribe', payload: { query: q, variables } });
  return s.next((m) => m.id === id && (m.type === 'next' || m.type === 'error'), `an answer to ${id}`);
}

/** The codes of a WebSocket error message's errors. */
function wsCodes(message: { type: string; payload?: unknown }): unknown[] {
  expect(message.type).toBe('error');
  return (message.payload as { extensions?: { code?: unknown } }[]).map((e) => e.extensions?.code);
}

async function closeCode(s: RawSocket): Promise<number> {
  return (await s.closed).code;
}

// ---- Bombs ----

const depthBomb = `{ region(code: "330302006") { ${'parent { '.repeat(12)}code${' }'.repeat(12)} } }`;
const aliasBomb = `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: me { username }`).join(' ')} }`;
const tokenFlood = `{ me { ${'username '.repeat(100_000)}} }`;
const costBomb = '{ region(code: "330300") { children(first: 500) { nodes { children(first: 500) { nodes { children(first: 500) { nodes { code name } } } } } } } }';
const costBombInVariables = 'query C($n: Int!, $m: Int = 500) { region(code: "330300") { children(first: $n) { nodes { children(first: $m) { nodes { children(first: $n) { nodes { code name } } } } } } } }';
const fragmentCycle = 'query { region(code: "330300") { ...A } } fragment A on Region { parent { ...B } } fragment B on Region { parent { ...A } }';

const SQL = `330302' OR '1'='1'; drop table submission; --`;
const SCRIPT = '<script>alert(document.cookie)</script>';
const HOSTILE = [['SQL', SQL], ['<script>', SCRIPT]] as const;

const figure = { indicator: 'P3-01', region: '330302', value: 4, asOf: '2019-06-30' };
const target = { indicator: 'P3-01', region: '330302', comparator: 'GTE' as never, value: 10, deadline: '2019-12-31' };

type Row = [string, () => Promise<void>];

const httpRows: Row[] = [
  // Limits
  ['a depth bomb (12 nested parents) is LIMIT_EXCEEDED (depth), 400', async () => {
    const res = await query(depthBomb);
    expectAnswer(res, 400, 'LIMIT_EXCEEDED');
    expect(res.json!.errors![0].extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'depth', max: 10 });
    expect(res.json!.errors![0].message).toBe('The query depth is over the limit of 10: 14');
  }],
  ['an alias bomb (200 aliases) is LIMIT_EXCEEDED (aliases), 400', async () => {
    const res = await query(aliasBomb);
    expectAnswer(res, 400, 'LIMIT_EXCEEDED');
    expect(res.json!.errors![0].extensions).toMatchObject({ limit: 'aliases', max: 30 });
  }],
  ['a token flood (100,000 field names) is LIMIT_EXCEEDED (tokens), 400, and never parsed whole', async () => {
    const res = await query(tokenFlood);
    expectAnswer(res, 400, 'LIMIT_EXCEEDED');
    expect(res.json!.errors![0]).toMatchObject({ message: 'The document is over the limit of 2000 tokens', extensions: { limit: 'tokens', max: 2000 } });
  }],
  ['a cost bomb (three nested connections of first: 500) is LIMIT_EXCEEDED (cost), 400', async () => {
    const res = await query(costBomb);
    expectAnswer(res, 400, 'LIMIT_EXCEEDED');
    expect(res.json!.errors![0].extensions).toMatchObject({ limit: 'cost', max: 100_000 });
  }],
  ['a cost bomb with its page sizes in variables (and a variable\'s default) is LIMIT_EXCEEDED (cost), 400, before anything runs', async () => {
    const res = await query(costBombInVariables, { n: 500 });
    expectAnswer(res, 400, 'LIMIT_EXCEEDED');
    expect(res.json!.errors![0].extensions).toEqual({ code: 'LIMIT_EXCEEDED', limit: 'cost', max: 100_000 });
  }],
  ['a fragment cycle is GRAPHQL_VALIDATION_FAILED, not a stack overflow', async () => {
    const res = await query(fragmentCycle);
    expectAnswer(res, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(res.json!.errors![0].message).toBe('Cannot spread fragment "A" within itself via "B".');
  }],
  ['a page of first: 100000 in a variable is BAD_USER_INPUT naming the largest page', async () => {
    const res = await server.gql(TargetsDocument, { first: 100_000 }, tokens.screen);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0].message).toBe('Invalid input: first is at most 500 (the largest page); ask for the next page with after');
  }],
  ['a page of first: 100000 written in the query is over the cost already: LIMIT_EXCEEDED, 400', async () => {
    expectAnswer(await query('{ targets(first: 100000) { totalCount } }'), 400, 'LIMIT_EXCEEDED');
  }],
  ['a page of first: 501 on region children is BAD_USER_INPUT', async () => {
    expectAnswer(await query('{ region(code: "330300") { children(first: 501) { totalCount } } }'), 200, 'BAD_USER_INPUT');
  }],
  ['a negative first on submissions is BAD_USER_INPUT', async () => {
    const res = await server.gql(SubmissionsDocument, { first: -1 }, tokens.screen);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0].message).toMatch(/first cannot be negative/);
  }],
  // Bodies and transports
  ['a 10 MB body is 413 PAYLOAD_TOO_LARGE, as JSON', async () => {
    const body = JSON.stringify({ query: '{ me { username } }', variables: { pad: 'x'.repeat(10 * 1024 * 1024) } });
    const res = await http({ body, token: tokens.screen });
    expectAnswer(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(res.json!.errors![0].message).toBe('The request body is over the limit of 1048576 bytes');
  }],
  ['malformed JSON is 400 BAD_REQUEST, as JSON', async () => {
    const res = await http({ body: '{"query": "{ me { username } }"', token: tokens.screen });
    expectAnswer(res, 400, 'BAD_REQUEST');
    expect(res.json!.errors![0].message).toBe('The request body is not valid JSON');
  }],
  ['a JSON body in a charset the server does not read (latin1) is 415, as JSON', async () => {
    const res = await http({ body: JSON.stringify({ query: '{ me { username } }' }), headers: { 'content-type': 'application/json; charset=latin1' }, token: tokens.screen });
    expectAnswer(res, 415, 'BAD_REQUEST');
  }],
  ['a JSON body that is not an object (a string) is 400 BAD_REQUEST', async () => {
    expectAnswer(await http({ body: '"{ me { username } }"', token: tokens.screen }), 400, 'BAD_REQUEST');
  }],
  ['a batch (an array of operations) is 400 BAD_REQUEST: batching is off', async () => {
    const res = await http({ body: JSON.stringify([{ query: '{ me { username } }' }, { query: '{ me { role } }' }]), token: tokens.screen });
    expectAnswer(res, 400, 'BAD_REQUEST');
  }],
  ['an empty JSON object is 400 BAD_REQUEST', async () => {
    expectAnswer(await http({ body: '{}', token: tokens.screen }), 400, 'BAD_REQUEST');
  }],
  ['a query that is a number is 400 BAD_REQUEST', async () => {
    expectAnswer(await http({ body: '{"query": 42}', token: tokens.screen }), 400, 'BAD_REQUEST');
  }],
  ['variables that are a string are 400 BAD_REQUEST', async () => {
    expectAnswer(await http({ body: '{"query": "{ me { username } }", "variables": "x"}', token: tokens.screen }), 400, 'BAD_REQUEST');
  }],
  ['a text/plain POST (a cross-site form) is refused by CSRF prevention, 400', async () => {
    const res = await http({ body: JSON.stringify({ query: '{ me { username } }' }), headers: { 'content-type': 'text/plain' }, token: tokens.screen });
    expectAnswer(res, 400, 'BAD_REQUEST');
    expect(res.json!.errors![0].message).toMatch(/Cross-Site Request Forgery/);
  }],
  ['a form-urlencoded POST is refused by CSRF prevention, 400', async () => {
    const res = await http({ body: 'query=%7B%20me%20%7B%20username%20%7D%20%7D', headers: { 'content-type': 'application/x-www-form-urlencoded' }, token: tokens.screen });
    expectAnswer(res, 400, 'BAD_REQUEST');
  }],
  ['a GET without a preflight header is refused by CSRF prevention, 400', async () => {
    const res = await http({ method: 'GET', search: `?query=${encodeURIComponent('{ me { username } }')}`, token: tokens.screen });
    expectAnswer(res, 400, 'BAD_REQUEST');
    expect(res.json!.errors![0].message).toMatch(/Cross-Site Request Forgery/);
  }],
  ['a GET with the preflight header is answered: the 400 above is CSRF prevention, not GET', async () => {
    const res = await http({ method: 'GET', search: `?query=${encodeURIComponent('{ me { username } }')}`, headers: { 'apollo-require-preflight': 'true' }, token: tokens.screen });
    expect({ status: res.status, json: res.json }).toEqual({ status: 200, json: { data: { me: { username: 'screen' } } } });
  }],
  ['a mutation over GET, even with the preflight header, is refused (405)', async () => {
    const res = await http({ method: 'GET', search: `?query=${encodeURIComponent('mutation { login(username: "screen", password: "demo") { token } }')}`, headers: { 'apollo-require-preflight': 'true' } });
    expectAnswer(res, 405, 'BAD_REQUEST');
  }],
  ['a subscription sent over HTTP is 400 BAD_REQUEST, pointing to the WebSocket, not an internal error', async () => {
    const res = await http({ body: JSON.stringify({ query: 'subscription { notifications { cursor } }' }), token: tokens.screen });
    expectAnswer(res, 400, 'BAD_REQUEST');
    expect(res.json!.errors![0].message).toMatch(/WebSocket/);
  }],
  ['an unknown operationName is 400 OPERATION_RESOLUTION_FAILURE', async () => {
    expectAnswer(await http({ body: JSON.stringify({ query: 'query A { me { username } }', operationName: 'B' }), token: tokens.screen }), 400, 'OPERATION_RESOLUTION_FAILURE');
  }],
  ['an unknown field is GRAPHQL_VALIDATION_FAILED, with no "Did you mean" to map the schema', async () => {
    const res = await query('{ region(code: "330300") { nam } }');
    expectAnswer(res, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(res.json!.errors![0].message).toBe('Cannot query field "nam" on type "Region".');
  }],
  ['a misspelt enum value is BAD_USER_INPUT, with no suggestion', async () => {
    const res = await server.gql(SubmissionsDocument, { filter: { status: 'APROVED' as never } }, tokens.screen);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0].message).not.toMatch(/Did you mean|APPROVED/);
  }],
  // Tokens
  ['a token signed with another secret is UNAUTHENTICATED', async () => {
    const forged = jwt.sign({}, 'not-the-secret-not-the-secret-not-the-secret', { subject: '1', issuer: 'duban', expiresIn: 60 });
    expect(codes(await server.gql(SubmitDocument, { input: figure }, forged))).toEqual(['UNAUTHENTICATED']);
  }],
  ['an unsigned token (alg none) is UNAUTHENTICATED', async () => {
    const none = jwt.sign({ sub: '1', iss: 'duban' }, '', { algorithm: 'none' });
    expect(codes(await server.gql(SubmitDocument, { input: figure }, none))).toEqual(['UNAUTHENTICATED']);
  }],
  ['an expired token is UNAUTHENTICATED, saying so', async () => {
    const expired = jwt.sign({}, server.config.jwtSecret, { subject: '1', issuer: 'duban', expiresIn: -60 });
    const res = await server.gql(SubmitDocument, { input: figure }, expired);
    expect(codes(res)).toEqual(['UNAUTHENTICATED']);
    expect(res.errors![0].message).toMatch(/expired/);
  }],
  ['a token for a user that does not exist is UNAUTHENTICATED', async () => {
    const ghost = jwt.sign({}, server.config.jwtSecret, { subject: '987654', issuer: 'duban', expiresIn: 60 });
    expect(codes(await server.gql(SubmitDocument, { input: figure }, ghost))).toEqual(['UNAUTHENTICATED']);
  }],
  ['a token whose subject is SQL is UNAUTHENTICATED', async () => {
    const sql = jwt.sign({}, server.config.jwtSecret, { subject: SQL, issuer: 'duban', expiresIn: 60 });
    expect(codes(await server.gql(MeDocument, {}, sql))).toEqual(['UNAUTHENTICATED']);
  }],
  // Wrong types
  ['a value that is a string is BAD_USER_INPUT', async () => {
    expect(codes(await server.gql(SubmitDocument, { input: { ...figure, value: 'four' as never } }, tokens.lucheng))).toEqual(['BAD_USER_INPUT']);
  }],
  ['an asOf that is no date (2019-13-45) is BAD_USER_INPUT', async () => {
    expect(codes(await server.gql(SubmitDocument, { input: { ...figure, asOf: '2019-13-45' } }, tokens.lucheng))).toEqual(['BAD_USER_INPUT']);
  }],
  ['a value of 1e400 (Infinity) is BAD_USER_INPUT', async () => {
    const res = await http({ body: `{"query": ${JSON.stringify('mutation S($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }')}, "variables": {"input": {"indicator": "P3-01", "region": "330302", "value": 1e400, "asOf": "2019-06-30"}}}`, token: tokens.lucheng });
    expectAnswer(res, 400, 'BAD_USER_INPUT');
  }],
  ['an input object given as a list is BAD_USER_INPUT', async () => {
    expect(codes(await server.gql(SetTargetDocument, { input: [target] as never }, tokens.admin))).toEqual(['BAD_USER_INPUT']);
  }],
  ['an extra input field (id) is BAD_USER_INPUT', async () => {
    expect(codes(await server.gql(SubmitDocument, { input: { ...figure, id: '1' } as never }, tokens.lucheng))).toEqual(['BAD_USER_INPUT']);
  }],
  ['a first of 2^53 is BAD_USER_INPUT (not an Int)', async () => {
    expect(codes(await server.gql(TargetsDocument, { first: 2 ** 53 }, tokens.screen))).toEqual(['BAD_USER_INPUT']);
  }],
  // NUL: PostgreSQL text cannot hold it
  ['a NUL character in a comment\'s text (a variable) is BAD_USER_INPUT, 400, not a database error', async () => {
    const res = await http({ body: JSON.stringify({ query: 'mutation C($input: AddCommentInput!) { addComment(input: $input) { id } }', variables: { input: { indicator: 'P3-01', region: '330302', text: 'a\u0000b' } } }), token: tokens.yanglao });
    expectAnswer(res, 400, 'BAD_USER_INPUT');
    expect(res.json!.errors![0].message).toBe('Text cannot contain the NUL character (U+0000)');
  }],
  ['a NUL character in login\'s username is BAD_USER_INPUT', async () => {
    expect(codes(await server.gql(LoginDocument, { username: 'admin\u0000', password: 'demo' }))).toEqual(['BAD_USER_INPUT']);
  }],
  ['a NUL character written in the query (\\u0000) is BAD_USER_INPUT', async () => {
    expectAnswer(await query('{ region(code: "330300\\u0000") { code } }'), 400, 'BAD_USER_INPUT');
  }],
  // Unknown codes
  ['an unknown region code is NOT_FOUND', async () => {
    expect(codes(await server.gql(RegionDocument, { code: '999999' }, tokens.screen))).toEqual(['NOT_FOUND']);
  }],
  ['an unknown programme on the board is NOT_FOUND', async () => {
    expect(codes(await server.gql(BoardDocument, { programme: 'P9', region: '330300' }, tokens.screen))).toEqual(['NOT_FOUND']);
  }],
  ['a figure for an unknown indicator is NOT_FOUND', async () => {
    expect(codes(await server.gql(SubmitDocument, { input: { ...figure, indicator: 'P3-99' } }, tokens.lucheng))).toEqual(['NOT_FOUND']);
  }],
  ['a review of a submission that does not exist is NOT_FOUND', async () => {
    expect(codes(await server.gql(ReviewDocument, { input: { submission: '99999999', decision: 'APPROVED' as never } }, tokens.yanglao))).toEqual(['NOT_FOUND']);
  }],
];

/** SQL and <script> in every string a mutation or a query argument takes. */
const stringRows: Row[] = HOSTILE.flatMap(([kind, bad]): Row[] => [
  [`${kind} as submitFigure's indicator is NOT_FOUND`, async () => {
    expect(codes(await server.gql(SubmitDocument, { input: { ...figure, indicator: bad } }, tokens.lucheng))).toEqual(['NOT_FOUND']);
  }],
  [`${kind} as submitFigure's region is NOT_FOUND`, async () => {
    expect(codes(await server.gql(SubmitDocument, { input: { ...figure, region: bad } }, tokens.lucheng))).toEqual(['NOT_FOUND']);
  }],
  [`${kind} in submitFigure's note and idempotencyKey, from a VIEWER, is FORBIDDEN and writes nothing`, async () => {
    expect(codes(await server.gql(SubmitDocument, { input: { ...figure, note: bad, idempotencyKey: bad } }, tokens.screen))).toEqual(['FORBIDDEN']);
  }],
  [`${kind} as setTarget's indicator is NOT_FOUND`, async () => {
    expect(codes(await server.gql(SetTargetDocument, { input: { ...target, indicator: bad } }, tokens.admin))).toEqual(['NOT_FOUND']);
  }],
  [`${kind} as setTarget's region is NOT_FOUND`, async () => {
    expect(codes(await server.gql(SetTargetDocument, { input: { ...target, region: bad } }, tokens.admin))).toEqual(['NOT_FOUND']);
  }],
  [`${kind} in setTarget's note, from a REPORTER, is FORBIDDEN and writes nothing`, async () => {
    expect(codes(await server.gql(SetTargetDocument, { input: { ...target, note: bad } }, tokens.lucheng))).toEqual(['FORBIDDEN']);
  }],
  [`${kind} as addComment's indicator is NOT_FOUND`, async () => {
    expect(codes(await server.gql(AddCommentDocument, { input: { indicator: bad, region: '330302', text: 'ok' } }, tokens.yanglao))).toEqual(['NOT_FOUND']);
  }],
  [`${kind} as addComment's region is NOT_FOUND`, async () => {
    expect(codes(await server.gql(AddCommentDocument, { input: { indicator: 'P3-01', region: bad, text: 'ok' } }, tokens.yanglao))).toEqual(['NOT_FOUND']);
  }],
  [`${kind} as addComment's submission is NOT_FOUND`, async () => {
    expect(codes(await server.gql(AddCommentDocument, { input: { indicator: 'P3-01', region: '330302', submission: bad, text: 'ok' } }, tokens.yanglao))).toEqual(['NOT_FOUND']);
  }],
  [`${kind} in addComment's text, from a VIEWER, is FORBIDDEN and writes nothing`, async () => {
    expect(codes(await server.gql(AddCommentDocument, { input: { indicator: 'P3-01', region: '330302', text: bad } }, tokens.screen))).toEqual(['FORBIDDEN']);
  }],
  [`${kind} as reviewSubmission's submission is NOT_FOUND`, async () => {
    expect(codes(await server.gql(ReviewDocument, { input: { submission: bad, decision: 'RETURNED' as never, note: 'why' } }, tokens.yanglao))).toEqual(['NOT_FOUND']);
  }],
  [`${kind} in reviewSubmission's note, from a VIEWER, is FORBIDDEN and writes nothing`, async () => {
    expect(codes(await server.gql(ReviewDocument, { input: { submission: '1', decision: 'RETURNED' as never, note: bad } }, tokens.screen))).toEqual(['FORBIDDEN']);
  }],
  [`${kind} as login's username and password is UNAUTHENTICATED, recorded verbatim as a failed attempt`, async () => {
    expect(codes(await server.gql(LoginDocument, { username: bad, password: bad }))).toEqual(['UNAUTHENTICATED']);
    const [last] = await server.orm.em.getConnection().execute(`select username, succeeded from login_attempt order by id desc limit 1`);
    expect(last).toEqual({ username: bad.trim().slice(0, 64), succeeded: false });
  }],
  [`${kind} as a region code is NOT_FOUND`, async () => {
    expect(codes(await server.gql(RegionDocument, { code: bad }, tokens.screen))).toEqual(['NOT_FOUND']);
  }],
  [`${kind} as a programme code is NOT_FOUND`, async () => {
    expect(codes(await server.gql(BoardDocument, { programme: bad, region: '330300' }, tokens.screen))).toEqual(['NOT_FOUND']);
  }],
  [`${kind} as progress's indicator and region is NOT_FOUND`, async () => {
    expect(codes(await server.gql(ProgressDocument, { indicator: bad, region: bad }, tokens.screen))).toEqual(['NOT_FOUND']);
  }],
  [`${kind} in the submissions filter (indicator, programme, region) is NOT_FOUND`, async () => {
    expect(codes(await server.gql(SubmissionsDocument, { filter: { indicator: bad, programme: bad, region: bad } }, tokens.screen))).toEqual(['NOT_FOUND']);
  }],
  [`${kind} as the submissions cursor is BAD_USER_INPUT`, async () => {
    expect(codes(await server.gql(SubmissionsDocument, { after: bad }, tokens.screen))).toEqual(['BAD_USER_INPUT']);
  }],
  [`${kind} inside a well-formed targets cursor is BAD_USER_INPUT`, async () => {
    const cursor = Buffer.from(`k:${bad}`, 'utf8').toString('base64url');
    expect(codes(await server.gql(TargetsDocument, { after: cursor }, tokens.screen))).toEqual(['BAD_USER_INPUT']);
  }],
  [`${kind} as a region children cursor is BAD_USER_INPUT`, async () => {
    expect(codes(await server.gql(RegionDocument, { code: '330300', after: bad }, tokens.screen))).toEqual(['BAD_USER_INPUT']);
  }],
  [`${kind} as the comments' indicator is NOT_FOUND`, async () => {
    expect(codes(await server.gql(CommentsDocument, { indicator: bad, region: '330302' }, tokens.screen))).toEqual(['NOT_FOUND']);
  }],
]);

const NOTIFICATIONS = 'subscription { notifications { cursor } }';

const wsRows: Row[] = [
  ['WS: a subscribe before connection_init closes 4401', async () => {
    const s = await rawSocket();
    s.send({ id: '1', type: 'subscribe', payload: { query: NOTIFICATIONS } });
    expect(await closeCode(s)).toBe(4401);
  }],
  ['WS: no connection_init in time closes 4408', async () => {
    const s = await rawSocket();
    expect(await closeCode(s)).toBe(4408);
  }],
  ['WS: a forged token in connection_init closes 4403', async () => {
    const s = await rawSocket();
    s.send({ type: 'connection_init', payload: { authorization: `Bearer ${jwt.sign({}, 'not-the-secret-not-the-secret-not-the-secret', { subject: '1', issuer: 'duban', expiresIn: 60 })}` } });
    expect(await closeCode(s)).toBe(4403);
  }],
  ['WS: an expired token in connection_init closes 4403', async () => {
    const s = await rawSocket();
    s.send({ type: 'connection_init', payload: { authorization: `Bearer ${jwt.sign({}, server.config.jwtSecret, { subject: '1', issuer: 'duban', expiresIn: -60 })}` } });
    expect(await closeCode(s)).toBe(4403);
  }],
  ['WS: a token for a user that does not exist closes 4403', async () => {
    const s = await rawSocket();
    s.send({ type: 'connection_init', payload: { authorization: `Bearer ${jwt.sign({}, server.config.jwtSecret, { subject: '987654', issuer: 'duban', expiresIn: 60 })}` } });
    expect(await closeCode(s)).toBe(4403);
  }],
  ['WS: a second connection_init closes 4429', async () => {
    const s = await signedIn();
    s.send({ type: 'connection_init', payload: { authorization: `Bearer ${tokens.screen}` } });
    expect(await closeCode(s)).toBe(4429);
  }],
  ['WS: a message that is not JSON closes 4400', async () => {
    const s = await signedIn();
    s.send('{"type": "subscribe", ');
    expect(await closeCode(s)).toBe(4400);
  }],
  ['WS: an unknown message type closes 4400', async () => {
    const s = await signedIn();
    s.send({ type: 'drop_tables', payload: {} });
    expect(await closeCode(s)).toBe(4400);
  }],
  ['WS: a subscribe without a query closes 4400', async () => {
    const s = await signedIn();
    s.send({ id: '1', type: 'subscribe', payload: { variables: {} } });
    expect(await closeCode(s)).toBe(4400);
  }],
  ['WS: a 2 MB message closes 1009 (too big) before it is read', async () => {
    const s = await signedIn();
    s.send({ id: '1', type: 'subscribe', payload: { query: NOTIFICATIONS, variables: { pad: 'x'.repeat(2 * 1024 * 1024) } } });
    expect(await closeCode(s)).toBe(1009);
  }],
  ['WS: two subscribes with one id close 4409', async () => {
    const s = await signedIn();
    s.send({ id: 'same', type: 'subscribe', payload: { query: NOTIFICATIONS } });
    s.send({ id: 'same', type: 'subscribe', payload: { query: NOTIFICATIONS } });
    expect(await closeCode(s)).toBe(4409);
  }],
  ['WS: a depth bomb, an alias bomb, a token flood, a cost bomb and a syntax error are errors of their operation; the socket goes on', async () => {
    const s = await signedIn();
    expect((await wsOperation(s, 'depth', depthBomb)).payload).toEqual([expect.objectContaining({ extensions: { code: 'LIMIT_EXCEEDED', limit: 'depth', max: 10 } })]);
    expect((await wsOperation(s, 'aliases', aliasBomb)).payload).toEqual([expect.objectContaining({ extensions: { code: 'LIMIT_EXCEEDED', limit: 'aliases', max: 30 } })]);
    expect((await wsOperation(s, 'tokens', tokenFlood)).payload).toEqual([expect.objectContaining({ extensions: { code: 'LIMIT_EXCEEDED', limit: 'tokens', max: 2000 } })]);
    expect((await wsOperation(s, 'cost', costBomb)).payload).toEqual([expect.objectContaining({ extensions: { code: 'LIMIT_EXCEEDED', limit: 'cost', max: 100_000 } })]);
    expect((await wsOperation(s, 'cost-variables', costBombInVariables, { n: 500 })).payload).toEqual([expect.objectContaining({ extensions: { code: 'LIMIT_EXCEEDED', limit: 'cost', max: 100_000 } })]);
    expect(wsCodes(await wsOperation(s, 'syntax', '{ me { '))).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(wsCodes(await wsOperation(s, 'cycle', fragmentCycle))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(wsCodes(await wsOperation(s, 'nul', '{ region(code: "330300\\u0000") { code } }'))).toEqual(['BAD_USER_INPUT']);
    expect(wsCodes(await wsOperation(s, 'nul-variable', 'query R($c: String!) { region(code: $c) { code } }', { c: '\u0000' }))).toEqual(['BAD_USER_INPUT']);
    expect(wsCodes(await wsOperation(s, 'no-operation', 'query A { me { username } } query B { me { role } }'))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const unknown = await wsOperation(s, 'unknown', '{ region(code: "330300") { nam } }');
    expect(wsCodes(unknown)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(JSON.stringify(unknown.payload)).not.toMatch(/Did you mean/);
    const me = await wsOperation(s, 'me', '{ me { username } }');
    expect(me).toEqual({ id: 'me', type: 'next', payload: { data: { me: { username: 'screen' } } } });
    s.ws.close();
  }],
  ['WS: SQL and <script> as the board\'s programme and region are NOT_FOUND', async () => {
    const s = await signedIn();
    for (const [kind, bad] of HOSTILE) {
      const answer = await wsOperation(s, kind, 'subscription B($p: String!, $r: String!) { boardEvents(programme: $p, region: $r) { cursor } }', { p: bad, r: bad });
      expect(answer.type).toBe('next');
      expect(((answer.payload as GraphQLResponse<unknown>).errors ?? []).map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    }
    s.ws.close();
  }],
  ['WS: a mutation with SQL in a code, over the socket, is NOT_FOUND', async () => {
    const s = await signedIn(tokens.lucheng);
    const answer = await wsOperation(s, 'm', 'mutation S($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }', { input: { ...figure, indicator: SQL } });
    expect(((answer.payload as GraphQLResponse<unknown>).errors ?? []).map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    s.ws.close();
  }],
  [`WS: a flood of 50 subscribes on one socket: ${MAX_SUBSCRIPTIONS} held, the others refused with BAD_USER_INPUT; a completed one frees its place`, async () => {
    const s = await signedIn();
    for (let i = 0; i < 50; i += 1) s.send({ id: `s${i}`, type: 'subscribe', payload: { query: NOTIFICATIONS } });
    await until(() => s.messages.filter((m) => m.type === 'error').length >= 50 - MAX_SUBSCRIPTIONS, 'the refusals');
    const refused = s.messages.filter((m) => m.type === 'error');
    expect(refused).toHaveLength(50 - MAX_SUBSCRIPTIONS);
    expect(new Set(refused.map((m) => JSON.stringify(wsCodes(m))))).toEqual(new Set(['["BAD_USER_INPUT"]']));
    expect((refused[0].payload as { message: string }[])[0].message).toBe(`At most ${MAX_SUBSCRIPTIONS} subscriptions per connection`);
    // The socket is full: even a query waits for a place.
    expect(wsCodes(await wsOperation(s, 'full', '{ me { username } }'))).toEqual(['BAD_USER_INPUT']);
    const held = [...Array(50).keys()].map((i) => `s${i}`).filter((id) => !refused.some((m) => m.id === id));
    expect(held).toHaveLength(MAX_SUBSCRIPTIONS);
    s.send({ id: held[0], type: 'complete' });
    let attempt = 0;
    await until(async () => {
      attempt += 1;
      return (await wsOperation(s, `after${attempt}`, '{ me { username } }')).type === 'next';
    }, 'a place freed by complete');
    s.ws.close();
  }],
  ['WS: refused operations (invalid, over a limit) take no place: the socket takes its full count afterwards', async () => {
    const s = await signedIn();
    for (let i = 0; i < 10; i += 1) expect(wsCodes(await wsOperation(s, `bad${i}`, depthBomb))).toEqual(['LIMIT_EXCEEDED']);
    for (let i = 0; i < MAX_SUBSCRIPTIONS - 1; i += 1) s.send({ id: `ok${i}`, type: 'subscribe', payload: { query: NOTIFICATIONS } });
    expect(await wsOperation(s, 'last', '{ me { username } }')).toMatchObject({ type: 'next', payload: { data: { me: { username: 'screen' } } } });
    s.ws.close();
  }],
];

beforeAll(async () => {
  server = await startTestServer({ env: { DUBAN_WS_MAX_SUBSCRIPTIONS: String(MAX_SUBSCRIPTIONS) }, connectionInitWaitTimeout: 1000 });
  for (const name of Object.keys(tokens) as (keyof typeof tokens)[]) tokens[name] = await server.token(name);
});
afterAll(() => server.close());

describe('hostile requests change nothing and break nothing', () => {
  let initial: Snapshot;
  beforeAll(async () => { initial = await snapshot(); });

  const rows = [...httpRows, ...stringRows, ...wsRows];
  it('has at least 40 rows', () => { expect(rows.length).toBeGreaterThanOrEqual(40); });

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

describe('hostile text that is valid input is stored verbatim and returned as JSON data', () => {
  it.each(HOSTILE)('a comment with %s is stored as sent, and read back as a JSON string', async (_kind, bad) => {
    const before = await snapshot();
    const text = `${bad} \u5ba1\u6838 "quoted" \\ back`;
    const added = await http({ body: JSON.stringify({ query: 'mutation C($input: AddCommentInput!) { addComment(input: $input) { id text } }', variables: { input: { indicator: 'P3-01', region: '330302', text } } }), token: tokens.yanglao });
    // JSON, never HTML: the text is inside a JSON string, its quotes and backslash escaped.
    expect(added.type).toMatch(/^application\/json/);
    expect(added.body).toContain(JSON.stringify(text));
    expect((added.json!.data as { addComment: { text: string } }).addComment.text).toBe(text);
    const read = await server.gql(CommentsDocument, { indicator: 'P3-01', region: '330302' }, tokens.screen);
    expect(read.data!.comments[0].text).toBe(text);
    const stored = await server.orm.em.getConnection().execute<{ text: string }[]>('select text from comment order by id desc limit 1');
    expect(stored[0].text).toBe(text);
    const after = await snapshot();
    expect(after.comment.rows).toBe(before.comment.rows + 1);
    // Only the comment, and the event announcing it, were written.
    for (const table of Object.keys(before).filter((t) => !['comment', 'outbox_event', 'outbox_sequence'].includes(t))) expect(after[table]).toEqual(before[table]);
  });

  it.each(HOSTILE)('a figure\'s note and idempotency key with %s are stored as sent', async (_kind, bad) => {
    const res = await server.gql(SubmitDocument, { input: { ...figure, value: 5, note: bad, idempotencyKey: `${bad}-key` } }, tokens.lucheng);
    expect(res.errors).toBeUndefined();
    const stored = await server.orm.em.getConnection().execute<{ note: string; idempotency_key: string }[]>('select note, idempotency_key from submission where id = ?', [localKey('Submission', res.data!.submitFigure.submission.id)]);
    expect(stored[0]).toEqual({ note: bad, idempotency_key: `${bad}-key` });
    // The same key again is the same submission: the key is data, not SQL.
    const again = await server.gql(SubmitDocument, { input: { ...figure, value: 5, note: bad, idempotencyKey: `${bad}-key` } }, tokens.lucheng);
    expect(again.data!.submitFigure.submission.id).toBe(res.data!.submitFigure.submission.id);
  });
});
