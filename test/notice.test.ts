import { liveClients } from './helpers/live';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

/** Supervision notices (督办单) through the API: issued by rule, moved by the clock, followed through their lifecycle. */
let server: TestServer;
const live = liveClients(() => server);
afterEach(() => live.disposeAll());

beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

const NOTICE_FIELDS = 'id colour state reason deadline extendedTo requestedUntil redSince escalatedAt closedAt indicator { code } region { code } history { action state colour actor { username } }';
const NOTICES = `query($p: String!, $r: String!, $c: NoticeColour, $s: NoticeState, $open: Boolean) {
  notices(programme: $p, region: $r, colour: $c, state: $s, open: $open) { ${NOTICE_FIELDS} } }`;
const NOTICE = `query($id: ID!) { notice(id: $id) { ${NOTICE_FIELDS} } }`;
const SUBMIT = `mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }`;
const SET_TARGET = `mutation($input: SetTargetInput!) { setTarget(input: $input) { id } }`;
const ACK = `mutation($input: NoticeStepInput!) { acknowledgeNotice(input: $input) { id state } }`;
const EXTEND = `mutation($input: RequestExtensionInput!) { requestNoticeExtension(input: $input) { id state requestedUntil } }`;
const DECIDE = `mutation($input: DecideExtensionInput!) { decideNoticeExtension(input: $input) { id state colour extendedTo } }`;
const COMPLETE = `mutation($input: NoticeStepInput!) { completeNotice(input: $input) { id state } }`;
const REVIEW = `mutation($input: ReviewCompletionInput!) { reviewNoticeCompletion(input: $input) { id state closedAt } }`;
const RULES = `mutation($input: SetNoticeRulesInput!) { setNoticeRules(input: $input) { blueWithinDays yellowBehindShare redBehindShare escalateAfterWorkingDays version } }`;
const NOTES = 'subscription { notifications { kind message notice { id state colour } } }';
const BOARD = `subscription($p: String!, $r: String!) { boardEvents(programme: $p, region: $r) { __typename
  ... on NoticeChanged { action notice { id colour state region { code } indicator { code } } } } }`;

type Notice = { id: string; colour: string; state: string; reason: string; deadline: string; extendedTo: string | null; escalatedAt: string | null; closedAt: string | null;
  indicator: { code: string }; region: { code: string }; history: { action: string; state: string; colour: string; actor: { username: string } | null }[] };

async function as(user: string, query: string, variables: Record<string, unknown> = {}) {
  return server.call(query, variables, await server.token(user));
}
async function ok(user: string, query: string, variables: Record<string, unknown> = {}) {
  return server.ok(query, variables, await server.token(user));
}
/** Moves Duban's day and waits for the notices to be judged for it. */
async function moveTo(day: string): Promise<void> {
  server.setToday(day);
  await server.projected();
}
async function openNotice(indicator: string, region: string): Promise<Notice | undefined> {
  const { notices } = await ok('admin', NOTICES, { p: indicator.split('-')[0], r: region });
  return (notices as Notice[]).find((n) => n.indicator.code === indicator && n.region.code === region);
}
async function noticeById(id: string): Promise<Notice> {
  return (await ok('admin', NOTICE, { id })).notice;
}

describe('the demo at 2019-06-30', () => {
  it('has notices issued from the report\'s figures: P3-01 behind in the city and its counties', async () => {
    const { notices } = await ok('yanglao', NOTICES, { p: 'P3', r: '330300' });
    expect(notices.length).toBeGreaterThan(0);
    const city = (notices as Notice[]).find((n) => n.indicator.code === 'P3-01' && n.region.code === '330300')!;
    // 25 of 70 by 2019-10-31: the plan expects about 41.7 by now, 40% behind: RED.
    expect(city).toMatchObject({ colour: 'RED', state: 'ISSUED', deadline: '2019-10-31' });
    expect(city.reason).toMatch(/落后序时进度 40%/);
    expect(city.history).toEqual([{ action: 'ISSUED', state: 'ISSUED', colour: 'RED', actor: null }]);
    const reds = await ok('yanglao', NOTICES, { p: 'P3', r: '330300', c: 'RED' });
    expect(reds.notices.every((n: Notice) => n.colour === 'RED')).toBe(true);
    // A reporter reads the notices of its own region only.
    expect((await as('lucheng', NOTICES, { p: 'P3', r: '330300' })).code).toBe('FORBIDDEN');
    const own = await ok('lucheng', NOTICES, { p: 'P3', r: '330302' });
    expect(own.notices.every((n: Notice) => n.region.code.startsWith('330302'))).toBe(true);
  });
});

