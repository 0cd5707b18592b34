import { print } from 'graphql';
import { SubmitFiguresDocument } from './generated/graphql';
import { liveClients } from './helpers/live';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';
import { pgArray } from '../src/common/pg-array';
import { localKey } from '../src/common/node';

/**
 * submitFigures, as a client sends it over HTTP: many figures in one call, each checked and
 * permitted as submitFigure checks it, all or nothing, one fact per figure, and boards moved once
 * per indicator × region.
 */
let server: TestServer;
const live = liveClients(() => server);
beforeAll(async () => { server = await startTestServer({ poolMax: 8 }); });
afterEach(() => live.disposeAll());
afterAll(() => server.close());

const BULK = print(SubmitFiguresDocument);
const SUBMIT = 'mutation ($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }';
const FIGURES = 'actual completion expectedByNow status reportedCount expectedCount met metOf doneOn lastReportedAt target { id }';
const BOARD = `subscription ($programme: String!, $region: String!) {
  boardEvents(programme: $programme, region: $region) {
    __typename cursor
    ... on ProgressChanged { indicator { code } region { code } progress { ${FIGURES} } }
  }
}`;
const PROGRESS = `query ($indicator: String!, $region: String!) { indicator(code: $indicator) { progress(region: $region) { ${FIGURES} } } }`;

type Figure = { indicator: string; region: string; value: number; asOf: string; note?: string; idempotencyKey?: string };

let counties: string[] = [];
beforeAll(async () => {
  const data = await server.ok('{ region(code: "330300") { children(first: 50) { edges { node { code level } } } } }', {}, await server.token('admin'));
  counties = data.region.children.edges.map((e: { node: { code: string; level: string } }) => e.node).filter((n: { level: string }) => n.level === 'COUNTY').map((n: { code: string }) => n.code);
});

/** Submissions, audit entries, outbox rows and urges, leaving out what the notice engine writes on its own once the projector has folded (its notices' audit entries and events). */
async function written(): Promise<number[]> {
  await server.projected();
  const sql = server.orm.em.fork().getConnection();
  const [row] = await sql.execute<{ submission: number; audit: number; outbox: number; urge: number }[]>(`
    select (select count(*) from submission)::int as submission,
      (select count(*) from audit_entry where entity_type <> 'Notice')::int as audit,
      (select count(*) from outbox_event where type not in ('NoticeChanged', 'Notification'))::int as outbox,
      (select count(*) from urge)::int as urge`);
  return [row.submission, row.audit, row.outbox, row.urge];
}

const atCounties = (indicator: string, value: (i: number) => number): Figure[] =>
  counties.map((region, i) => ({ indicator, region, value: value(i), asOf: '2019-06-30' }));

/** The last ProgressChanged the outbox holds for the indicator at the region (what a board must have received last). */
async function lastEventSeq(indicator: string, region: string): Promise<string> {
  const [{ seq }] = await server.orm.em.fork().getConnection().execute<{ seq: string }[]>(`
    select max(seq)::text as seq from outbox_event
    where type = 'ProgressChanged' and region_code = ? and (payload->>'indicatorId')::int = (select id from indicator where code = ?)`, [region, indicator]);
  return seq;
}

