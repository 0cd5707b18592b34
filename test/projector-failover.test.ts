import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client as PgClient } from 'pg';
import { PROJECTOR_LOCK } from '../src/modules/projection/projector';
import { createTestDatabase } from './helpers/test-server';
import { until } from './helpers/until';

/**
 * Two server processes on one database; the one leading the projection is killed with SIGKILL in
 * the middle of a burst of county figures. The other takes the lock and folds on: every fact is
 * folded exactly once (the pages folded, as the ProgressChanged events name them, neither overlap
 * nor leave a fact out), and the city's board reads what its last event says. Over each bus.
 * (`npm test` builds the server first.)
 */
const main = join(__dirname, '..', 'dist', 'src', 'main.js');
const buses: [string, NodeJS.ProcessEnv | undefined][] = [
  ['postgres', {}],
  ['redis', process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : undefined],
];

interface Instance { child: ChildProcess; url: string; exited: Promise<unknown> }

function startInstance(env: NodeJS.ProcessEnv): Promise<Instance> {
  const child = spawn(process.execPath, [main], { env: { PATH: process.env.PATH, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        const http = /API \(HTTP\):\s+(\S+)/.exec(line);
        if (http) resolve({ child, url: http[1], exited });
      });
    }
    void exited.then(() => reject(new Error(`instance exited: ${lines.join('\n')}`)));
  });
}

async function gql(url: string, query: string, variables: unknown, token?: string): Promise<{ data?: any; errors?: unknown[] }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return res.json() as Promise<{ data?: any; errors?: unknown[] }>;
}

const SUBMIT = 'mutation ($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }';
const FIGURES = 'actual completion status reportedCount expectedCount';

describe.each(buses)('the projector over the %s bus', (name, busEnv) => {
  if (!busEnv) {
    it.skip('is skipped: REDIS_URL is not set (.ci/run sets it to the Redis on 127.0.0.1:6379)', () => undefined);
    beforeAll(() => console.warn(`the ${name} failover test is skipped: REDIS_URL is not set`));
    return;
  }

  it('is taken over when its instance is killed mid-burst, and every fact is folded exactly once', async () => {
    const db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, JWT_SECRET: randomBytes(24).toString('hex'), DUBAN_EVENT_POLL_MS: '200', NODE_ENV: 'production', ...busEnv };
    const instances = [await startInstance(env), await startInstance(env)];
    const pg = new PgClient({ connectionString: db.url });
    await pg.connect();
    const leaderPid = async (): Promise<number | undefined> => {
      const { rows } = await pg.query<{ application_name: string }>(`
        select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and l.objid = $1
          and l.database = (select oid from pg_database where datname = current_database())`, [PROJECTOR_LOCK]);
      return rows[0] ? Number(rows[0].application_name.split(' ')[1]) : undefined;
    };
    const current = async () => (await pg.query<{ current: boolean }>(
      'select not p.rebuild and p.last_folded >= s.last_fact_seq as current from projection_state p, outbox_sequence s')).rows[0].current;
    try {
      await until(async () => (await leaderPid()) !== undefined && await current(), 'a projector to lead and build the roll-ups');
      const pid = await leaderPid();
      const leader = instances.find((i) => i.child.pid === pid)!;
      const other = instances.find((i) => i !== leader)!;
      expect(leader).toBeDefined();
      const login = async (at: Instance) => (await gql(at.url, 'mutation { login(username: "admin", password: "demo") { token } }', {})).data.login.token as string;
      const tokens = new Map([[leader, await login(leader)], [other, await login(other)]]);
      const { rows: counties } = await pg.query<{ code: string }>("select code from region where parent_code = '330300' and level = 'COUNTY' order by code");

      // Three bursts of twelve, each county's figure on one instance or the other; the leader is
      // killed after the burst in the middle has had five answers.
      let answered = 0;
      let killed = false;
      for (let burst = 1; burst <= 3; burst++) {
        await Promise.all(counties.map(async ({ code }, i) => {
          const at = killed || i % 2 ? other : leader;
          const res = await gql(at.url, SUBMIT, { input: { indicator: 'P3-01', region: code, value: burst * 100 + i, asOf: '2019-06-30' } }, tokens.get(at)).catch(() => undefined);
          if (res && burst === 2 && !killed && ++answered === 5) {
            killed = true;
            leader.child.kill('SIGKILL');
          }
        }));
      }
      await leader.exited;
      await until(async () => (await leaderPid()) === other.child.pid, 'the other instance to take the lock');
      await until(current, 'the new leader to fold every fact');

      // The pages folded, as the derived events name them: in order, none overlapping.
      const { rows: pages } = await pg.query<{ from: string; through: string }>(`
        select distinct (payload->'folded'->>'from')::bigint as from, (payload->'folded'->>'through')::bigint as through
        from outbox_event where type = 'ProgressChanged' order by 1`);
      for (let i = 1; i < pages.length; i++) expect(BigInt(pages[i].from)).toBeGreaterThan(BigInt(pages[i - 1].through));
      // Every figure's fact lies in one of them.
      const { rows: facts } = await pg.query<{ seq: string }>("select seq from outbox_event where type = 'FigureEntered' order by seq");
      expect(facts.length).toBeGreaterThanOrEqual(24);
      const unfolded = facts.filter(({ seq }) => !pages.some((p) => BigInt(p.from) <= BigInt(seq) && BigInt(seq) <= BigInt(p.through)));
      expect(unfolded).toEqual([]);
      // One event per indicator × region per page.
      const { rows: repeated } = await pg.query(`
        select payload->'folded' as folded, region_code, payload->>'indicatorId' as indicator, count(*) from outbox_event
        where type = 'ProgressChanged' group by 1, 2, 3 having count(*) > 1`);
      expect(repeated).toEqual([]);

      // The city's board reads what its last event says, and counts every county's last figure.
      const { rows: [lastEvent] } = await pg.query<{ progress: Record<string, unknown> }>(`
        select payload->'progress' as progress from outbox_event
        where type = 'ProgressChanged' and region_code = '330300' and (payload->>'indicatorId')::int = (select id from indicator where code = 'P3-01')
        order by seq desc limit 1`);
      const fresh = (await gql(other.url, `{ indicator(code: "P3-01") { progress(region: "330300") { ${FIGURES} } } }`, {}, tokens.get(other))).data.indicator.progress;
      expect(Object.fromEntries(Object.keys(fresh).map((k) => [k, lastEvent.progress[k]]))).toEqual(fresh);
      const { rows: [{ total }] } = await pg.query<{ total: string }>(`
        select sum(v)::float as total from (select distinct on (region_code) value as v from submission
        where indicator_id = (select id from indicator where code = 'P3-01') and region_code in (select code from region where parent_code = '330300')
        order by region_code, as_of desc, id desc) x`);
      expect(fresh.actual).toBe(Number(total));
    } finally {
      await pg.end();
      for (const i of instances) i.child.kill('SIGKILL');
      await Promise.all(instances.map((i) => i.exited));
      await db.drop();
    }
  });
});