describe('a notice through its life', () => {
  it('goes BLUE → RED as the clock passes the deadline, is acknowledged, extended, completed and accepted, with board events and notifications', async () => {
    const board = live.watch(await server.token('screen'), BOARD, { p: 'P3', r: '330302' });
    const lucheng = live.watch(await server.token('lucheng'), NOTES);
    const yanglao = live.watch(await server.token('yanglao'), NOTES);
    await until(() => server.services.events.listenerCount >= 3, 'the subscribers');

    // P3-08 has no target in the demo. A target for 鹿城区 due 2019-07-10, 10% above its figure: close
    // to its pace (about 4% behind), not met, the deadline near: BLUE.
    const PROGRESS = `{ indicator(code: "P3-08") { progress(region: "330302") { actual } } }`;
    const actual: number = (await ok('admin', PROGRESS)).indicator.progress.actual;
    const value = Math.round(actual * 1.1);
    await ok('yanglao', SET_TARGET, { input: { indicator: 'P3-08', region: '330302', comparator: 'GTE', value, deadline: '2019-07-10' } });
    await server.projected();
    const blue = (await openNotice('P3-08', '330302'))!;
    expect(blue).toMatchObject({ colour: 'BLUE', state: 'ISSUED', deadline: '2019-07-10' });
    expect(blue.reason).toMatch(/临近截止/);

    await moveTo('2019-07-11');
    const red = await noticeById(blue.id);
    expect(red).toMatchObject({ colour: 'RED', state: 'ISSUED' });
    expect(red.reason).toMatch(/已逾期/);
    expect(red.history.at(-1)).toMatchObject({ action: 'RAISED', colour: 'RED', actor: null });

    // Only the region's reporter acknowledges; the department grants.
    expect((await as('yanglao', ACK, { input: { notice: red.id } })).code).toBe('FORBIDDEN');
    expect((await ok('lucheng', ACK, { input: { notice: red.id, note: '已签收，加快推进' } })).acknowledgeNotice.state).toBe('ACKNOWLEDGED');
    expect((await as('lucheng', ACK, { input: { notice: red.id } })).code).toBe('CONFLICT');
    const asked = await ok('lucheng', EXTEND, { input: { notice: red.id, until: '2019-07-31', reason: '两家中心待消防验收' } });
    expect(asked.requestNoticeExtension).toMatchObject({ state: 'EXTENSION_REQUESTED', requestedUntil: '2019-07-31' });
    expect((await as('lucheng', DECIDE, { input: { notice: red.id, decision: 'GRANTED' } })).code).toBe('FORBIDDEN');
    const granted = await ok('yanglao', DECIDE, { input: { notice: red.id, decision: 'GRANTED', note: '同意延期至7月底' } });
    // The notice judges by the extension (no longer overdue): lowered to BLUE; the target keeps its deadline.
    expect(granted.decideNoticeExtension).toMatchObject({ state: 'EXTENSION_GRANTED', colour: 'BLUE', extendedTo: '2019-07-31' });
    const targets = await ok('admin', `{ targets(filter: { indicator: "P3-08", region: "330302" }) { nodes { deadline } } }`);
    expect(targets.targets.nodes).toEqual([{ deadline: '2019-07-10' }]);

    // The figure meets the target: completed by rule; the department accepts it.
    await ok('lucheng', SUBMIT, { input: { indicator: 'P3-08', region: '330302', value, asOf: '2019-07-11' } });
    await server.projected();
    expect((await noticeById(red.id)).state).toBe('COMPLETED');
    const accepted = await ok('yanglao', REVIEW, { input: { notice: red.id, decision: 'ACCEPTED', note: '验收通过' } });
    expect(accepted.reviewNoticeCompletion.state).toBe('ACCEPTED');
    expect(accepted.reviewNoticeCompletion.closedAt).not.toBeNull();
    expect(await openNotice('P3-08', '330302')).toBeUndefined();

    const done = await noticeById(red.id);
    expect(done.history.map((h) => h.action)).toEqual(expect.arrayContaining(['RAISED', 'ACKNOWLEDGED', 'EXTENSION_REQUESTED', 'EXTENSION_GRANTED', 'LOWERED', 'COMPLETED', 'ACCEPTED']));
    const tail = done.history.slice(done.history.findIndex((h) => h.action === 'RAISED' && h.colour === 'RED'));
    expect(tail.map((h) => [h.action, h.actor?.username ?? null])).toEqual([
      ['RAISED', null], ['ACKNOWLEDGED', 'lucheng'], ['EXTENSION_REQUESTED', 'lucheng'], ['EXTENSION_GRANTED', 'yanglao'],
      ['LOWERED', null], ['COMPLETED', null], ['ACCEPTED', 'yanglao']]);

    // Each change is on the board, and reaches the people it concerns.
    const actions = () => board.map((e) => e.boardEvents).filter((e) => e.__typename === 'NoticeChanged' && e.notice.id === red.id).map((e) => e.action);
    await until(() => actions().includes('ACCEPTED'), 'the board to see the acceptance');
    expect(actions()).toEqual(expect.arrayContaining(['RAISED', 'ACKNOWLEDGED', 'EXTENSION_REQUESTED', 'EXTENSION_GRANTED', 'LOWERED', 'COMPLETED', 'ACCEPTED']));
    const kinds = (got: any[]) => got.map((n) => n.notifications).filter((n) => n.kind === 'NOTICE' && n.notice?.id === red.id);
    await until(() => kinds(lucheng).some((n) => n.notice.state === 'ACCEPTED' || /已验收/.test(n.message)), 'the reporter to hear of the acceptance');
    expect(kinds(lucheng).map((n) => n.message).join('\n')).toMatch(/红色）已升级/);
    expect(kinds(lucheng).map((n) => n.message).join('\n')).toMatch(/延期已批准/);
    await until(() => kinds(yanglao).some((n) => /申请延期/.test(n.message)), 'the department to hear of the request');
    expect(kinds(yanglao).map((n) => n.message).join('\n')).toMatch(/已签收/);

    const audit = await ok('admin', `query($id: String!) { auditEntries(filter: { entityType: "Notice", entityId: $id }, first: 50) { nodes { action actor { username } } } }`, { id: red.id });
    expect(audit.auditEntries.nodes.map((n: { action: string }) => n.action)).toEqual(expect.arrayContaining(
      ['NOTICE_RAISED', 'NOTICE_ACKNOWLEDGED', 'NOTICE_EXTENSION_REQUESTED', 'NOTICE_EXTENSION_GRANTED', 'NOTICE_COMPLETED', 'NOTICE_ACCEPTED']));
    await moveTo('2019-06-30');
  });

  it('is completed by the region by hand, returned, then completed again; a refused extension keeps the deadline', async () => {
    const n = (await openNotice('P3-01', '330303'))!;
    expect(n.state).toBe('ISSUED');
    await ok('admin', ACK, { input: { notice: n.id } });
    const notMet = await as('admin', COMPLETE, { input: { notice: n.id } });
    expect(notMet.code).toBe('BAD_USER_INPUT');
    await ok('admin', EXTEND, { input: { notice: n.id, until: '2019-11-30', reason: '选址调整' } });
    const refused = await ok('yanglao', DECIDE, { input: { notice: n.id, decision: 'REFUSED', note: '不同意' } });
    expect(refused.decideNoticeExtension).toMatchObject({ state: 'EXTENSION_REFUSED', extendedTo: null, colour: 'RED' });
    // Meet the target, then complete before the rules see it: the department returns it once, then accepts.
    await ok('yanglao', SET_TARGET, { input: { indicator: 'P3-01', region: '330303', comparator: 'GTE', value: 1, deadline: '2019-07-05' } });
    await ok('admin', SUBMIT, { input: { indicator: 'P3-01', region: '330303', value: 5, asOf: '2019-06-30' } });
    await server.projected();
    let now = await noticeById(n.id);
    if (now.state !== 'COMPLETED') now = (await ok('admin', COMPLETE, { input: { notice: n.id } })).completeNotice;
    expect(now.state).toBe('COMPLETED');
    expect((await as('yanglao', REVIEW, { input: { notice: n.id, decision: 'RETURNED' } })).code).toBe('BAD_USER_INPUT');
    expect((await ok('yanglao', REVIEW, { input: { notice: n.id, decision: 'RETURNED', note: '佐证材料不全' } })).reviewNoticeCompletion.state).toBe('RETURNED');
    await server.projected();
    expect((await noticeById(n.id)).state).toBe('RETURNED');
    expect((await ok('admin', COMPLETE, { input: { notice: n.id, note: '已补齐材料' } })).completeNotice.state).toBe('COMPLETED');
    expect((await ok('yanglao', REVIEW, { input: { notice: n.id, decision: 'ACCEPTED' } })).reviewNoticeCompletion.state).toBe('ACCEPTED');
  });
});