describe('submitFigures: all or nothing', () => {
  it('writes every figure, returns them in order, with one audit entry and one fact each', async () => {
    const before = await written();
    const figures = atCounties('P3-09', (i) => 100 + i);
    const { code, data } = await server.call(BULK, { input: figures }, await server.token('admin'));
    expect(code).toBe('OK');
    expect(data.submitFigures.count).toBe(12);
    expect(data.submitFigures.submissions.map((s: { region: { code: string }; value: number }) => [s.region.code, s.value]))
      .toEqual(figures.map((f) => [f.region, f.value]));
    const after = await written();
    expect(after[0] - before[0]).toBe(12);
    expect(after[1] - before[1]).toBe(12);
    const ids = pgArray(data.submitFigures.submissions.map((s: { id: string }) => localKey('Submission', s.id)));
    const sql = server.orm.em.fork().getConnection();
    const [facts] = await sql.execute<{ n: number }[]>(
      `select count(*)::int as n from outbox_event where type = 'FigureEntered' and payload->>'submissionId' = any(?::text[])`, [ids]);
    expect(facts.n).toBe(12);
    const audits = await sql.execute<{ action: string; after: { value: number; status: string } }[]>(
      `select action, after from audit_entry where entity_type = 'Submission' and entity_id = any(?::text[]) order by id`, [ids]);
    expect(audits.map((a) => [a.action === 'SUBMIT' || a.action === 'CORRECT', a.after.value, a.after.status])).toEqual(figures.map((f) => [true, f.value, 'SUBMITTED']));
    // As submitFigure's entry of one figure reads.
    const one = await server.ok(SUBMIT, { input: { indicator: 'P3-12', region: '330302', value: 3, asOf: '2019-06-30' } }, await server.token('admin'));
    const [single] = await sql.execute<{ after: Record<string, unknown> }[]>(
      `select after from audit_entry where entity_type = 'Submission' and entity_id = ?`, [localKey('Submission', one.submitFigure.submission.id)]);
    expect(audits[0].after).toEqual({ ...single.after, region: figures[0].region, indicator: 'P3-09', value: figures[0].value });
    const city = (await server.ok(PROGRESS, { indicator: 'P3-09', region: '330300' }, await server.token('screen'))).indicator.progress;
    expect(city).toMatchObject({ actual: figures.reduce((s, f) => s + f.value, 0), reportedCount: 12 });
  });

  it('refuses the whole call when one row lies outside the reporter\'s region, and writes nothing', async () => {
    const before = await written();
    const { code, errors } = await server.call(BULK, { input: [
      { indicator: 'P3-01', region: '330302', value: 7, asOf: '2019-06-30' },
      { indicator: 'P3-01', region: '330303', value: 3, asOf: '2019-06-30' },
    ] }, await server.token('lucheng'));
    expect(code).toBe('FORBIDDEN');
    expect(errors![0].extensions).toMatchObject({ fields: ['[1]'], rows: [{ index: 1, code: 'FORBIDDEN' }] });
    expect(errors![0].message).toMatch(/330303/);
    expect(await written()).toEqual(before);
  });

  it('names every bad row and field (BAD_USER_INPUT), and writes nothing', async () => {
    const before = await written();
    const figures: Figure[] = [
      { indicator: 'P3-01', region: '330302', value: 7, asOf: '2019-06-30' },
      { indicator: 'P3-01', region: '330303', value: 2.5, asOf: '2019-06-30' },
      { indicator: 'P3-01', region: '330304', value: 1, asOf: '2019-07-01' },
      { indicator: 'P9-99', region: '330305', value: 1, asOf: '2019-06-30' },
      { indicator: 'P3-01', region: '330302006', value: 1, asOf: '2019-06-30' },
      { indicator: 'P3-01', region: '330302', value: 8, asOf: '2019-06-30' },
    ];
    const { code, errors } = await server.call(BULK, { input: figures }, await server.token('admin'));
    expect(code).toBe('BAD_USER_INPUT');
    expect(errors![0].extensions).toMatchObject({
      field: '[1].value',
      fields: ['[1].value', '[2].asOf', '[3].indicator', '[4].region', '[5].asOf'],
      rows: [
        { index: 1, field: 'value', code: 'BAD_USER_INPUT' },
        { index: 2, field: 'asOf', code: 'BAD_USER_INPUT' },
        { index: 3, field: 'indicator', code: 'NOT_FOUND' },
        { index: 4, field: 'region', code: 'BAD_USER_INPUT' },
        { index: 5, field: 'asOf', code: 'BAD_USER_INPUT' },
      ],
    });
    expect(errors![0].message).toMatch(/^5 of 6 figures refused; nothing was written: \[1\]\.value: value of P3-01 must be a whole number/);
    expect(await written()).toEqual(before);
  });

  it('refuses text the database cannot store in any row, naming it, before anything runs', async () => {
    const before = await written();
    const { code, errors } = await server.call(BULK, { input: [
      { indicator: 'P3-01', region: '330302', value: 7, asOf: '2019-06-30' },
      { indicator: 'P3-01', region: '330303', value: 7, asOf: '2019-06-30', note: 'a\u0000b' },
    ] }, await server.token('admin'));
    expect(code).toBe('BAD_USER_INPUT');
    expect(errors![0].extensions!.field).toBe('[1].note');
    expect(await written()).toEqual(before);
  });

  it('takes at most 5,000 figures a call (BAD_USER_INPUT with the limit), and answers an empty call with none', async () => {
    const before = await written();
    const many = Array.from({ length: 5_001 }, (_, i) => ({ indicator: 'P3-01', region: counties[i % 12], value: i, asOf: '2019-06-30' }));
    const { code, errors } = await server.call(BULK, { input: many }, await server.token('admin'));
    expect(code).toBe('BAD_USER_INPUT');
    expect(errors![0].extensions).toMatchObject({ field: 'input', max: 5_000 });
    expect(await written()).toEqual(before);
    const empty = await server.call(BULK, { input: [] }, await server.token('admin'));
    expect(empty).toMatchObject({ code: 'OK', data: { submitFigures: { count: 0, submissions: [] } } });
  });

  it('returns the first submissions for idempotency keys sent again, and refuses a key reused for another figure', async () => {
    const admin = await server.token('admin');
    const figures = atCounties('P3-10', (i) => 10 + i).slice(0, 3).map((f, i) => ({ ...f, idempotencyKey: `bulk-p3-10-${i}` }));
    const first = await server.ok(BULK, { input: figures }, admin);
    expect(first.submitFigures.count).toBe(3);
    const before = await written();
    const again = await server.ok(BULK, { input: figures }, admin);
    expect(again.submitFigures.count).toBe(0);
    expect(again.submitFigures.submissions.map((s: { id: string }) => s.id)).toEqual(first.submitFigures.submissions.map((s: { id: string }) => s.id));
    expect(await written()).toEqual(before);
    const changed = await server.call(BULK, { input: [figures[0], { ...figures[1], value: 999 }] }, admin);
    expect(changed.code).toBe('CONFLICT');
    expect(changed.errors![0].extensions).toMatchObject({ fields: ['[1].idempotencyKey'] });
    expect(await written()).toEqual(before);
  });

  it('answers the urges its figures meet, as submitFigure does', async () => {
    const { urge } = await server.ok('mutation($input: UrgeInput!) { urge(input: $input) { id } }',
      { input: { indicator: 'P3-11', region: '330302', dueOn: '2019-07-05' } }, await server.token('leader'));
    const OPEN = 'query($p: String!, $r: String!) { urges(programme: $p, region: $r) { id } }';
    expect((await server.ok(OPEN, { p: 'P3', r: '330300' }, await server.token('screen'))).urges).toContainEqual({ id: urge.id });
    await server.ok(BULK, { input: atCounties('P3-11', (i) => i + 1) }, await server.token('admin'));
    const open = await server.ok('query($p: String!, $r: String!) { urges(programme: $p, region: $r) { id } }', { p: 'P3', r: '330300' }, await server.token('screen'));
    expect(open.urges.map((u: { id: string }) => u.id)).not.toContain(urge.id);
  });
});

