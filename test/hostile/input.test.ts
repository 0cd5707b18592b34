import jwt from 'jsonwebtoken';
import {
  BoardDocument, LoginDocument, MeDocument, ProgressDetailDocument, RegionDocument, ReviewDocument, SetTargetDocument, SubmissionsDocument, SubmitDocument,
  TargetsDocument,
} from '../generated/graphql';
import { codes, type GraphQLResponse, type TestServer } from '../helpers/test-server';
import { expectAnswer, expectBadInput, figure, hostile, hostileRows, http, LONE, query, SQL, target, useHostileServer, type Row } from './hostile';

/**
 * Hostile values over HTTP: tokens, wrong types, numbers the columns cannot hold, dates outside
 * years 1-9999, text PostgreSQL cannot store, unknown codes. Each is a typed error, never a 500,
 * and BAD_USER_INPUT always names its field. Nothing is written.
 */

useHostileServer();
let server: TestServer;
const { tokens } = hostile;
beforeAll(() => { server = hostile.server; });

const SUBMIT = 'mutation S($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id value } } }';
const SET_TARGET = 'mutation T($input: SetTargetInput!) { setTarget(input: $input) { id value } }';

/** A JSON body written as text: numbers such as 1e20 go on the wire as the client wrote them. */
const raw = (q: string, variables: string, token: string) => http({ body: `{"query": ${JSON.stringify(q)}, "variables": ${variables}}`, token });

const OUT_OF_RANGE = /is out of range: a figure is at most 9999999999999999\.9999 either way/;

