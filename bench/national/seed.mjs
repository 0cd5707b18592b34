/**
 * The national programme: synthetic and deterministic (a seeded generator, townships in code
 * order). Programme `NAT` (2019) of 10 indicators reported by every township of the country; one
 * figure per township and indicator (41k × 10 = ~413k submissions), and a target for the year at
 * the nation, every province and every city. Loaded with COPY.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';

export const NATIONAL_PROGRAMME = 'NAT';
export const NATION = '000000';

/** The ten indicators: how each rolls up. All are reported by townships. */
const INDICATORS = [
  ['NAT-01', '新增养老服务床位', 'COUNT', '张', 'SUM'],
  ['NAT-02', '社区居家养老服务照料中心', 'COUNT', '个', 'SUM'],
  ['NAT-03', '困难群众救助金发放', 'AMOUNT', '万元', 'SUM'],
  ['NAT-04', '新建儿童之家', 'COUNT', '个', 'SUM'],
  ['NAT-05', '婚姻登记预约办理', 'COUNT', '件', 'SUM'],
  ['NAT-06', '社会组织年检', 'COUNT', '家', 'SUM'],
  ['NAT-07', '殡葬设施改造', 'COUNT', '处', 'SUM'],
  ['NAT-08', '村（社区）服务站覆盖', 'COUNT', '个', 'SUM'],
  ['NAT-09', '最低生活保障平均标准', 'AMOUNT', '元', 'AVERAGE'],
  ['NAT-10', '地名标志设置', 'COUNT', '块', 'SUM'],
];

/** mulberry32: a small, fast, seeded generator; the same seed gives the same programme. */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function copyRows(client, sql, rows) {
  await pipeline(Readable.from(rows), client.query(copyStreams.from(sql)));
}

/**
 * Creates the programme and loads its figures and targets. Returns counts and the time of each part.
 * @param {import('pg').Client} client
 */
export async function seedNationalProgramme(client, { seed = 20190630 } = {}) {
  const started = performance.now();
  const random = generator(seed);
  await client.query('begin');
  try {
    const { rows: [{ id: departmentId }] } = await client.query(`insert into department (name) values ('民政部督办司') returning id`);
    const { rows: [{ id: programmeId }] } = await client.query(`
      insert into programme (code, name, gloss, year, starts_on, ends_on, lead_department_id)
      values ($1, '全国民政重点工作', 'synthetic national programme', 2019, '2019-01-01', '2019-12-31', $2) returning id`, [NATIONAL_PROGRAMME, departmentId]);
    const indicatorIds = [];
    for (const [i, [code, name, kind, unit, aggregation]] of INDICATORS.entries()) {
      const { rows: [{ id }] } = await client.query(`
        insert into indicator (code, programme_id, name, kind, unit, direction, aggregation, scope, reporting_level, decimals, position)
        values ($1, $2, $3, $4, $5, 'UP', $6, 'CITY', 'TOWNSHIP', 0, $7) returning id`, [code, programmeId, name, kind, unit, aggregation, i]);
      indicatorIds.push({ id, aggregation });
    }
    const { rows: [{ id: adminId }] } = await client.query(`select id from app_user where username = 'admin'`);
    const { rows: townships } = await client.query(`select code, path from region where level = 'TOWNSHIP' order by code`);

    // One figure per township and indicator, as of a day of June 2019, entered that evening.
    const sums = new Map(); // `${indicator}|${region}` -> [sum, count] at nation, province, city
    const add = (key, value) => { const s = sums.get(key) ?? [0, 0]; s[0] += value; s[1] += 1; sums.set(key, s); };
    const lines = [];
    for (const t of townships) {
      const above = t.path.split('/').filter(Boolean).slice(0, 3); // nation, province, city
      for (const ind of indicatorIds) {
        const value = ind.aggregation === 'AVERAGE' ? 500 + Math.floor(random() * 400) : Math.floor(random() * 60);
        const day = 1 + Math.floor(random() * 30);
        const asOf = `2019-06-${String(day).padStart(2, '0')}`;
        lines.push(`${ind.id}\t${t.code}\t${value}\t${asOf}\tAPPROVED\t${adminId}\t${asOf} 18:00:00+08\tt\n`);
        for (const code of above) add(`${ind.id}|${code}`, value);
      }
    }
    const seeded = performance.now();
    await copyRows(client, 'copy submission (indicator_id, region_code, value, as_of, status, submitted_by_id, submitted_at, synthetic) from stdin',
      batches(lines));
    const copied = performance.now();
    // Targets for the year: what was reported by June, times 1.6 to 2.4 (so some are behind, some on track).
    const targets = [];
    for (const [key, [sum, count]] of sums) {
      const [indicatorId, region] = key.split('|');
      const aggregation = indicatorIds.find((i) => String(i.id) === indicatorId).aggregation;
      const value = aggregation === 'AVERAGE' ? Math.round((sum / count) * 1.1) : Math.round(sum * (1.6 + random() * 0.8));
      targets.push(`${indicatorId}\t${region}\t${value}\tGTE\t2019-12-31\tt\t2019-01-01 00:00:00+08\n`);
    }
    await copyRows(client, 'copy target (indicator_id, region_code, value, comparator, deadline, synthetic, updated_at) from stdin', batches(targets));
    await client.query('commit');
    await client.query('analyze');
    return {
      townships: townships.length, indicators: indicatorIds.length, submissions: lines.length, targets: targets.length,
      ms: { generate: Math.round(seeded - started), copySubmissions: Math.round(copied - seeded), total: Math.round(performance.now() - started) },
    };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}

/** Lines joined into chunks of ~64 KB for the COPY stream. */
function* batches(lines) {
  let chunk = '';
  for (const line of lines) {
    chunk += line;
    if (chunk.length >= 65536) { yield chunk; chunk = ''; }
  }
  if (chunk) yield chunk;
}