describe('escalation', () => {
  it('escalates a RED not acknowledged within 3 working days to the leaders, across a weekend and the National Day holiday', async () => {
    await ok('yanglao', RULES, { input: { programme: 'P3', escalateAfterWorkingDays: 3 } });
    const leader = live.watch(await server.token('leader'), NOTES);
    await until(() => server.services.events.listenerCount >= 1, 'the subscriber');
    // P3-20, a milestone due 2019-08-31, not done in 鹿城区: overdue, RED on Friday 2019-09-27.
    await moveTo('2019-09-27');
    const red = (await openNotice('P3-20', '330302'))!;
    expect(red).toMatchObject({ colour: 'RED', state: 'ISSUED', escalatedAt: null });
    // Sat 28 (off), Sun 29 (a make-up working day: 1), Mon 30 (2), 1–7 October (the holiday: still 2).
    for (const day of ['2019-09-28', '2019-09-29', '2019-09-30', '2019-10-04', '2019-10-07']) {
      await moveTo(day);
      expect((await noticeById(red.id)).escalatedAt).toBeNull();
    }
    await moveTo('2019-10-08');
    const escalated = await noticeById(red.id);
    expect(escalated.escalatedAt).not.toBeNull();
    expect(escalated.history.at(-1)).toMatchObject({ action: 'ESCALATED', colour: 'RED', state: 'ISSUED' });
    await until(() => leader.some((n) => n.notifications.kind === 'NOTICE' && n.notifications.notice?.id === red.id), 'the leader to hear of it');
    expect(leader.find((n) => n.notifications.notice?.id === red.id).notifications.message).toMatch(/已报领导.*P3-20/);
    await moveTo('2019-06-30');
  });
});

