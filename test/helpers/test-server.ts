import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { Client } from 'pg';
import type { DestinationStream } from 'pino';
import { createClock } from '../../src/clock';
import { loadConfig, type Config } from '../../src/config';
import { openOrm, type MikroORM } from '../../src/db/orm';
import { DEMO_DAY, DEMO_PASSWORD } from '../../src/modules/demo/demo.loader';
import type { Services } from '../../src/core/context';
import { startDuban } from '../../src/duban';
import { projectionIsCurrent } from '../../src/modules/projection/rollup.sql';
import { until } from './until';
import { LoginDocument } from '../../client/operations';

export interface GraphQLResponse<TData> {
  data?: TData | null;
  errors?: GraphQLFormattedError[];
}

export interface TestServer {
  url: string;
  /** The database this server uses (pass it as `databaseUrl` to start a second instance on it). */
  databaseUrl: string;
  wsUrl: string;
  /** Subscriptions as Server-Sent Events. */
  sseUrl: string;
  orm: MikroORM;
  services: Services;
  config: Config;
  /** Sends a typed operation over HTTP, as a client would. */
  gql<TData, TVars>(doc: TypedDocumentNode<TData, TVars>, variables?: TVars, token?: string): Promise<GraphQLResponse<TData>>;
  /** Sends an operation as text: its first error's code ('OK' without one), the data and the errors. */
  call(query: string, variables?: Record<string, unknown>, token?: string): Promise<CallResult>;
  /** The same, for what must succeed: the data, or a thrown error naming the errors. */
  ok(query: string, variables?: Record<string, unknown>, token?: string): Promise<any>;
  /** Sends a raw body (for what a typed client cannot send). */
  post(body: string, token?: string): Promise<{ status: number; json: GraphQLResponse<unknown> }>;
  /** A token for a demo account (password demo), cached per server. */
  token(username: string): Promise<string>;
  /** Moves the server's clock to another day (figures are entered as of the clock's day). */
  setToday(day: string): void;
  /**
   * Resolves once the projection has folded every fact appended (its ProgressChanged events are in
   * the outbox), the notice engine has judged them (its NoticeChanged events and notifications too)
   * and this instance's stream has read it all.
   */
  projected(): Promise<void>;
  /** For a fixture written in SQL around the services: appends the fact that the tree changed and waits for the projector's rebuild. */
  rebuildProjection(): Promise<void>;
  /** Counts the SQL statements the server sends answering the HTTP requests `work` makes (not its background loops). */
  countStatements(work: () => Promise<unknown>): Promise<number>;
  /** Every statement the server's pool sends while `work` runs (its background loops' too) that matches `pattern`, whitespace folded. */
  statementsMatching(pattern: RegExp, work: () => Promise<unknown>): Promise<string[]>;
  /** Drops every WebSocket client with this close code, as a restart would. */
  closeWebSockets(code: number, reason: string): void;
  /** Ends every Server-Sent Events stream, as a restart or a proxy would. */
  dropStreams(): void;
  /** The shared execution's groups and kept payloads. */
  sharedStats(): { groups: number; results: number };
  /** Rows in a table, for "nothing was written". */
  count(table: string): Promise<number>;
  /** The server's database as its other roles: `url` (the application role's, as `config.databaseUrl`), `ownerUrl`, `adminUrl`. */
  database: Omit<TestDatabase, 'drop'>;
  /** Runs SQL as the tables' owner (what the server's role may not do: switch a trigger off to set a test up). */
  asOwner(sql: string): Promise<void>;
  close(): Promise<void>;
}

export interface CallResult {
  code: string;
  data: any;
  errors?: GraphQLFormattedError[];
}

export interface TestServerOptions {
  /** The server's day; the demo's 2019-06-30 by default. */
  today?: string;
  env?: NodeJS.ProcessEnv;
  connectionInitWaitTimeout?: number;
  /** The server's connection pool (5 by default). */
  poolMax?: number;
  /** Where the server's JSON log lines go (LOG_LEVEL is silent unless `env` sets it). */
  logDestination?: DestinationStream;
  /** A second instance on this server's database, with its token secret (closing it leaves the database). */
  attachTo?: TestServer;
}

// The contract's Login, so that tokens come the same way with trusted documents on.
const LOGIN = print(LoginDocument);

