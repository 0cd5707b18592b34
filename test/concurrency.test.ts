import { AuthSession, SessionKind } from '../src/modules/user/session.entity';
import { openSession } from '../src/modules/user/session.service';
import { Role, User } from '../src/modules/user/user.entity';
import { Region } from '../src/modules/region/region.entity';
import { startTestServer, type TestServer } from './helpers/test-server';

/**
 * 100 reporters, each signed in for one township, spread over every county, send 50 cumulative
 * figures each at once (5,000 submissions, some sent twice with the same idempotency key as a
 * client retrying a lost answer). Then every township's figure, and the roll-up at every county
 * and at the city, must be exact, and no retry may have added a row.
 */
const REPORTERS = 100;
const EACH = 50;
const INDICATOR = 'P3-05'; // 老年人助餐点: a count, reported township by township, summed up the tree

let server: TestServer;
// 100 writers on 20 connections contend for the outbox's sequence row; on a loaded machine a
// statement can wait on it past the default 15 s, which would test the machine, not the roll-ups
// (the statement timeout itself is tested in overload.test.ts).
beforeAll(async () => { server = await startTestServer({ poolMax: 20, env: { DUBAN_STATEMENT_TIMEOUT_MS: '120000' } }); });
afterAll(() => server.close());

const SUBMIT = `mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id value } } }`;
const PROGRESS = `query($r: String!) { indicator(code: "${INDICATOR}") { progress(region: $r) { actual children { region { code } actual children { region { code } actual } } } } }`;

interface Node { region: { code: string }; actual: number | null; children?: Node[] }

/** Townships taken in turn from each county, so the reporters spread over all of them. */
async function townshipsAcrossCounties(): Promise<Region[]> {
  const em = server.orm.em.fork();
  const townships = await em.find(Region, { level: 'TOWNSHIP' as never }, { orderBy: { code: 'asc' }, populate: ['parent'] });
  const byCounty = new Map<string, Region[]>();
  for (const t of townships) byCounty.set(t.parent!.code, [...(byCounty.get(t.parent!.code) ?? []), t]);
  const picked: Region[] = [];
  for (let round = 0; picked.length < REPORTERS; round += 1) {
    for (const list of byCounty.values()) if (list[round] && picked.length < REPORTERS) picked.push(list[round]);
  }
  return picked;
}

/** Reporter accounts for the townships, with their sessions (sign-in itself is tested in auth.test.ts). */
async function reporters(townships: Region[]): Promise<string[]> {
  const em = server.orm.em.fork();
  const users = townships.map((region, i) => em.create(User, { username: `reporter${i}`, passwordHash: '!', role: Role.REPORTER, region }));
  await em.flush();
  const signed = users.map((user) => openSession(em, server.config, user, SessionKind.LOGIN, 3600));
  await em.flush();
  expect(await em.count(AuthSession, { kind: SessionKind.LOGIN, user: { username: { $like: 'reporter%' } } })).toBe(REPORTERS);
  return signed.map((s) => s.token);
}

it(`${REPORTERS} reporters × ${EACH} figures at once: every figure and every roll-up is exact`, async () => {
  const townships = await townshipsAcrossCounties();
  expect(new Set(townships.map((t) => t.parent!.code)).size).toBe(12);
  const tokens = await reporters(townships);
  const admin = await server.token('admin');
  const before = ((await server.ok(PROGRESS, { r: '330300' }, admin)).indicator as { progress: Node }).progress;
  const rowsBefore = await server.count('submission');

  // Each reporter's figures rise (cumulative); the last one sent is its township's figure.
  const last = (i: number) => 1000 + i * 7 + EACH;
  await Promise.all(townships.map(async (township, i) => {
    for (let n = 1; n <= EACH; n += 1) {
      const input = { indicator: INDICATOR, region: township.code, value: 1000 + i * 7 + n, asOf: '2019-06-30', idempotencyKey: `r${i}-${n}` };
      const first = server.ok(SUBMIT, { input }, tokens[i]);
      // Every tenth figure is sent twice at once, as a client retrying: one row, the same answer.
      if (n % 10 === 0) {
        const [a, b] = await Promise.all([first, server.ok(SUBMIT, { input }, tokens[i])]);
        expect(b).toEqual(a);
      } else {
        await first;
      }
    }
  }));

  expect(await server.count('submission')).toBe(rowsBefore + REPORTERS * EACH);
  const after = ((await server.ok(PROGRESS, { r: '330300' }, admin)).indicator as { progress: Node }).progress;

  // Expected: every township's figure as before, but the test's, which read their last value.
  const expected = new Map<string, number>();
  for (const county of before.children!) for (const t of county.children!) expected.set(t.region.code, t.actual ?? 0);
  townships.forEach((t, i) => expected.set(t.code, last(i)));
  for (const county of after.children!) {
    for (const t of county.children!) expect([t.region.code, t.actual]).toEqual([t.region.code, expected.get(t.region.code)]);
    const sum = county.children!.reduce((s, t) => s + (t.actual ?? 0), 0);
    expect([county.region.code, county.actual]).toEqual([county.region.code, sum]);
  }
  expect(after.actual).toBe([...expected.values()].reduce((s, v) => s + v, 0));
  expect(after.actual).not.toBe(before.actual);

  // Every submission is in the audit trail, once.
  const [{ n }] = await server.orm.em.getConnection().execute(
    `select count(*)::int as n from audit_entry where action in ('SUBMIT', 'CORRECT') and actor_id in (select id from app_user where username like 'reporter%')`);
  expect(n).toBe(REPORTERS * EACH);
}, 1_800_000);
