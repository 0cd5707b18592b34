import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createClock, dateInZone, startOfDay } from '../src/clock';
import { ConfigError, isIsoDate, loadConfig } from '../src/config';
import { withPersistentSecret } from '../src/modules/user/secret';

describe('loadConfig', () => {
  it('has the defaults of the embedded, single-process start', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ env: 'production', port: 4000, demo: true, timeZone: 'Asia/Shanghai' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.jwtSecret).toHaveLength(64);
    expect(config.dataDir).toMatch(/\.duban$/);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be an integer from 0 to 65535/],
    [{ DUBAN_NOW: '2019-02-30' }, /DUBAN_NOW must be a date/],
    [{ DUBAN_NOW: '30/06/2019' }, /DUBAN_NOW must be a date/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must start with postgres/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a URL/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL must start with redis/],
    [{ JWT_SECRET: 'short' }, /at least 32 characters/],
    [{ DATABASE_URL: 'postgres://db/duban' }, /JWT_SECRET is required/],
    [{ DUBAN_DEMO: 'maybe' }, /DUBAN_DEMO must be on or off/],
    [{ DUBAN_TIME_ZONE: 'Mars/Olympus' }, /not a time zone/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV must be/],
    [{ DUBAN_MAX_DEPTH: '0' }, /DUBAN_MAX_DEPTH must be an integer from 1/],
    [{ DUBAN_MAX_TOKENS: 'many' }, /DUBAN_MAX_TOKENS must be an integer/],
    [{ DUBAN_MAX_COST: '1.5' }, /DUBAN_MAX_COST must be an integer/],
    [{ DUBAN_MAX_BODY_BYTES: '10' }, /DUBAN_MAX_BODY_BYTES must be an integer from 1024/],
    [{ DUBAN_INTROSPECTION: 'sometimes' }, /DUBAN_INTROSPECTION must be on or off/],
    [{ DUBAN_PLAYGROUND: '2' }, /DUBAN_PLAYGROUND must be on or off/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads what is given', () => {
    const config = loadConfig({ PORT: '8080', DUBAN_NOW: '2019-09-01', DUBAN_DEMO: 'off', JWT_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgresql://db/duban' });
    expect(config).toMatchObject({ port: 8080, now: '2019-09-01', demo: false, jwtSecret: 'x'.repeat(32), databaseUrl: 'postgresql://db/duban' });
  });

  it('has limits that every client operation passes, and reads them', () => {
    expect(loadConfig({}).limits).toEqual({ maxDepth: 10, maxAliases: 30, maxTokens: 2000, maxCost: 100_000, maxBodyBytes: 1024 * 1024, maxReadCost: 2_000_000, maxInFlightPerUser: 16 });
    expect(loadConfig({ DUBAN_MAX_DEPTH: '4', DUBAN_MAX_ALIASES: '0', DUBAN_MAX_TOKENS: '500', DUBAN_MAX_COST: '900', DUBAN_MAX_BODY_BYTES: '2048', DUBAN_MAX_READ_COST: '5000', DUBAN_MAX_IN_FLIGHT_PER_USER: '3' }).limits)
      .toEqual({ maxDepth: 4, maxAliases: 0, maxTokens: 500, maxCost: 900, maxBodyBytes: 2048, maxReadCost: 5000, maxInFlightPerUser: 3 });
    const database = loadConfig({ DUBAN_STATEMENT_TIMEOUT_MS: '250', DUBAN_MAX_REPLAYS: '2' });
    expect([database.statementTimeoutMs, database.maxReplays]).toEqual([250, 2]);
    expect([loadConfig({}).statementTimeoutMs, loadConfig({}).maxReplays]).toEqual([15_000, 4]);
    expect(() => loadConfig({ DUBAN_STATEMENT_TIMEOUT_MS: '-1' })).toThrow(/DUBAN_STATEMENT_TIMEOUT_MS/);
  });

  it.each([
    [{}, true],
    [{ DUBAN_DEMO: 'off' }, false],
    [{ DUBAN_DEMO: 'off', NODE_ENV: 'development' }, true],
    [{ DUBAN_DEMO: 'off', DUBAN_INTROSPECTION: 'on', DUBAN_PLAYGROUND: 'on' }, true],
    [{ DUBAN_INTROSPECTION: 'off', DUBAN_PLAYGROUND: 'off' }, false],
  ])('shows the schema and the playground with %j: %s', (env, open) => {
    const config = loadConfig(env);
    expect([config.introspection, config.playground]).toEqual([open, open]);
  });

  const external = { DATABASE_URL: 'postgres://db/duban', JWT_SECRET: 'x'.repeat(32) };
  it.each([
    ['the embedded database', {}, true],
    ['the embedded database in development', { NODE_ENV: 'development' }, true],
    ['the embedded database with NODE_ENV=production', { NODE_ENV: 'production' }, false],
    ['an external database', external, false],
    ['an external database in development', { ...external, NODE_ENV: 'development' }, false],
    ['an external database, asked for', { ...external, DUBAN_DEMO: 'on' }, true],
    ['NODE_ENV=production, asked for', { NODE_ENV: 'production', DUBAN_DEMO: 'on' }, true],
    ['the embedded database, turned off', { DUBAN_DEMO: 'off' }, false],
  ])('loads the demo by default only on the embedded database: %s', (_where, env, demo) => {
    expect(loadConfig(env).demo).toBe(demo);
  });

  it('keeps a production deployment without the demo closed: no playground, no introspection', () => {
    expect(loadConfig(external)).toMatchObject({ demo: false, introspection: false, playground: false });
    expect(loadConfig({ NODE_ENV: 'production' })).toMatchObject({ demo: false, introspection: false, playground: false });
  });

  it('leaves the demo off in docker-compose.yml unless DUBAN_DEMO asks for it', () => {
    const compose = parse(readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8')) as { services: Record<string, { environment?: Record<string, string> }> };
    const environment = compose.services['duban-1'].environment!;
    // Compose's `${VAR:-default}`: what the instance gets when the variable is not set.
    const defaults = Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v).replace(/^\$\{[A-Z_]+:[-?]([^}]*)\}$/, '$1')]));
    expect(defaults.DUBAN_DEMO).toBe('off');
    expect(loadConfig({ ...defaults, JWT_SECRET: 's'.repeat(32), NODE_ENV: 'production', DUBAN_NOW: '' }).demo).toBe(false);
  });

  it('knows a real date', () => {
    expect(isIsoDate('2019-06-30')).toBe(true);
    expect(isIsoDate('2019-06-31')).toBe(false);
    expect(isIsoDate('2020-02-29')).toBe(true);
  });
});