/** A URL of `base` (a role's URL on the run's server) for `database`. */
function onDatabase(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface TestDatabase {
  /** As the application role, which the server runs as. */
  url: string;
  /** As the role that owns the tables (and runs the migrations). */
  ownerUrl: string;
  /** As the run's administrator (a superuser on the embedded PostgreSQL). */
  adminUrl: string;
  drop(): Promise<void>;
}

/** A database of its own, cloned from the run's migrated demo template; `drop()` removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.DUBAN_TEST_ADMIN_URL!;
  const template = process.env.DUBAN_TEST_TEMPLATE!;
  const database = `${template.replace(/_template$/, '')}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${database}" template "${template}" owner "${process.env.DUBAN_TEST_OWNER_ROLE}"`);
  await admin.end();
  return {
    url: onDatabase(process.env.DUBAN_TEST_APP_URL!, database),
    ownerUrl: onDatabase(process.env.DUBAN_TEST_OWNER_URL!, database),
    adminUrl: onDatabase(adminUrl, database),
    async drop() {
      const a = new Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`drop database if exists "${database}" with (force)`);
      await a.end();
    },
  };
}

/** The HTTP request a statement is sent for (one store for every test server of the process: each store is a cost on every promise). */
const answering = new AsyncLocalStorage<object>();

/** A Duban server on port 0 over a database of its own, cloned from the run's migrated demo template. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const db = options.attachTo ? { ...options.attachTo.database, drop: async () => undefined } : await createTestDatabase();
  const url = new URL(db.url);

  const secret = options.attachTo?.config.jwtSecret ?? randomBytes(32).toString('hex');
  const config = loadConfig({ NODE_ENV: 'production', DUBAN_DEMO: 'on', JWT_SECRET: secret, DATABASE_URL: url.toString(), LOG_LEVEL: 'silent', ...options.env });
  const orm = await openOrm(url.toString(), { pool: { min: 0, max: options.poolMax ?? 5 } }, { statementTimeoutMs: config.statementTimeoutMs });
  // As main.ts starts it, on the database this file cloned (already migrated, the demo in it).
  const duban = await startDuban(config, {
    database: { orm, url: url.toString() }, port: 0, host: '127.0.0.1',
    clock: createClock({ pinnedDay: options.today ?? DEMO_DAY, timeZone: config.timeZone }),
    connectionInitWaitTimeout: options.connectionInitWaitTimeout, logDestination: options.logDestination,
  }).catch(async (error: unknown) => { await orm.close(); await db.drop(); throw error; });
  const { services, events, server } = duban;
  /** The statements the server's pool sends while `work` runs that `keep` keeps, whitespace folded. */
  const statementsWhile = async (work: () => Promise<unknown>, keep: (sql: string) => boolean): Promise<string[]> => {
    const knex = orm.em.getConnection().getKnex();
    const sent: string[] = [];
    const onQuery = (q: { sql: string }) => {
      const sql = q.sql.replace(/\s+/g, ' ');
      if (keep(sql)) sent.push(sql);
    };
    knex.on('query', onQuery);
    try {
      await work();
    } finally {
      knex.removeListener('query', onQuery);
    }
    return sent;
  };
  // Marks the work of every HTTP request to this server (it runs in the context the request event starts), for countStatements.
  const marker = {};
  server.httpServer.prependListener('request', () => answering.enterWith(marker));
  const tokens = new Map<string, Promise<string>>();

  const post = async (body: string, token?: string) => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
    return { status: res.status, json: (await res.json()) as GraphQLResponse<unknown> };
  };
  const gql = async <TData, TVars>(doc: TypedDocumentNode<TData, TVars>, variables?: TVars, token?: string) =>
    (await post(JSON.stringify({ query: print(doc), variables }), token)).json as GraphQLResponse<TData>;

  const call = async (query: string, variables: Record<string, unknown> = {}, token?: string): Promise<CallResult> => {
    const { json } = await post(JSON.stringify({ query, variables }), token);
    return { code: json.errors?.length ? String(json.errors[0].extensions?.code) : 'OK', data: json.data ?? null, errors: json.errors };
  };

  const projected = async () => {
    await until(() => projectionIsCurrent(orm.em.fork()), 'the projection to fold every fact');
    await events.projector.settled();
    await duban.notices.settled();
    await events.stream.settled();
  };

  return {
    url: server.url,
    databaseUrl: db.url,
    call,
    async ok(query, variables, token) {
      const res = await call(query, variables, token);
      if (res.code !== 'OK') throw new Error(`${res.code}: ${JSON.stringify(res.errors)}`);
      return res.data;
    },
    wsUrl: server.wsUrl,
    sseUrl: server.sseUrl,
    orm,
    services,
    config,
    gql,
    post,
    token(username) {
      let token = tokens.get(username);
      if (!token) {
        token = post(JSON.stringify({ query: LOGIN, variables: { username, password: DEMO_PASSWORD } })).then(({ json }) => {
          const data = json.data as { login?: { token: string } } | null;
          if (!data?.login) throw new Error(`login ${username} failed: ${JSON.stringify(json.errors)}`);
          return data.login.token;
        });
        tokens.set(username, token);
      }
      return token;
    },
    projected,
    async rebuildProjection() {
      await orm.em.fork().getConnection().execute(`
        with s as (update outbox_sequence set last_seq = last_seq + 1, last_fact_seq = last_seq + 1 where id returning last_seq)
        insert into outbox_event (seq, type, payload, created_at) select last_seq, 'TreeChanged', '{"reason":"test fixture"}', now() from s`);
      services.events.poke();
      await projected();
    },
    setToday(day) {
      services.clock = createClock({ pinnedDay: day, timeZone: config.timeZone });
    },
    async countStatements(work) {
      // Only what answering HTTP requests sends: not the background loops that share the pool
      // (the projector, the outbox follower, the notices, the messages out), whose timers run beside any request.
      const sent = await statementsWhile(work, () => answering.getStore() === marker);
      if (process.env.DUBAN_LOG_SQL) for (const sql of sent) console.log(sql.slice(0, 160));
      return sent.length;
    },
    statementsMatching: (pattern, work) => statementsWhile(work, (sql) => pattern.test(sql)),
    closeWebSockets(code, reason) {
      server.webSockets.closeAll(code, reason);
    },
    database: { url: db.url, ownerUrl: db.ownerUrl, adminUrl: db.adminUrl },
    async asOwner(sql) {
      const owner = new Client({ connectionString: db.ownerUrl });
      await owner.connect();
      try {
        await owner.query(sql);
      } finally {
        await owner.end();
      }
    },
    sharedStats: () => server.webSockets.sharedStats(),
    dropStreams: () => server.dropStreams(),
    async count(table) {
      const rows = await orm.em.getConnection().execute(`select count(*)::int as n from "${table}"`);
      return rows[0].n as number;
    },
    async close() {
      await duban.stop();
      await orm.close();
      await db.drop();
    },
  };
}

/** The codes of a response's errors, in order. */
export function codes(response: GraphQLResponse<unknown>): unknown[] {
  return (response.errors ?? []).map((e) => e.extensions?.code);
}