describe('bad input writes nothing', () => {
  const TABLES = ['notice', 'notice_step', 'notice_rules', 'audit_entry', 'outbox_event'];
  const counts = async () => { await server.projected(); return Promise.all(TABLES.map((t) => server.count(t))); };
  let issued: string;
  let acknowledged: string;
  beforeAll(async () => {
    issued = (await openNotice('P3-01', '330304'))!.id;
    acknowledged = (await openNotice('P3-01', '330305'))!.id;
    await ok('admin', ACK, { input: { notice: acknowledged } });
  });

  it.each([
    ['acknowledge: not an id', 'admin', ACK, () => ({ notice: 'abc' }), 'BAD_USER_INPUT', 'notice'],
    ['acknowledge: no such notice', 'admin', ACK, () => ({ notice: '999999' }), 'NOT_FOUND', undefined],
    ['acknowledge: already acknowledged', 'admin', ACK, () => ({ notice: acknowledged }), 'CONFLICT', undefined],
    ['acknowledge: a note too long', 'admin', ACK, () => ({ notice: issued, note: '长'.repeat(501) }), 'BAD_USER_INPUT', undefined],
    ['extension: not yet acknowledged', 'admin', EXTEND, () => ({ notice: issued, until: '2019-12-01', reason: '原因' }), 'CONFLICT', undefined],
    ['extension: not after the deadline', 'admin', EXTEND, () => ({ notice: acknowledged, until: '2019-10-31', reason: '原因' }), 'BAD_USER_INPUT', 'until'],
    ['extension: outside the year', 'admin', EXTEND, () => ({ notice: acknowledged, until: '2020-01-15', reason: '原因' }), 'BAD_USER_INPUT', 'until'],
    ['extension: no reason', 'admin', EXTEND, () => ({ notice: acknowledged, until: '2019-12-01', reason: '  ' }), 'BAD_USER_INPUT', 'reason'],
    ['extension: by the department', 'yanglao', EXTEND, () => ({ notice: acknowledged, until: '2019-12-01', reason: '原因' }), 'FORBIDDEN', undefined],
    ['decide: nothing asked', 'yanglao', DECIDE, () => ({ notice: acknowledged, decision: 'GRANTED' }), 'CONFLICT', undefined],
    ['decide: by a leader', 'leader', DECIDE, () => ({ notice: acknowledged, decision: 'GRANTED' }), 'FORBIDDEN', undefined],
    ['decide: a bad decision', 'yanglao', DECIDE, () => ({ notice: acknowledged, decision: 'MAYBE' }), 'BAD_USER_INPUT', undefined],
    ['complete: the figure does not meet the target', 'admin', COMPLETE, () => ({ notice: acknowledged }), 'BAD_USER_INPUT', 'notice'],
    ['complete: not yet acknowledged', 'admin', COMPLETE, () => ({ notice: issued }), 'CONFLICT', undefined],
    ['review: not completed', 'yanglao', REVIEW, () => ({ notice: acknowledged, decision: 'ACCEPTED' }), 'CONFLICT', undefined],
    ['review: by a reporter', 'lucheng', REVIEW, () => ({ notice: acknowledged, decision: 'ACCEPTED' }), 'FORBIDDEN', undefined],
    ['rules: an unknown programme', 'admin', RULES, () => ({ programme: 'P9', blueWithinDays: 10 }), 'NOT_FOUND', undefined],
    ['rules: blue days negative', 'admin', RULES, () => ({ programme: 'P3', blueWithinDays: -1 }), 'BAD_USER_INPUT', 'blueWithinDays'],
    ['rules: blue days over a year', 'admin', RULES, () => ({ programme: 'P3', blueWithinDays: 400 }), 'BAD_USER_INPUT', 'blueWithinDays'],
    ['rules: yellow share 0', 'admin', RULES, () => ({ programme: 'P3', yellowBehindShare: 0 }), 'BAD_USER_INPUT', 'yellowBehindShare'],
    ['rules: yellow share 1', 'admin', RULES, () => ({ programme: 'P3', yellowBehindShare: 1 }), 'BAD_USER_INPUT', 'yellowBehindShare'],
    ['rules: red share over 1', 'admin', RULES, () => ({ programme: 'P3', redBehindShare: 1.5 }), 'BAD_USER_INPUT', 'redBehindShare'],
    ['rules: red not above yellow', 'admin', RULES, () => ({ programme: 'P3', yellowBehindShare: 0.3, redBehindShare: 0.2 }), 'BAD_USER_INPUT', 'redBehindShare'],
    ['rules: escalation 0 days', 'admin', RULES, () => ({ programme: 'P3', escalateAfterWorkingDays: 0 }), 'BAD_USER_INPUT', 'escalateAfterWorkingDays'],
    ['rules: a stale version', 'admin', RULES, () => ({ programme: 'P3', blueWithinDays: 10, expectedVersion: 99 }), 'CONFLICT', undefined],
    ['rules: another department\'s programme', 'yanglao', RULES, () => ({ programme: 'P1', blueWithinDays: 10 }), 'FORBIDDEN', undefined],
  ])('%s', async (_name, user, query, input, code, field) => {
    const before = await counts();
    const res = await as(user, query, { input: input() });
    expect(res.code).toBe(code);
    if (field) expect(res.errors![0].extensions!.field).toBe(field);
    expect(await counts()).toEqual(before);
  });
});
