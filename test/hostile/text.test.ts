import {
  AddCommentDocument, BoardDocument, CommentsDocument, LoginDocument, ProgressDocument, RegionDocument, ReviewDocument, SetTargetDocument,
  SubmissionsDocument, SubmitDocument, TargetsDocument,
} from '../generated/graphql';
import { codes, type TestServer } from '../helpers/test-server';
import { figure, hostile, hostileRows, HOSTILE, http, snapshot, target, useHostileServer, type Row } from './hostile';
import { localKey } from '../../src/common/node';

/**
 * SQL and <script> in every string a mutation or a query argument takes: refused as what they are
 * (an unknown code, a caller without the right) and never run. Text that is valid input (a comment
 * with <script> in it) is stored: those rows, at the end, assert the exact value stored instead.
 */

useHostileServer();
let server: TestServer;
const { tokens } = hostile;
beforeAll(() => { server = hostile.server; });

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

hostileRows('SQL and <script> in every string change nothing and break nothing', stringRows, { atLeast: 30 });

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
    // Only the comment, and the event announcing it (which the messages-out cursor then follows), were written.
    for (const table of Object.keys(before).filter((t) => !['comment', 'outbox_event', 'outbox_sequence', 'delivery_cursor'].includes(t))) expect(after[table]).toEqual(before[table]);
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
