import { SubmissionsDocument, TargetsDocument } from '../generated/graphql';
import { codes, type TestServer } from '../helpers/test-server';
import {
  aliasBomb, costBomb, costBombInVariables, depthBomb, expectAnswer, fragmentCycle, hostile, hostileRows, http, query, tokenFlood,
  useHostileServer, type Row,
} from './hostile';

/** Hostile requests over HTTP: bombs over the limits, pages, bodies and transports. Nothing is written; nothing answers 500. */

useHostileServer();
let server: TestServer;
const { tokens } = hostile;
beforeAll(() => { server = hostile.server; });

/** A JSON body whose variables nest `levels` lists (or objects) inside one another, written out as text. */
function nestedBody(levels: number, kind: 'list' | 'object'): string {
  const [open, close] = kind === 'list' ? ['[', ']'] : ['{"a":', '}'];
  return `{"query": "query Q($x: String!) { region(code: $x) { code } }", "variables": {"x": ${open.repeat(levels)}1${close.repeat(levels)}}}`;
}

const rows: Row[] = [
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
  ['a JSON body whose variables nest 100,000 lists is 400 BAD_REQUEST, not a 500', async () => {
    const res = await http({ body: nestedBody(100_000, 'list'), token: tokens.screen });
    expectAnswer(res, 400, 'BAD_REQUEST');
    expect(res.json!.errors![0]).toEqual({ message: 'The request nests objects and lists deeper than 32 levels', extensions: { code: 'BAD_REQUEST', limit: 'inputDepth', max: 32 } });
  }],
  ['a JSON body whose variables nest 100,000 objects is 400 BAD_REQUEST, not a 500', async () => {
    expectAnswer(await http({ body: nestedBody(100_000, 'object'), token: tokens.screen }), 400, 'BAD_REQUEST');
  }],
  ['a GET whose variables nest 2,000 lists (about as many as a URL holds) is 400 BAD_REQUEST', async () => {
    const variables = `{"x":${'['.repeat(2_000)}1${']'.repeat(2_000)}}`;
    const search = `?query=${encodeURIComponent('query Q($x: String!) { region(code: $x) { code } }')}&variables=${encodeURIComponent(variables)}`;
    const res = await http({ method: 'GET', search, headers: { 'apollo-require-preflight': 'true' }, token: tokens.screen });
    expectAnswer(res, 400, 'BAD_REQUEST');
    expect(res.json!.errors![0].extensions).toMatchObject({ limit: 'inputDepth', max: 32 });
  }],
  ['a body nested just past the bound (33 levels) is refused; one within it is read', async () => {
    expectAnswer(await http({ body: nestedBody(31, 'list'), token: tokens.screen }), 400, 'BAD_REQUEST');
    // 30 lists under variables.x: with the body and its variables, 32 levels. Read, and refused as no String.
    const within = await http({ body: nestedBody(30, 'list'), token: tokens.screen });
    expectAnswer(within, 400, 'BAD_USER_INPUT');
    expect(within.json!.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'x' });
  }],
];

hostileRows('hostile requests over HTTP change nothing and break nothing', rows, { atLeast: 25 });