describe('clock', () => {
  it('keeps a pinned day in its time zone while instants move on', () => {
    const clock = createClock({ pinnedDay: '2019-06-30', timeZone: 'Asia/Shanghai' });
    const a = clock.now();
    expect(clock.today()).toBe('2019-06-30');
    expect(dateInZone(a, 'Asia/Shanghai')).toBe('2019-06-30');
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(a.getTime());
  });

  it('finds a day\'s first instant in a time zone, on a day its offset changes too', () => {
    expect(startOfDay('2019-06-30', 'Asia/Shanghai').toISOString()).toBe('2019-06-29T16:00:00.000Z');
    expect(startOfDay('2019-03-10', 'America/New_York').toISOString()).toBe('2019-03-10T05:00:00.000Z'); // EST until 02:00
    expect(startOfDay('2019-11-03', 'America/New_York').toISOString()).toBe('2019-11-03T04:00:00.000Z'); // EDT until 02:00
  });

  it('never goes back when the real day turns under a pinned day', () => {
    jest.useFakeTimers({ now: new Date('2026-11-28T15:59:58Z') }); // 23:59:58 in Shanghai
    try {
      const clock = createClock({ pinnedDay: '2019-06-30', timeZone: 'Asia/Shanghai' });
      const before = clock.now();
      expect(before.toISOString()).toBe('2019-06-30T15:59:58.000Z');
      // Within the day, readings in one millisecond are that millisecond: nothing runs ahead.
      expect(clock.now().getTime()).toBe(before.getTime());
      jest.setSystemTime(new Date('2026-11-28T16:00:03Z')); // 00:00:03 the next day in Shanghai
      const after = clock.now();
      expect(after.getTime()).toBeGreaterThanOrEqual(before.getTime());
      expect(dateInZone(after, 'Asia/Shanghai')).toBe('2019-06-30');
      // What happens next still sorts after: each reading a little later, within the day.
      const readings = [clock.now(), clock.now(), clock.now()].map((d) => d.getTime());
      expect(readings[0]).toBeGreaterThan(after.getTime());
      expect(readings[1]).toBeGreaterThan(readings[0]);
      expect(readings[2]).toBeGreaterThan(readings[1]);
      // Once the real time of day has caught up, it runs with it again.
      jest.setSystemTime(new Date('2026-11-29T15:59:59.500Z'));
      expect(clock.now().toISOString()).toBe('2019-06-30T15:59:59.500Z');
      // And it never creeps out of the pinned day.
      jest.setSystemTime(new Date('2026-11-29T16:00:01Z'));
      for (let i = 0; i < 5_000; i += 1) clock.now();
      expect(clock.now().toISOString()).toBe('2019-06-30T15:59:59.999Z');
    } finally {
      jest.useRealTimers();
    }
  });

  it('reads the wall clock when not pinned', () => {
    const clock = createClock({ timeZone: 'UTC' });
    expect(Math.abs(clock.now().getTime() - Date.now())).toBeLessThan(1000);
    expect(clock.today()).toBe(new Date().toISOString().slice(0, 10));
  });
});

describe('the token secret on the embedded database', () => {
  it('is made once beside the data, private, and the same after a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'duban-secret-'));
    const first = withPersistentSecret(loadConfig({ DUBAN_DATA_DIR: dir }));
    const second = withPersistentSecret(loadConfig({ DUBAN_DATA_DIR: dir }));
    expect(first.jwtSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(second.jwtSecret).toBe(first.jwtSecret);
    expect(readFileSync(join(dir, 'jwt-secret'), 'utf8')).toBe(first.jwtSecret);
    expect(statSync(join(dir, 'jwt-secret')).mode & 0o777).toBe(0o600);
  });

  it('leaves JWT_SECRET, and an external database, to the configuration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'duban-secret-'));
    const given = 'x'.repeat(40);
    expect(withPersistentSecret(loadConfig({ DUBAN_DATA_DIR: dir, JWT_SECRET: given })).jwtSecret).toBe(given);
    const external = loadConfig({ DUBAN_DATA_DIR: dir, NODE_ENV: 'development', DATABASE_URL: 'postgres://h/db' });
    expect(withPersistentSecret(external).jwtSecret).toBe(external.jwtSecret);
    expect(() => statSync(join(dir, 'jwt-secret'))).toThrow();
  });
});
