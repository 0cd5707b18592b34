import { Client } from 'pg';
import { startTestServer, type TestServer } from './helpers/test-server';

/** The audit trail: every write leaves an entry; entries cannot be changed or deleted, by anyone. */
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

const SUBMIT = 'mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }';
const REVIEW = 'mutation($input: ReviewSubmissionInput!) { reviewSubmission(input: $input) { id status } }';
const TRAIL = `query($f: AuditFilter, $first: Int, $after: String) {
  auditEntries(filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    nodes { action entityType entityId indicatorCode regionCode at actor { username } before after } } }`;

describe('the audit trail of a figure', () => {
  it('shows who entered, corrected, returned and approved it, and when, newest first', async () => {
    const lucheng = await server.token('lucheng');
    const yanglao = await server.token('yanglao');
    const input = { indicator: 'P3-02', region: '330302', asOf: '2019-06-20' };
    const first = (await server.ok(SUBMIT, { input: { ...input, value: 40 } }, lucheng)).submitFigure.submission.id;
    await server.ok(REVIEW, { input: { submission: first, decision: 'RETURNED', note: '与台账不符' } }, yanglao);
    const second = (await server.ok(SUBMIT, { input: { ...input, value: 38, note: '更正' } }, lucheng)).submitFigure.submission.id;
    await server.ok(REVIEW, { input: { submission: second, decision: 'APPROVED' } }, yanglao);

    const admin = await server.token('admin');
    const { auditEntries } = await server.ok(TRAIL, { f: { indicator: 'P3-02', region: '330302' } }, admin);
    expect(auditEntries.nodes.map((e: any) => [e.action, e.entityId, e.actor.username])).toEqual([
      ['APPROVE', second, 'yanglao'],
      ['CORRECT', second, 'lucheng'],
      ['RETURN', first, 'yanglao'],
      ['SUBMIT', first, 'lucheng'],
    ]);
    const [approve, correct, ret, submit] = auditEntries.nodes;
    expect(submit.after).toMatchObject({ value: 40, status: 'SUBMITTED', indicator: expect.anything(), region: '330302', submittedBy: expect.anything() });
    expect(ret.before).toMatchObject({ status: 'SUBMITTED' });
    expect(ret.after).toMatchObject({ status: 'RETURNED', reviewNote: '与台账不符' });
    expect(correct.after).toMatchObject({ value: 38, note: '更正' });
    expect(approve.after).toMatchObject({ status: 'APPROVED' });
    const times = auditEntries.nodes.map((e: any) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('is queryable by entity, actor and time, a page at a time', async () => {
    const admin = await server.token('admin');
    await server.ok('mutation($input: SetTargetInput!) { setTarget(input: $input) { id } }',
      { input: { indicator: 'P3-02', region: '330302', comparator: 'GTE', value: 60, deadline: '2019-11-30' } }, admin);
    const byActor = (await server.ok(TRAIL, { f: { actor: 'admin' } }, admin)).auditEntries;
    expect(byActor.nodes.map((e: any) => e.action)).toEqual(['SET_TARGET']);
    expect(byActor.nodes[0]).toMatchObject({ entityType: 'Target', before: null, after: { comparator: 'GTE', value: 60, deadline: '2019-11-30' } });

    const byEntity = (await server.ok(TRAIL, { f: { entityType: 'Target', entityId: byActor.nodes[0].entityId } }, admin)).auditEntries;
    expect(byEntity.totalCount).toBe(1);

    const all = (await server.ok(TRAIL, { first: 500 }, admin)).auditEntries;
    const page1 = (await server.ok(TRAIL, { first: 2 }, admin)).auditEntries;
    const page2 = (await server.ok(TRAIL, { first: 2, after: page1.pageInfo.endCursor }, admin)).auditEntries;
    expect([...page1.nodes, ...page2.nodes]).toEqual(all.nodes.slice(0, 4));
    expect(page1.totalCount).toBe(all.totalCount);

    const future = (await server.ok(TRAIL, { f: { from: '2100-01-01T00:00:00Z' } }, admin)).auditEntries;
    expect(future.totalCount).toBe(0);
    const past = (await server.ok(TRAIL, { f: { to: '2000-01-01T00:00:00Z' } }, admin)).auditEntries;
    expect(past.totalCount).toBe(0);
  });

  it('refuses a time range that ends before it begins, and a foreign cursor', async () => {
    const admin = await server.token('admin');
    const { json } = await server.post(JSON.stringify({ query: TRAIL, variables: { f: { from: '2019-07-01T00:00:00Z', to: '2019-06-01T00:00:00Z' } } }), admin);
    expect(json.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
    const bad = await server.post(JSON.stringify({ query: TRAIL, variables: { after: 'bm90IGEgY3Vyc29y' } }), admin);
    expect(bad.json.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('entries cannot be changed or deleted', () => {
  // The server's own role may not even try (it has no such privilege); the tables' owner, which
  // has, is stopped by the trigger. Switching the trigger off: test/database-roles.test.ts.
  it.each([
    ['an update', `update audit_entry set action = 'FORGED'`],
    ['a delete', 'delete from audit_entry'],
    ['a truncate', 'truncate audit_entry'],
  ].flatMap(([what, sql]) => [
    [what, 'the application\'s own connection', sql, /permission denied for table audit_entry/],
    [what, 'the tables\' owner', sql, /audit entries cannot be changed or deleted/],
  ]))('the database refuses %s, from %s', async (_what, who, sql, refusal) => {
    const before = await server.count('audit_entry');
    expect(before).toBeGreaterThan(0);
    const db = new Client({ connectionString: who === 'the tables\' owner' ? server.database.ownerUrl : server.config.databaseUrl });
    await db.connect();
    try {
      await expect(db.query(sql as string)).rejects.toThrow(refusal as RegExp);
    } finally {
      await db.end();
    }
    expect(await server.count('audit_entry')).toBe(before);
    const [{ n }] = await server.orm.em.getConnection().execute(`select count(*)::int as n from audit_entry where action = 'FORGED'`);
    expect(n).toBe(0);
  });

  it('the API has no way to change or delete one', async () => {
    const { json } = await server.post(JSON.stringify({ query: '{ __schema { mutationType { fields { name } } } }' }), await server.token('admin'));
    const names = (json.data as any).__schema.mutationType.fields.map((f: { name: string }) => f.name);
    expect(names.filter((n: string) => /audit/i.test(n))).toEqual([]);
  });
});
