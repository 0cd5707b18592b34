import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

/** Everything Duban reads from the environment, read once and validated at start-up. */
export interface Config {
  /** `production` masks unknown errors; `development` shows their message and stack. */
  env: 'production' | 'development' | 'test';
  port: number;
  host: string;
  /** An external PostgreSQL; when absent, an embedded one is started in `dataDir`. */
  databaseUrl?: string;
  /** With DATABASE_URL: the tables' owner, which runs the migrations (DATABASE_URL then only uses them). */
  databaseMigrationUrl?: string;
  redisUrl?: string;
  jwtSecret: string;
  /** False when no JWT_SECRET was given and `jwtSecret` was made up for this process. */
  jwtSecretGiven: boolean;
  /** Lifetime of a login token, in seconds. */
  jwtTtlSeconds: number;
  /** Pins the server's clock to a day (`YYYY-MM-DD`); the demo reads as of 2019-06-30. */
  now?: string;
  /**
   * Load the Wenzhou demo into an empty database, and pin the clock to its date. Default: on the
   * embedded database only; off with `DATABASE_URL` or an explicit `NODE_ENV=production`.
   */
  demo: boolean;
  /** Where the embedded PostgreSQL keeps its files. */
  dataDir: string;
  /** The time zone in which a day (an as-of date, "today") starts and ends. */
  timeZone: string;
  /** How long the outbox keeps events for clients to resume from, in hours. */
  eventRetentionHours: number;
  /** How often an instance reads the outbox without an announcement, in ms. */
  eventPollMs: number;
  /** Messages out (DingTalk, WeCom, webhooks); see `src/modules/channel/delivery.sender.ts`. */
  delivery: DeliveryConfig;
  /** Subscriptions one WebSocket may hold at once. */
  wsMaxSubscriptions: number;
  /** Events queued for one subscriber that does not keep up before it is cut off. */
  wsMaxQueuedEvents: number;
  /** Outbox pages read at once by replaying subscriptions (`after:`), across the instance. */
  maxReplays: number;
  /** PostgreSQL's statement_timeout on every connection of the server, in ms (0: none). */
  statementTimeoutMs: number;
  /** Board responses kept until the next write (0: off). */
  figuresCacheEntries: number;
  /** Failed sign-ins for one username, within the window, before it is refused for the window. */
  loginMaxFailuresPerUser: number;
  /** Failed sign-ins from one address, within the window, before it is refused for the window. */
  loginMaxFailuresPerAddress: number;
  loginWindowMinutes: number;
  /** The JSON logs' level (pino): fatal, error, warn, info, debug, trace or silent. */
  logLevel: LogLevel;
  /** Limits on one request; see `src/server/limits.ts`. */
  limits: Limits;
  /** Answer introspection queries (`__schema`, `__type`). */
  introspection: boolean;
  /** Serve the GraphiQL playground at `/` and `/playground`. */
  playground: boolean;
  /** Accept from callers other than ADMIN only the operations of the manifest (client/persisted-documents.json). */
  trustedDocuments: boolean;
}

/** What one request may ask for, on HTTP and WebSocket alike. */
export interface Limits {
  /** Nesting of selections, fragments counted. */
  maxDepth: number;
  /** Aliased fields in one operation. */
  maxAliases: number;
  /** Lexical tokens in one document; a longer one is not parsed at all. */
  maxTokens: number;
  /** graphql-armor's cost: objects cost 2, scalars 1, times 1.5 per level, times a literal `first`. */
  maxCost: number;
  /** An HTTP request body and a WebSocket message, in bytes. */
  maxBodyBytes: number;
  /**
   * What the progress fields make PostgreSQL read, estimated before anything runs: figures per
   * reporter (days) times the reporters below, from the tree's level counts; see `src/server/read-cost.ts`.
   */
  maxReadCost: number;
  /** Operations one user may have running at once (HTTP and WebSocket together); past it RATE_LIMITED. */
  maxInFlightPerUser: number;
}

