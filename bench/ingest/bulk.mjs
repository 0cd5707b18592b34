/**
 * Part 4 of the ingestion benchmark: 100,000 figures of the national programme (10,000 townships ×
 * 10 indicators, as of 2019-06-30) written to a CSV file, then loaded, in the same run, by COPY
 * (pg-copy-streams) from the file; by a simple bulk function (multi-row INSERT, 1,000 rows a
 * statement, one transaction, no checks, no events); and by Duban's bulk path, `submitFigures`
 * over HTTP as a client sends it (BENCH_INGEST_BULK_BATCH figures a call, BENCH_INGEST_BULK_CONCURRENCY
 * calls at a time, as admin): every row checked and permitted as submitFigure checks it, its audit
 * entry, one fact per figure. Then the time the projector takes to fold those facts, and the board
 * events they caused: one ProgressChanged per indicator × region moved in a page of facts.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';

export const BULK_ROWS = 100_000;
const BULK = 'mutation SubmitFigures($input: [SubmitFigureInput!]!) { submitFigures(input: $input) { count } }';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The outbox's last sequence, and whether the projection has folded every fact appended. */
async function outboxState(pool) {
  const { rows: [row] } = await pool.query(`
    select s.last_seq::text as last_seq, not p.rebuild and p.last_folded >= s.last_fact_seq as current
    from outbox_sequence s, projection_state p where s.id and p.id`);
  return row;
}

/** What the projector appended for the facts after `afterSeq`: its ProgressChanged events, per page of facts. */
async function boardEvents(pool, afterSeq) {
  const { rows: [r] } = await pool.query(`
    with e as (
      select payload->>'indicatorId' as indicator, payload->>'regionCode' as region, payload->'folded'->>'through' as page
      from outbox_event where seq > $1 and type = 'ProgressChanged'
    ), per as (select page, indicator, region, count(*) as n from e group by 1, 2, 3)
    select (select count(*) from outbox_event where seq > $1 and type = 'FigureEntered')::int as facts,
      (select count(*) from e)::int as events,
      (select count(distinct page) from e)::int as pages,
      (select count(*) from (select distinct indicator, region from e) k)::int as "keysMoved",
      (select coalesce(max(n), 0) from per)::int as "maxEventsPerKeyPerPage",
      (select count(distinct region) from e)::int as "regionsMoved"`, [afterSeq]);
  return r;
}

