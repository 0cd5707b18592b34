import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  AddCommentDocument, BoardActivityDocument, CommentsDocument, NotificationsDocument, ProgressDocument, ReviewDocument, SubmitDocument,
  type BoardActivitySubscription, type NotificationsSubscription,
} from './generated/graphql';
import { codes, startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';
import { localKey } from '../src/common/node';

let server: TestServer;
const clients: Client[] = [];
beforeAll(async () => { server = await startTestServer(); });
afterEach(async () => { await Promise.all(clients.splice(0).map((c) => c.dispose())); });
afterAll(() => server.close());

async function submit(value: number): Promise<string> {
  const res = await server.gql(SubmitDocument, { input: { indicator: 'P3-01', region: '330302', value, asOf: '2019-06-30' } }, await server.token('lucheng'));
  expect(res.errors).toBeUndefined();
  return res.data!.submitFigure.submission.id;
}

async function countyActual(): Promise<number | null> {
  const res = await server.gql(ProgressDocument, { indicator: 'P3-01', region: '330302' }, await server.token('screen'));
  return res.data!.indicator.progress.actual;
}

/** Subscribes with a token; `take(n)` resolves with the next n payloads. */
function subscribe<T>(token: string, query: string, variables: Record<string, unknown>) {
  const c = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  clients.push(c);
  const got: T[] = [];
  let waiter: { n: number; resolve: (v: T[]) => void } | undefined;
  c.subscribe<T>({ query, variables }, {
    next: ({ data }) => {
      // A board subscriber's own arrival, and the notices judged from the figures (test/notice.test.ts), are not what these tests watch.
      const d = data as { boardEvents?: { __typename: string }; notifications?: { kind: string } };
      if (d.boardEvents?.__typename === 'PresenceChanged' || d.boardEvents?.__typename === 'NoticeChanged' || d.notifications?.kind === 'NOTICE') return;
      got.push(data as T);
      if (waiter && got.length >= waiter.n) waiter.resolve(got.splice(0, waiter.n));
    },
    error: () => undefined, complete: () => undefined,
  });
  return { take: (n: number) => new Promise<T[]>((resolve) => { waiter = { n, resolve }; if (got.length >= n) resolve(got.splice(0, n)); }) };
}

describe('reviewSubmission', () => {
  it('returns a figure with a reason: it leaves the roll-up, the board and the reporter are told', async () => {
    const before = await countyActual();
    const id = await submit(before! + 5);
    expect(await countyActual()).toBe(before! + 5);

    const notes = subscribe<NotificationsSubscription>(await server.token('lucheng'), print(NotificationsDocument), {});
    const board = subscribe<BoardActivitySubscription>(await server.token('screen'), print(BoardActivityDocument), { programme: 'P3', region: '330300' });
    await until(() => server.services.events.listenerCount === 2);

    const res = await server.gql(ReviewDocument, { input: { submission: id, decision: 'RETURNED', note: '数据与台账不符' } }, await server.token('yanglao'));
    expect(res.errors).toBeUndefined();
    expect(res.data!.reviewSubmission).toMatchObject({ id, status: 'RETURNED', reviewNote: '数据与台账不符', reviewedBy: { username: 'yanglao' } });
    expect(await countyActual()).toBe(before);

    const [notification] = (await notes.take(1)).map((n) => n.notifications);
    expect(notification).toMatchObject({ kind: 'SUBMISSION_REVIEWED', submission: { id, status: 'RETURNED' } });
    expect(notification.message).toMatch(/已退回：数据与台账不符/);
    const events = (await board.take(3)).map((e) => e.boardEvents);
    expect(events[0]).toMatchObject({ __typename: 'SubmissionReviewed', submission: { id, status: 'RETURNED' } });
    expect(events.slice(1)).toEqual([
      expect.objectContaining({ __typename: 'ProgressChanged', region: { code: '330302' }, progress: { actual: before } }),
      expect.objectContaining({ __typename: 'ProgressChanged', region: { code: '330300' } }),
    ]);
  });

  it.each([
    ['a return without a reason', 'yanglao', { decision: 'RETURNED' }, 'BAD_USER_INPUT'],
    ['a review by a reporter', 'lucheng', { decision: 'APPROVED' }, 'FORBIDDEN'],
    ['a review by a viewer', 'screen', { decision: 'APPROVED' }, 'FORBIDDEN'],
    ['a submission that does not exist', 'admin', { decision: 'APPROVED', submission: '99999999' }, 'NOT_FOUND'],
  ] as const)('refuses %s, writing nothing', async (_what, username, over, code) => {
    const id = await submit(3);
    const res = await server.gql(ReviewDocument, { input: { submission: id, ...over } }, await server.token(username));
    expect(codes(res)).toEqual([code]);
    const rows = await server.orm.em.fork().getConnection().execute<{ status: string }[]>('select status from submission where id = ?', [localKey('Submission', id)]);
    expect(rows[0].status).toBe('SUBMITTED');
  });

  it('reviews a figure once: a second review is a CONFLICT', async () => {
    const id = await submit(4);
    const admin = await server.token('admin');
    expect((await server.gql(ReviewDocument, { input: { submission: id, decision: 'APPROVED' } }, admin)).errors).toBeUndefined();
    expect(codes(await server.gql(ReviewDocument, { input: { submission: id, decision: 'RETURNED', note: 'x' } }, admin))).toEqual(['CONFLICT']);
  });

  it('refuses a department outside its programme', async () => {
    const res = await server.gql(SubmitDocument, { input: { indicator: 'P1-03', region: '330302', value: 40, asOf: '2019-06-30' } }, await server.token('lucheng'));
    const review = await server.gql(ReviewDocument, { input: { submission: res.data!.submitFigure.submission.id, decision: 'APPROVED' } }, await server.token('yanglao'));
    expect(codes(review)).toEqual(['FORBIDDEN']);
  });
});

describe('comments (批示)', () => {
  it('adds a comment on a submission: the board and the reporter hear of it', async () => {
    const id = await submit(6);
    // The figure's own board events (the projector's) come before the comment is made.
    await server.projected();
    const notes = subscribe<NotificationsSubscription>(await server.token('lucheng'), print(NotificationsDocument), {});
    const board = subscribe<BoardActivitySubscription>(await server.token('screen'), print(BoardActivityDocument), { programme: 'P3', region: '330302' });
    await until(() => server.services.events.listenerCount === 2);
    const res = await server.gql(AddCommentDocument, { input: { indicator: 'P3-01', region: '330302', submission: id, text: '请于月底前补齐' } }, await server.token('yanglao'));
    expect(res.errors).toBeUndefined();
    expect(res.data!.addComment).toMatchObject({ text: '请于月底前补齐', author: { username: 'yanglao' }, submission: { id } });
    const [event] = (await board.take(1)).map((e) => e.boardEvents);
    expect(event).toMatchObject({ __typename: 'CommentAdded', comment: { text: '请于月底前补齐', author: { username: 'yanglao' } } });
    const [notification] = (await notes.take(1)).map((n) => n.notifications);
    expect(notification).toMatchObject({ kind: 'COMMENT_ADDED', comment: { text: '请于月底前补齐' } });
    const list = await server.gql(CommentsDocument, { indicator: 'P3-01', region: '330302' }, await server.token('screen'));
    expect(list.data!.comments[0]).toMatchObject({ text: '请于月底前补齐' });
  });

  it.each([
    ['an empty comment', 'yanglao', { text: '   ' }, 'BAD_USER_INPUT'],
    ['a comment of 100 kB', 'yanglao', { text: 'x'.repeat(100 * 1024) }, 'BAD_USER_INPUT'],
    ['a comment from a viewer', 'screen', { text: '好' }, 'FORBIDDEN'],
    ['a comment outside the reporter\'s region', 'lucheng', { region: '330303', text: '好' }, 'FORBIDDEN'],
    ['a comment on an unknown indicator', 'admin', { indicator: 'P0-00', text: '好' }, 'NOT_FOUND'],
    ['a comment on a submission of another region', 'admin', { region: '330303', submission: '1', text: '好' }, 'BAD_USER_INPUT'],
  ] as const)('refuses %s, writing nothing', async (_what, username, over, code) => {
    const before = await server.count('comment');
    const res = await server.gql(AddCommentDocument, { input: { indicator: 'P3-01', region: '330302', ...over } }, await server.token(username));
    expect(codes(res)).toEqual([code]);
    expect(await server.count('comment')).toBe(before);
  });
});