const rows: Row[] = [
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
  // Numbers the column (numeric(20,4)) cannot hold, and fractions on a whole-number kind
  ...(['1e20', '1e308', '-1e20', '1e16'] as const).map((value): Row => [`a value of ${value} in submitFigure is BAD_USER_INPUT naming value and the bound`, async () => {
    const res = await raw(SUBMIT, `{"input": {"indicator": "P3-01", "region": "330302", "value": ${value}, "asOf": "2019-06-30"}}`, tokens.lucheng);
    expectAnswer(res, 200, 'BAD_USER_INPUT');
    expectBadInput(res.json!, 'value', value.startsWith('-') ? /^value -100000000000000000000 is out of range/ : OUT_OF_RANGE);
  }]),
  ...(['1e20', '1e308'] as const).map((value): Row => [`a value of ${value} in setTarget is BAD_USER_INPUT naming value and the bound`, async () => {
    const res = await raw(SET_TARGET, `{"input": {"indicator": "P3-01", "region": "330302", "comparator": "GTE", "value": ${value}, "deadline": "2019-12-31"}}`, tokens.admin);
    expectBadInput(res.json!, 'value', OUT_OF_RANGE);
  }]),
  ['a RANGE target with max 1e20 is BAD_USER_INPUT naming max', async () => {
    expectBadInput(await server.gql(SetTargetDocument, { input: { ...target, comparator: 'RANGE' as never, value: undefined, min: 1, max: 1e20 } }, tokens.admin), 'max', OUT_OF_RANGE);
  }],
  ['a numerator of 1e20 on a percentage is BAD_USER_INPUT naming numerator', async () => {
    const res = await server.gql(SubmitDocument, { input: { indicator: 'P1-01', region: '330302', value: 50, numerator: 1e20, denominator: 2e20, asOf: '2019-06-30' } }, tokens.admin);
    expectBadInput(res, 'numerator', /^numerator 100000000000000000000 is out of range/);
  }],
  ['a denominator with more decimal places than the column keeps (4) is BAD_USER_INPUT, not rounded', async () => {
    const res = await server.gql(SubmitDocument, { input: { indicator: 'P1-01', region: '330302', value: 50, numerator: 1, denominator: 2.00001, asOf: '2019-06-30' } }, tokens.admin);
    expectBadInput(res, 'denominator', /has more than 4 decimal places/);
  }],
  ...([5e-324, 1.0000000000000002, 4.5, 1e-7] as const).map((value): Row => [`a value of ${value} on a whole-number COUNT is BAD_USER_INPUT, however small the fraction`, async () => {
    const res = await server.gql(SubmitDocument, { input: { ...figure, value } }, tokens.lucheng);
    expectBadInput(res, 'value', /^value of P3-01 must be a whole number \(家\)$/);
  }]),
  ['a target of 1.0000000000000002 on a whole-number COUNT is BAD_USER_INPUT', async () => {
    expectBadInput(await server.gql(SetTargetDocument, { input: { ...target, value: 10.000000000000002 } }, tokens.admin), 'value', /must be a whole number/);
  }],
  // Dates outside years 1-9999, and outside the programme's year
  ['progress asOf 0000-01-01 is BAD_USER_INPUT naming asOf, not a database error', async () => {
    const res = await server.gql(ProgressDetailDocument, { indicator: 'P3-01', region: '330302', asOf: '0000-01-01' }, tokens.screen);
    expectBadInput(res, 'asOf', /0000-01-01 is outside the years 1 to 9999/);
  }],
  ['the board asOf 0000-01-01 is BAD_USER_INPUT naming asOf', async () => {
    expectBadInput(await server.gql(BoardDocument, { programme: 'P3', region: '330300', asOf: '0000-01-01' }, tokens.screen), 'asOf');
  }],
  ['a submitFigure asOf 0000-01-01 is BAD_USER_INPUT naming asOf', async () => {
    expectBadInput(await server.gql(SubmitDocument, { input: { ...figure, asOf: '0000-01-01' } }, tokens.lucheng), 'asOf');
  }],
  ['a submitFigure asOf outside the programme\'s year is BAD_USER_INPUT naming asOf', async () => {
    expectBadInput(await server.gql(SubmitDocument, { input: { ...figure, asOf: '2018-12-31' } }, tokens.lucheng), 'asOf', /outside the programme's year 2019/);
  }],
  ['a setTarget deadline of 9999-12-31 (a day, but outside the programme\'s year) is BAD_USER_INPUT naming deadline', async () => {
    expectBadInput(await server.gql(SetTargetDocument, { input: { ...target, deadline: '9999-12-31' } }, tokens.admin), 'deadline', /outside the programme's year/);
  }],
  ['a submissions filter from 0000-01-01 is BAD_USER_INPUT naming from', async () => {
    expectBadInput(await server.gql(SubmissionsDocument, { filter: { from: '0000-01-01' } }, tokens.screen), 'from');
  }],
  ['an audit filter from 0000-12-31T00:00:00Z is BAD_USER_INPUT naming from', async () => {
    const res = await query('query A($from: DateTime) { auditEntries(filter: { from: $from }) { totalCount } }', { from: '0000-12-31T00:00:00Z' }, tokens.admin);
    expectBadInput(res.json!, 'from', /outside the years 1 to 9999/);
  }],
  ['a progress asOf of 0000-01-01 written in the query is refused before it runs', async () => {
    expectAnswer(await query('{ indicator(code: "P3-01") { progress(region: "330302", asOf: "0000-01-01") { actual } } }'), 400, 'GRAPHQL_VALIDATION_FAILED');
  }],
  // Lone surrogates: one rule for every text, as for NUL
  ['a lone surrogate in a figure\'s note is BAD_USER_INPUT naming note, not a failed audit insert', async () => {
    const res = await server.gql(SubmitDocument, { input: { ...figure, note: LONE } }, tokens.lucheng);
    expectBadInput(res, 'note', /^Text cannot contain a lone surrogate/);
  }],
  ['a lone surrogate in a comment is BAD_USER_INPUT naming text, not stored as U+FFFD', async () => {
    const res = await query('mutation C($input: AddCommentInput!) { addComment(input: $input) { id text } }', { input: { indicator: 'P3-01', region: '330302', text: LONE } }, tokens.yanglao);
    expectAnswer(res, 400, 'BAD_USER_INPUT');
    expectBadInput(res.json!, 'text');
  }],
  ['a lone low surrogate (\\udc00) at the end of a target\'s note is BAD_USER_INPUT naming note', async () => {
    expectBadInput(await server.gql(SetTargetDocument, { input: { ...target, note: 'ok\udc00' } }, tokens.admin), 'note');
  }],
  ['a lone surrogate in a screen\'s name is BAD_USER_INPUT naming name', async () => {
    const res = await query('mutation S($input: CreateScreenTokenInput!) { createScreenToken(input: $input) { token } }',
      { input: { name: `三楼${LONE}`, boards: [{ programme: 'P3', region: '330300' }] } }, tokens.admin);
    expectBadInput(res.json!, 'name');
  }],
  ['a lone surrogate in a screen\'s board (a list inside the input) names the path', async () => {
    const res = await query('mutation S($input: CreateScreenTokenInput!) { createScreenToken(input: $input) { token } }',
      { input: { name: '三楼', boards: [{ programme: 'P3', region: '330300' }, { programme: LONE, region: '330300' }] } }, tokens.admin);
    expectBadInput(res.json!, 'boards[1].programme');
  }],
  ['a lone surrogate in login\'s username is BAD_USER_INPUT naming username, before any attempt is recorded', async () => {
    const before = await server.count('login_attempt');
    expectBadInput(await server.gql(LoginDocument, { username: `admin${LONE}`, password: 'demo' }), 'username');
    expect(await server.count('login_attempt')).toBe(before);
  }],
  ['a lone surrogate in a variable\'s key is BAD_USER_INPUT', async () => {
    expectBadInput((await query('query R($code: String!) { region(code: $code) { code } }', { code: '330300', [LONE]: 1 })).json!, LONE);
  }],
  ['a lone surrogate written raw in the query text is GRAPHQL_PARSE_FAILED, 400', async () => {
    expectAnswer(await query(`{ region(code: "${LONE}") { code } }`), 400, 'GRAPHQL_PARSE_FAILED');
  }],
  ['a lone surrogate escaped in the query text (\\ud800) is GRAPHQL_PARSE_FAILED, 400', async () => {
    expectAnswer(await query('{ region(code: "a\\ud800b") { code } }'), 400, 'GRAPHQL_PARSE_FAILED');
  }],
  ['a NUL in a literal names the argument it is in', async () => {
    expectBadInput((await query('{ region(code: "330300\\u0000") { code } }')).json!, 'code');
  }],
  // One shape for BAD_USER_INPUT, whoever raised it
  ['a bad variable (Apollo\'s coercion) names the field inside the input', async () => {
    expectBadInput(await server.gql(SubmitDocument, { input: { ...figure, value: 'four' as never } }, tokens.lucheng), 'value');
  }],
  ['a missing variable names the variable', async () => {
    expectBadInput(await server.gql(RegionDocument, {} as never, tokens.screen), 'code');
  }],
  ['a class-validator failure names its field', async () => {
    expectBadInput(await server.gql(SubmitDocument, { input: { ...figure, note: 'x'.repeat(2001), idempotencyKey: 'k' } }, tokens.lucheng), 'note');
  }],
  ['several class-validator failures name every field', async () => {
    const res = await server.gql(SubmitDocument, { input: { ...figure, note: 'x'.repeat(2001), idempotencyKey: 'k'.repeat(201) } }, tokens.lucheng);
    expectBadInput(res, 'note');
    expect(res.errors![0].extensions!.fields).toEqual(['note', 'idempotencyKey']);
  }],
  ['a cursor with SQL in it names after', async () => {
    expectBadInput(await server.gql(SubmissionsDocument, { after: SQL }, tokens.screen) as GraphQLResponse<unknown>, 'after');
  }],
];

hostileRows('hostile values over HTTP are typed errors, change nothing and break nothing', rows, { atLeast: 50 });