/** The file, and the three ways of loading it. */
export async function measureBulk({ pool, api, adminToken, post, log, settings }) {
  const dir = await mkdtemp(join(tmpdir(), 'duban-ingest-'));
  try {
    const file = join(dir, 'figures.csv');
    const { rows: indicators } = await pool.query(`select i.id, i.code from indicator i join programme p on p.id = i.programme_id where p.code = 'NAT' order by i.position`);
    const { rows: townships } = await pool.query(`select code from region where level = 'TOWNSHIP' order by code limit $1`, [BULK_ROWS / indicators.length]);
    const lines = ['indicator,region,value,asOf'];
    let k = 0;
    for (const t of townships) for (const ind of indicators) lines.push(`${ind.code},${t.code},${(k++ * 7919) % 97},2019-06-30`);
    await writeFile(file, `${lines.join('\n')}\n`);
    const ids = new Map(indicators.map((i) => [i.code, i.id]));
    const { rows: [{ id: adminId }] } = await pool.query(`select id from app_user where username = 'admin'`);
    const readRows = async function* () {
      const input = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      let header = true;
      for await (const line of input) {
        if (header) { header = false; continue; }
        if (!line) continue;
        const [indicator, region, value, asOf] = line.split(',');
        yield { indicatorId: ids.get(indicator), indicator, region, value: Number(value), asOf };
      }
    };
    // Submissions are append-only (the database refuses a delete): each way appends the rows again.
    const written = async () => (await pool.query(`select count(*)::int as n from submission where as_of = '2019-06-30' and indicator_id = any($1::int[])`, [indicators.map((i) => i.id)])).rows[0].n;

    // The projector's first build of the national roll-ups (at Duban's start) is over before anything is timed.
    while (!(await outboxState(pool)).current) await sleep(100);
    log('bulk: COPY from the file');
    let t = performance.now();
    const client = await pool.connect();
    try {
      const source = (async function* () {
        let batch = '';
        for await (const r of readRows()) {
          batch += `${r.indicatorId}\t${r.region}\t${r.value}\t${r.asOf}\tSUBMITTED\t${adminId}\t2019-06-30 18:00:00+08\n`;
          if (batch.length > 65536) { yield batch; batch = ''; }
        }
        if (batch) yield batch;
      })();
      await pipeline(source, client.query(copyStreams.from('copy submission (indicator_id, region_code, value, as_of, status, submitted_by_id, submitted_at) from stdin')));
    } finally {
      client.release();
    }
    const copyMs = performance.now() - t;

    log('bulk: multi-row INSERT, 1,000 rows a statement, one transaction');
    t = performance.now();
    const tx = await pool.connect();
    try {
      await tx.query('begin');
      let batch = [];
      const flush = async () => {
        if (!batch.length) return;
        const params = [];
        const tuples = batch.map((r, i) => {
          params.push(r.indicatorId, r.region, r.value, r.asOf);
          return `($${4 * i + 1}::int, $${4 * i + 2}, $${4 * i + 3}::numeric, $${4 * i + 4}::date, 'SUBMITTED'::submission_status, ${adminId}, now())`;
        });
        await tx.query(`insert into submission (indicator_id, region_code, value, as_of, status, submitted_by_id, submitted_at) values ${tuples.join(',')}`, params);
        batch = [];
      };
      for await (const r of readRows()) {
        batch.push(r);
        if (batch.length === 1000) await flush();
      }
      await flush();
      await tx.query('commit');
    } catch (error) {
      await tx.query('rollback');
      throw error;
    } finally {
      tx.release();
    }
    const insertMs = performance.now() - t;

    log(`bulk: submitFigures over HTTP, ${settings.bulkBatch} figures a call, ${settings.bulkConcurrency} calls at a time`);
    const calls = [];
    let call = [];
    for await (const r of readRows()) {
      call.push({ indicator: r.indicator, region: r.region, value: r.value, asOf: r.asOf });
      if (call.length === settings.bulkBatch) { calls.push(call); call = []; }
    }
    if (call.length) calls.push(call);
    const before = await written();
    const { last_seq: seqBefore } = await outboxState(pool);
    t = performance.now();
    let next = 0;
    let counted = 0;
    const worker = async () => {
      while (next < calls.length) {
        const input = calls[next++];
        const { submitFigures } = await post(api.url, { query: BULK, variables: { input } }, { authorization: `Bearer ${adminToken}` });
        counted += submitFigures.count;
      }
    };
    await Promise.all(Array.from({ length: settings.bulkConcurrency }, worker));
    const apiMs = performance.now() - t;
    const apiWritten = (await written()) - before;
    log(`bulk: ${apiWritten} figures written in ${Math.round(apiMs)} ms; waiting for the projector`);
    while (!(await outboxState(pool)).current) await sleep(50);
    const projectedMs = performance.now() - t;
    const events = await boardEvents(pool, seqBefore);

    const perSecond = (rows, ms) => Math.round(rows / (ms / 1000));
    const summary = {
      rows: lines.length - 1,
      copy: { ms: Math.round(copyMs), rowsPerSecond: perSecond(BULK_ROWS, copyMs) },
      multiRowInsert: { ms: Math.round(insertMs), rowsPerSecond: perSecond(BULK_ROWS, insertMs), overCopy: insertMs / copyMs },
      submitFigures: {
        calls: calls.length, figuresPerCall: settings.bulkBatch, concurrency: settings.bulkConcurrency, count: counted, written: apiWritten,
        ms: Math.round(apiMs), rowsPerSecond: perSecond(apiWritten, apiMs), rateOverCopy: (apiWritten / apiMs) / (BULK_ROWS / copyMs),
        projectedMs: Math.round(projectedMs), rowsPerSecondProjected: perSecond(apiWritten, projectedMs),
      },
      boardEvents: events,
    };
    log(`bulk: ${JSON.stringify(summary)}`);
    return { summary };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
