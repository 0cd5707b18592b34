import { randomBytes } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { Client } from 'pg';
import type { DestinationStream } from 'pino';
import { createClock } from '../../src/clock';
import { loadConfig, type Config } from '../../src/config';
import { openOrm, type MikroORM } from '../../src/db/orm';
import { startEvents, type Events } from '../../src/modules/events/events';
import { DEMO_DAY, DEMO_PASSWORD } from '../../src/modules/demo/demo.loader';
import type { Services } from '../../src/server/context';
import { startHttpServer } from '../../src/server/http';
import { LoginDocument } from '../../client/operations';

export interface GraphQLResponse<TData> {
  data?: TData | null;
  errors?: GraphQLFormattedError[];
}

export interface TestServer {
  url: string;
  wsUrl: string;
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
  /** Counts the SQL statements `work` sends. */
  countStatements(work: () => Promise<unknown>): Promise<number>;
  /** Drops every WebSocket client with this close code, as a restart would. */
  closeWebSockets(code: number, reason: string): void;
  /** Rows in a table, for "nothing was written". */
  count(table: string): Promise<number>;
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
}

// The contract's Login, so that tokens come the same way with trusted documents on.
const LOGIN = print(LoginDocument);

/** A database of its own, cloned from the run's migrated demo template; `drop()` removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.DUBAN_TEST_ADMIN_URL!;
  const template = process.env.DUBAN_TEST_TEMPLATE!;
  const database = `${template.replace(/_template$/, '')}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${database}" template "${template}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return {
    url: url.toString(),
    async drop() {
      const a = new Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`drop database if exists "${database}" with (force)`);
      await a.end();
    },
  };
}

/** A Duban server on port 0 over a database of its own, cloned from the run's migrated demo template. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const db = await createTestDatabase();
  const url = new URL(db.url);

  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: randomBytes(32).toString('hex'), DATABASE_URL: url.toString(), LOG_LEVEL: 'silent', ...options.env });
  const orm = await openOrm(url.toString(), { pool: { min: 0, max: options.poolMax ?? 5 } });
  const clock = createClock({ pinnedDay: options.today ?? DEMO_DAY, timeZone: config.timeZone });
  const services = { em: orm.em, clock, config } as Services;
  const events: Events = await startEvents(orm.em, config, url.toString(), () => services.clock.now());
  services.events = events.stream;
  const server = await startHttpServer(services, { port: 0, host: '127.0.0.1', connectionInitWaitTimeout: options.connectionInitWaitTimeout, logDestination: options.logDestination });
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

  return {
    url: server.url,
    call,
    async ok(query, variables, token) {
      const res = await call(query, variables, token);
      if (res.code !== 'OK') throw new Error(`${res.code}: ${JSON.stringify(res.errors)}`);
      return res.data;
    },
    wsUrl: server.wsUrl,
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
    setToday(day) {
      services.clock = createClock({ pinnedDay: day, timeZone: config.timeZone });
    },
    async countStatements(work) {
      const knex = orm.em.getConnection().getKnex();
      let statements = 0;
      const onQuery = (q: { sql: string }) => { statements += 1; if (process.env.DUBAN_LOG_SQL) console.log(q.sql.replace(/\s+/g, ' ').slice(0, 160)); };
      knex.on('query', onQuery);
      try {
        await work();
      } finally {
        knex.removeListener('query', onQuery);
      }
      return statements;
    },
    closeWebSockets(code, reason) {
      server.webSockets.closeAll(code, reason);
    },
    async count(table) {
      const rows = await orm.em.getConnection().execute(`select count(*)::int as n from "${table}"`);
      return rows[0].n as number;
    },
    async close() {
      events.stream.beginClosing();
      await server.stop();
      await events.stop();
      await orm.close();
      await db.drop();
    },
  };
}

/** The codes of a response's errors, in order. */
export function codes(response: GraphQLResponse<unknown>): unknown[] {
  return (response.errors ?? []).map((e) => e.extensions?.code);
}
