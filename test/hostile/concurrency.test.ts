import { SetTargetDocument } from '../generated/graphql';
import { codes, type GraphQLResponse } from '../helpers/test-server';
import { csv, upload } from '../helpers/spreadsheet';
import { expectStillAnswers, hostile, snapshot, target, useHostileServer, type Snapshot } from './hostile';

/**
 * The same thing created by many requests at once: one wins, every other is CONFLICT (never
 * INTERNAL_SERVER_ERROR from an unmapped unique violation), and only the winner's rows are written.
 */

// Twenty at once from one admin: more than the default bound on a user's operations in flight.
useHostileServer({ poolMax: 10, env: { DUBAN_MAX_IN_FLIGHT_PER_USER: '32' } });
const { tokens } = hostile;

/** Tables whose row counts changed between two snapshots, with how much. */
function grown(before: Snapshot, after: Snapshot): Record<string, number> {
  return Object.fromEntries(Object.keys(after).filter((t) => after[t].rows !== before[t]?.rows).map((t) => [t, after[t].rows - (before[t]?.rows ?? 0)]));
}

describe('concurrent creations of one thing', () => {
  it('20 concurrent setTarget creating the same target: one is created, 19 are CONFLICT, one target and one audit entry written', async () => {
    const before = await snapshot();
    const input = { ...target, deadline: '2019-12-30', value: 12 };
    const answers = await Promise.all(Array.from({ length: 20 }, () => hostile.server.gql(SetTargetDocument, { input }, tokens.admin)));
    const outcome = answers.map((a) => (a.errors ? String(codes(a)[0]) : 'OK'));
    expect(outcome.filter((o) => o === 'OK')).toHaveLength(1);
    expect(outcome.filter((o) => o !== 'OK')).toEqual(Array(19).fill('CONFLICT'));
    const after = await snapshot();
    const changed = grown(before, after);
    expect(changed).toMatchObject({ target: 1, audit_entry: 1 });
    // Nothing else: the target, its audit entry, and the events announcing it.
    expect(Object.keys(changed).filter((t) => !['target', 'audit_entry', 'outbox_event'].includes(t))).toEqual([]);
    await expectStillAnswers();
  });

  it('a CONFLICT from the race says what to do, and names no SQL', async () => {
    const input = { ...target, deadline: '2019-12-29', value: 12 };
    const answers = await Promise.all(Array.from({ length: 20 }, () => hostile.server.gql(SetTargetDocument, { input }, tokens.admin)));
    for (const answer of answers.filter((a) => a.errors) as GraphQLResponse<unknown>[]) {
      expect(answer.errors![0].message).toMatch(/expectedVersion/);
      expect(JSON.stringify(answer)).not.toMatch(/duplicate|unique|constraint|insert/i);
    }
  });

  it('5 concurrent imports of a file creating the same target: one SUCCESS, the others 409 with CONFLICT, nothing half-written', async () => {
    const before = await snapshot();
    const file = csv([['指标代码', '地区代码', '比较', '目标值', '截止日期'], ['P3-02', '330302', '≥', 30, '2019-12-28']]);
    const answers = await Promise.all(Array.from({ length: 5 }, () => upload(hostile.server, 'targets', file, { token: tokens.yanglao })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
    for (const refused of answers.filter((a) => a.status === 409)) {
      expect(refused.body).toMatchObject({ status: 'ERROR', written: false, conflicts: [{ row: 2, code: 'CONFLICT' }] });
    }
    expect(grown(before, await snapshot())).toMatchObject({ target: 1, audit_entry: 1 });
  });

  // Five, not twenty: each sign-up hashes its password (scrypt, 128 MiB), which is what this test does not measure.
  it('5 concurrent createUser with one username: one account, 4 CONFLICT', async () => {
    const before = await snapshot();
    const mutation = 'mutation U($input: CreateUserInput!) { createUser(input: $input) { id } }';
    const input = { username: 'concurrent', password: 'a-long-enough-password', role: 'VIEWER' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => hostile.server.call(mutation, { input }, tokens.admin)));
    expect(answers.map((a) => a.code).sort()).toEqual([...Array(4).fill('CONFLICT'), 'OK'].sort());
    expect(grown(before, await snapshot())).toMatchObject({ app_user: 1 });
  }, 180_000);
});
