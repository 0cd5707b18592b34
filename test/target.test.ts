import { IndicatorTargetsDocument, SetTargetDocument, TargetsDocument, type SetTargetMutationVariables } from './generated/graphql';
import { codes, startTestServer, type TestServer } from './helpers/test-server';

type Input = SetTargetMutationVariables['input'];
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

const target = (over: Partial<Input> = {}): Input => ({ indicator: 'P3-01', region: '330302', comparator: 'GTE', value: 8, deadline: '2019-10-31', ...over });

describe('setTarget', () => {
  it('changes a target only from the version it was read at, counting versions', async () => {
    const token = await server.token('admin');
    const read = await server.gql(IndicatorTargetsDocument, { code: 'P3-01', region: '330302' }, token);
    const current = read.data!.indicator.targets.find((t) => t.deadline === '2019-10-31')!;
    expect(current).toMatchObject({ version: 1, synthetic: true });

    const blind = await server.gql(SetTargetDocument, { input: target() }, token);
    expect(codes(blind)).toEqual(['CONFLICT']);
    expect(blind.errors![0].extensions).toMatchObject({ version: 1 });

    const changed = await server.gql(SetTargetDocument, { input: target({ expectedVersion: 1 }) }, token);
    expect(changed.errors).toBeUndefined();
    expect(changed.data!.setTarget).toMatchObject({ id: current.id, value: 8, version: 2, synthetic: false, region: { code: '330302' } });

    const stale = await server.gql(SetTargetDocument, { input: target({ value: 9, expectedVersion: 1 }) }, token);
    expect(codes(stale)).toEqual(['CONFLICT']);
    const after = await server.gql(IndicatorTargetsDocument, { code: 'P3-01', region: '330302' }, token);
    expect(after.data!.indicator.targets.find((t) => t.id === current.id)).toMatchObject({ value: 8, version: 2 });
  });

  it('keeps targets with different deadlines side by side', async () => {
    const token = await server.token('yanglao');
    const created = await server.gql(SetTargetDocument, { input: target({ value: 4, deadline: '2019-08-31' }) }, token);
    expect(created.errors).toBeUndefined();
    expect(created.data!.setTarget).toMatchObject({ version: 1, deadline: '2019-08-31', value: 4 });
    const read = await server.gql(IndicatorTargetsDocument, { code: 'P3-01', region: '330302' }, token);
    expect(read.data!.indicator.targets.map((t) => t.deadline)).toEqual(['2019-08-31', '2019-10-31']);
  });

  it('turns a value into a range, clearing what no longer applies', async () => {
    const token = await server.token('admin');
    const made = await server.gql(SetTargetDocument, { input: target({ indicator: 'P3-15', region: '330300', deadline: '2019-09-30', value: 4 }) }, token);
    const ranged = await server.gql(SetTargetDocument, {
      input: { indicator: 'P3-15', region: '330300', deadline: '2019-09-30', comparator: 'RANGE', min: 2, max: 4, expectedVersion: made.data!.setTarget.version },
    }, token);
    expect(ranged.data!.setTarget).toMatchObject({ comparator: 'RANGE', value: null, min: 2, max: 4, version: 2 });
  });

  it('lists targets by programme, region subtree and kind, in pages', async () => {
    const token = await server.token('screen');
    const all = await server.gql(TargetsDocument, { filter: { programme: 'P3', region: '330302' }, first: 500 }, token);
    expect(all.data!.targets.nodes.every((t) => t.indicator.code.startsWith('P3-') && t.region.code.startsWith('330302'))).toBe(true);
    const first = await server.gql(TargetsDocument, { filter: { programme: 'P3', region: '330302' }, first: 2 }, token);
    const second = await server.gql(TargetsDocument, { filter: { programme: 'P3', region: '330302' }, first: 2, after: first.data!.targets.pageInfo.endCursor }, token);
    expect([...first.data!.targets.nodes, ...second.data!.targets.nodes].map((t) => t.id)).toEqual(all.data!.targets.nodes.slice(0, 4).map((t) => t.id));
    expect(second.data!.targets.totalCount).toBe(all.data!.targets.totalCount);
  });
});