/** How messages go out to the channels. */
export interface DeliveryConfig {
  /**
   * The safety poll, in ms: how often the outbox cursor and the delivery queue are read without a
   * cue, for deliveries another instance made or put back and did not send. Otherwise the outbox is
   * read when events are announced, and the queue when deliveries are made or a retry falls due; an
   * idle instance reads neither.
   */
  pollMs: number;
  /** One attempt's time limit, in ms. */
  timeoutMs: number;
  /** Attempts before a delivery is FAILED. */
  maxAttempts: number;
  /** The wait after the first failure, in ms, doubled after each. */
  backoffMs: number;
  /** Attempts in flight at once, per instance. */
  concurrency: number;
  /** Days a sent or failed delivery is kept (for `deliveries`), then deleted; pending ones stay. */
  retentionDays: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isIsoDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  }
  return n;
}

function flag(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|on|yes)$/i.test(raw)) return true;
  if (/^(0|false|off|no)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be on or off, not "${raw}"`);
}

function url(name: string, raw: string | undefined, protocols: string[]): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw;
}

export interface LoadConfigOptions {
  /**
   * False for a command that signs and checks no token (an import): JWT_SECRET is then not
   * required, and the secret is one of this process, which nothing uses.
   */
  signsTokens?: boolean;
}

/** Reads and validates the environment; throws a ConfigError that names the variable at fault. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  const nodeEnv = env.NODE_ENV ?? 'production';
  if (nodeEnv !== 'production' && nodeEnv !== 'development' && nodeEnv !== 'test') {
    throw new ConfigError(`NODE_ENV must be production, development or test, not "${nodeEnv}"`);
  }
  const now = env.DUBAN_NOW || undefined;
  if (now !== undefined && !isIsoDate(now)) {
    throw new ConfigError(`DUBAN_NOW must be a date as YYYY-MM-DD, not "${now}"`);
  }
  const databaseUrl = url('DATABASE_URL', env.DATABASE_URL, ['postgres:', 'postgresql:']);
  const databaseMigrationUrl = url('DATABASE_MIGRATION_URL', env.DATABASE_MIGRATION_URL, ['postgres:', 'postgresql:']);
  if (databaseMigrationUrl && !databaseUrl) throw new ConfigError('DATABASE_MIGRATION_URL needs DATABASE_URL (the embedded database has its own roles)');
  let jwtSecret = env.JWT_SECRET ?? '';
  if (jwtSecret === '') {
    if (nodeEnv === 'production' && databaseUrl && options.signsTokens !== false) {
      throw new ConfigError('JWT_SECRET is required when Duban runs against an external database');
    }
    // The embedded, single-process default: a secret of this process; tokens end with it.
    jwtSecret = randomBytes(32).toString('hex');
  } else if (jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET must be at least 32 characters');
  }
  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not "${env.LOG_LEVEL}"`);
  }
  const timeZone = env.DUBAN_TIME_ZONE || 'Asia/Shanghai';
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new ConfigError(`DUBAN_TIME_ZONE is not a time zone: "${timeZone}"`);
  }
  // The demo belongs to the embedded start (`npm start`): a deployment (an external database, or
  // NODE_ENV=production said in so many words) must ask for it, or it would pin the clock to 2019
  // and create the demo accounts on an empty production database.
  const demo = flag('DUBAN_DEMO', env.DUBAN_DEMO, !databaseUrl && env.NODE_ENV !== 'production');
  // The demo and development show the schema and the playground; a production deployment opts in.
  const open = nodeEnv !== 'production' || demo;
  return {
    env: nodeEnv,
    port: integer('PORT', env.PORT, 4000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl,
    databaseMigrationUrl,
    redisUrl: url('REDIS_URL', env.REDIS_URL, ['redis:', 'rediss:']),
    jwtSecret,
    jwtSecretGiven: (env.JWT_SECRET ?? '') !== '',
    jwtTtlSeconds: integer('JWT_TTL_SECONDS', env.JWT_TTL_SECONDS, 12 * 3600, 60, 30 * 24 * 3600),
    now,
    demo,
    dataDir: resolve(env.DUBAN_DATA_DIR || '.duban'),
    timeZone,
    eventRetentionHours: integer('DUBAN_EVENT_RETENTION_HOURS', env.DUBAN_EVENT_RETENTION_HOURS, 72, 1, 24 * 365),
    eventPollMs: integer('DUBAN_EVENT_POLL_MS', env.DUBAN_EVENT_POLL_MS, 1000, 50, 60_000),
    delivery: {
      pollMs: integer('DUBAN_DELIVERY_POLL_MS', env.DUBAN_DELIVERY_POLL_MS, 30_000, 20, 600_000),
      timeoutMs: integer('DUBAN_DELIVERY_TIMEOUT_MS', env.DUBAN_DELIVERY_TIMEOUT_MS, 10_000, 100, 120_000),
      maxAttempts: integer('DUBAN_DELIVERY_MAX_ATTEMPTS', env.DUBAN_DELIVERY_MAX_ATTEMPTS, 8, 1, 100),
      backoffMs: integer('DUBAN_DELIVERY_BACKOFF_MS', env.DUBAN_DELIVERY_BACKOFF_MS, 5000, 10, 3_600_000),
      concurrency: integer('DUBAN_DELIVERY_CONCURRENCY', env.DUBAN_DELIVERY_CONCURRENCY, 8, 1, 256),
      retentionDays: integer('DUBAN_DELIVERY_RETENTION_DAYS', env.DUBAN_DELIVERY_RETENTION_DAYS, 30, 1, 3650),
    },
    wsMaxSubscriptions: integer('DUBAN_WS_MAX_SUBSCRIPTIONS', env.DUBAN_WS_MAX_SUBSCRIPTIONS, 20, 1, 1000),
    wsMaxQueuedEvents: integer('DUBAN_WS_MAX_QUEUED_EVENTS', env.DUBAN_WS_MAX_QUEUED_EVENTS, 10_000, 1, 1_000_000),
    maxReplays: integer('DUBAN_MAX_REPLAYS', env.DUBAN_MAX_REPLAYS, 4, 1, 1000),
    statementTimeoutMs: integer('DUBAN_STATEMENT_TIMEOUT_MS', env.DUBAN_STATEMENT_TIMEOUT_MS, 15_000, 0, 3_600_000),
    figuresCacheEntries: integer('DUBAN_FIGURES_CACHE_ENTRIES', env.DUBAN_FIGURES_CACHE_ENTRIES, 500, 0, 100_000),
    loginMaxFailuresPerUser: integer('DUBAN_LOGIN_MAX_FAILURES_PER_USER', env.DUBAN_LOGIN_MAX_FAILURES_PER_USER, 5, 1, 1000),
    loginMaxFailuresPerAddress: integer('DUBAN_LOGIN_MAX_FAILURES_PER_ADDRESS', env.DUBAN_LOGIN_MAX_FAILURES_PER_ADDRESS, 50, 1, 100_000),
    loginWindowMinutes: integer('DUBAN_LOGIN_WINDOW_MINUTES', env.DUBAN_LOGIN_WINDOW_MINUTES, 15, 1, 24 * 60),
    logLevel,
    limits: {
      maxDepth: integer('DUBAN_MAX_DEPTH', env.DUBAN_MAX_DEPTH, 10, 1, 100),
      maxAliases: integer('DUBAN_MAX_ALIASES', env.DUBAN_MAX_ALIASES, 30, 0, 1000),
      maxTokens: integer('DUBAN_MAX_TOKENS', env.DUBAN_MAX_TOKENS, 2000, 100, 1_000_000),
      maxCost: integer('DUBAN_MAX_COST', env.DUBAN_MAX_COST, 100_000, 100, 100_000_000),
      maxBodyBytes: integer('DUBAN_MAX_BODY_BYTES', env.DUBAN_MAX_BODY_BYTES, 1024 * 1024, 1024, 100 * 1024 * 1024),
      maxReadCost: integer('DUBAN_MAX_READ_COST', env.DUBAN_MAX_READ_COST, 2_000_000, 1000, 1_000_000_000),
      maxInFlightPerUser: integer('DUBAN_MAX_IN_FLIGHT_PER_USER', env.DUBAN_MAX_IN_FLIGHT_PER_USER, 16, 1, 10_000),
    },
    introspection: flag('DUBAN_INTROSPECTION', env.DUBAN_INTROSPECTION, open),
    playground: flag('DUBAN_PLAYGROUND', env.DUBAN_PLAYGROUND, open),
    trustedDocuments: flag('DUBAN_TRUSTED_DOCUMENTS', env.DUBAN_TRUSTED_DOCUMENTS, false),
  };
}
