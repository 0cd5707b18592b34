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
});
afterAll(() => server.close());

async function boardStatements(programme: string, region: string): Promise<{ statements: number; children: number }> {
  let children = 0;
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
    } finally {
      await cached.close();
    }
  });
});