describe('a progress\'s target', () => {
  const FIELDS = 'id value min max comparator deadline synthetic note version updatedAt indicator { code } region { code }';
  it('reads as the target itself does, every field, at a region and at its children', async () => {
    const token = await server.token('screen');
    const { indicator } = await server.ok(`{ indicator(code: "P3-01") { targets(region: "330300") { ${FIELDS} }
      progress(region: "330300") { target { ${FIELDS} } children { region { code } target { ${FIELDS} } } } } }`, {}, token);
    const applies = indicator.targets.find((t: any) => t.id === indicator.progress.target.id);
    expect(indicator.progress.target).toEqual(applies);
    expect(indicator.progress.target.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    for (const child of indicator.progress.children) {
      const { indicator: own } = await server.ok(`{ indicator(code: "P3-01") { targets(region: "${child.region.code}") { ${FIELDS} } } }`, {}, token);
      expect(own.targets).toContainEqual(child.target);
    }
  });
});

describe('setTarget refuses bad input with a typed error and writes nothing', () => {
  const rows: [string, string, string, Input][] = [
    ['an unknown indicator', 'admin', 'NOT_FOUND', target({ indicator: 'P0-01' })],
    ['an unknown region', 'admin', 'NOT_FOUND', target({ region: '000000' })],
    ['a version for a target that does not exist', 'admin', 'NOT_FOUND', target({ deadline: '2019-09-15', expectedVersion: 3 })],
    ['a negative count', 'admin', 'BAD_USER_INPUT', target({ value: -5, expectedVersion: 1 })],
    ['a percentage above 100', 'admin', 'BAD_USER_INPUT', target({ indicator: 'P3-04', value: 150 })],
    ['a RANGE without max', 'admin', 'BAD_USER_INPUT', target({ comparator: 'RANGE', value: null, min: 3 })],
    ['a RANGE with min above max', 'admin', 'BAD_USER_INPUT', target({ comparator: 'RANGE', value: null, min: 5, max: 3 })],
    ['a RANGE with a value', 'admin', 'BAD_USER_INPUT', target({ comparator: 'RANGE', min: 3, max: 5 })],
    ['a GTE without a value', 'admin', 'BAD_USER_INPUT', target({ value: null })],
    ['a deadline outside the programme\'s year', 'admin', 'BAD_USER_INPUT', target({ deadline: '2020-01-15' })],
    ['a deadline that is not a date', 'admin', 'BAD_USER_INPUT', target({ deadline: '2019-13-01' })],
    ['a target below the reporting level', 'admin', 'BAD_USER_INPUT', target({ region: '330302006' })],
    ['a note of 100 kB', 'admin', 'BAD_USER_INPUT', target({ deadline: '2019-09-01', note: 'n'.repeat(100 * 1024) })],
    ['a target from a reporter', 'lucheng', 'FORBIDDEN', target({ expectedVersion: 1 })],
    ['a target from a viewer', 'screen', 'FORBIDDEN', target({ expectedVersion: 1 })],
    ['a target of a programme the department does not lead', 'yanglao', 'FORBIDDEN', target({ indicator: 'P2-03', region: '330300' })],
    ['a target without a token', '', 'UNAUTHENTICATED', target()],
  ];
  it.each(rows)('%s, as %s: %s', async (_what, username, code, input) => {
    const token = username ? await server.token(username) : undefined;
    const snapshot = async () => server.orm.em.fork().getConnection().execute('select id, version, value from target order by id');
    const before = await snapshot();
    const res = await server.gql(SetTargetDocument, { input }, token);
    expect(codes(res)).toEqual([code]);
    expect(await snapshot()).toEqual(before);
  });
});