describe('submitFigures on a live board', () => {
  it('moves the board once per indicator and region the call moved, with the figures after the whole call', async () => {
    const got = live.watch(await server.token('screen'), BOARD, { programme: 'P3', region: '330300' });
    await until(() => server.services.events.listenerCount === 1, 'the board to subscribe');
    const figures = atCounties('P3-08', (i) => 1000 + i);
    await server.ok(BULK, { input: figures }, await server.token('admin'));
    await server.projected();
    const seq = await lastEventSeq('P3-08', '330300');
    await until(() => got.some((d) => d.boardEvents.cursor === seq), `the board to receive event ${seq}`);
    const moved = got.map((d) => d.boardEvents).filter((e) => e.__typename === 'ProgressChanged' && e.indicator.code === 'P3-08');
    expect(moved.map((e) => e.region.code).sort()).toEqual([...counties, '330300'].sort());
    expect(moved.find((e) => e.region.code === '330300').progress.actual).toBe(figures.reduce((s, f) => s + f.value, 0));
  });

  it('two bulk calls and a submitFigure at once on the same regions: the board\'s last event equals a fresh query', async () => {
    const screen = await server.token('screen');
    const got = live.watch(screen, BOARD, { programme: 'P3', region: '330300' });
    await until(() => server.services.events.listenerCount === 1, 'the board to subscribe');
    const [admin, yanglao, lucheng] = await Promise.all(['admin', 'yanglao', 'lucheng'].map((u) => server.token(u)));
    for (let burst = 1; burst <= 3; burst++) {
      const answers = await Promise.all([
        server.call(BULK, { input: atCounties('P3-01', (i) => burst * 100 + i) }, admin),
        server.call(BULK, { input: atCounties('P3-01', (i) => burst * 100 + 50 + i) }, yanglao),
        server.call(SUBMIT, { input: { indicator: 'P3-01', region: '330302', value: burst * 100 + 99, asOf: '2019-06-30' } }, lucheng),
      ]);
      expect(answers.map((a) => a.code)).toEqual(['OK', 'OK', 'OK']);
      await server.projected();
      const seq = await lastEventSeq('P3-01', '330300');
      await until(() => got.some((d) => d.boardEvents.cursor === seq), `the board to receive event ${seq}`);
      const last = got.map((d) => d.boardEvents).filter((e) => e.__typename === 'ProgressChanged' && e.indicator.code === 'P3-01' && e.region.code === '330300').at(-1);
      const fresh = (await server.ok(PROGRESS, { indicator: 'P3-01', region: '330300' }, screen)).indicator.progress;
      expect(last.progress).toEqual(fresh);
      expect(fresh.reportedCount).toBe(12);
      // Whichever write committed last for each county is its figure: the city adds up those.
      const [{ total }] = await server.orm.em.fork().getConnection().execute<{ total: string }[]>(`
        select sum(l.value)::text as total from region r cross join lateral (
          select s.value from submission s where s.indicator_id = (select id from indicator where code = 'P3-01') and s.region_code = r.code
          order by s.as_of desc, s.id desc limit 1) l
        where r.parent_code = '330300' and r.level = 'COUNTY'`);
      expect(fresh.actual).toBe(Number(total));
    }
  });
});
