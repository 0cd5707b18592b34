import jwt from 'jsonwebtoken';
import type { GraphQLResponse, TestServer } from '../helpers/test-server';
import {
  aliasBomb, closeCode, costBomb, costBombInVariables, depthBomb, figure, fragmentCycle, hostile, hostileRows, HOSTILE, LONE, MAX_SUBSCRIPTIONS,
  rawSocket, signedIn, SQL, tokenFlood, useHostileServer, wsCodes, wsErrors, wsOperation, type Row,
} from './hostile';
import { until } from '../helpers/until';

/**
 * Hostile messages over WebSocket: what a client library would never send closes the socket with
 * its code; a bad operation is an error of that operation, with the same code and shape as over
 * HTTP, and the socket goes on. Nothing is written; nothing is logged as an unknown error.
 */

/** The server's error log lines: a row answered with a masked internal error would leave one. */
const logged: string[] = [];
useHostileServer({ env: { LOG_LEVEL: 'error' }, logDestination: { write: (line: string) => { logged.push(line); } } });
let server: TestServer;
const { tokens } = hostile;
beforeAll(() => { server = hostile.server; });

const SUBMIT = 'mutation S($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }';
const PROGRESS = 'query P($asOf: Date) { indicator(code: "P3-01") { progress(region: "330302", asOf: $asOf) { actual } } }';
const BOARD_EVENTS = 'subscription B($after: String) { boardEvents(programme: "P3", region: "330300", after: $after) { cursor } }';

/** The one shape of BAD_USER_INPUT over the socket: the code and the field at fault. */
function expectBadInput(message: { type: string; payload?: unknown }, field: string, text?: RegExp): void {
  const [error, ...more] = wsErrors(message);
  expect(more).toEqual([]);
  expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  if (text) expect(error.message).toMatch(text);
}

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
  ['WS: a bad variable of a query, a mutation and a subscription is BAD_USER_INPUT naming its field, as over HTTP', async () => {
    const s = await signedIn(tokens.lucheng);
    expectBadInput(await wsOperation(s, 'query', 'query R($code: String!) { region(code: $code) { code } }', { code: 330300 }), 'code', /String cannot represent a non string value/);
    expectBadInput(await wsOperation(s, 'mutation', SUBMIT, { input: { ...figure, value: 'four' } }), 'value');
    expectBadInput(await wsOperation(s, 'missing', SUBMIT, {}), 'input', /was not provided/);
    expectBadInput(await wsOperation(s, 'extra', SUBMIT, { input: { ...figure, id: '1' } }), 'input', /"id" is not defined/);
    expectBadInput(await wsOperation(s, 'subscription', BOARD_EVENTS, { after: 5 }), 'after');
    // Named among several operations, the named one's variables are the ones coerced.
    expectBadInput(await wsOperation(s, 'named', `query Other { me { username } } ${SUBMIT.replace('mutation S', 'mutation Named')}`, { input: { ...figure, asOf: 'today' } }, 'Named'), 'asOf');
    s.ws.close();
  }],
  ['WS: variables nested 100,000 levels are an error of that operation (BAD_REQUEST), not a 4500 close; the socket goes on', async () => {
    const s = await signedIn();
    // JSON.stringify would recurse as deep: the message is written out as text.
    s.send(`{"id": "deep", "type": "subscribe", "payload": {"query": "query Q($x: String) { me { username } }", "variables": {"x": ${'['.repeat(100_000)}1${']'.repeat(100_000)}}}}`);
    const answer = await s.next((m) => m.id === 'deep', 'an answer to deep');
    expect(wsCodes(answer)).toEqual(['BAD_REQUEST']);
    expect(wsErrors(answer)[0].message).toBe('The request nests objects and lists deeper than 32 levels');
    expect(await wsOperation(s, 'me', '{ me { username } }')).toEqual({ id: 'me', type: 'next', payload: { data: { me: { username: 'screen' } } } });
    s.ws.close();
  }],
  ['WS: a lone surrogate in a variable is BAD_USER_INPUT naming its field, as over HTTP', async () => {
    const s = await signedIn(tokens.lucheng);
    expectBadInput(await wsOperation(s, 'note', SUBMIT, { input: { ...figure, note: LONE } }), 'note', /lone surrogate/);
    expectBadInput(await wsOperation(s, 'comment', 'mutation C($input: AddCommentInput!) { addComment(input: $input) { id } }', { input: { indicator: 'P3-01', region: '330302', text: LONE } }), 'text');
    s.ws.close();
  }],
  ['WS: a figure of 1e20 and a fraction on a COUNT are BAD_USER_INPUT naming value', async () => {
    const s = await signedIn(tokens.lucheng);
    expectBadInput(await wsOperation(s, 'big', SUBMIT, { input: { ...figure, value: 1e20 } }), 'value', /out of range: a figure is at most 9999999999999999\.9999/);
    expectBadInput(await wsOperation(s, 'tiny', SUBMIT, { input: { ...figure, value: 5e-324 } }), 'value', /whole number/);
    s.ws.close();
  }],
  ['WS: progress asOf 0000-01-01 is BAD_USER_INPUT naming asOf', async () => {
    const s = await signedIn();
    expectBadInput(await wsOperation(s, 'day', PROGRESS, { asOf: '0000-01-01' }), 'asOf', /outside the years 1 to 9999/);
    s.ws.close();
  }],
  ['WS: a subscription over the socket limit is BAD_USER_INPUT with its field', async () => {
    const s = await signedIn();
    for (let i = 0; i < MAX_SUBSCRIPTIONS; i += 1) s.send({ id: `s${i}`, type: 'subscribe', payload: { query: NOTIFICATIONS } });
    expectBadInput(await wsOperation(s, 'over', NOTIFICATIONS), 'subscriptions', new RegExp(`^At most ${MAX_SUBSCRIPTIONS} subscriptions per connection$`));
    s.ws.close();
  }],
];

hostileRows('hostile WebSocket messages change nothing and break nothing', wsRows, { atLeast: 20 });

it('logged no row as an unknown error', () => {
  expect(logged.filter((line) => /unknown error/.test(line))).toEqual([]);
});
