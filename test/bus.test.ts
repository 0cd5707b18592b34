import { Client } from 'pg';
import type { EventBus } from '../src/modules/events/bus/bus';
import { createPostgresBus } from '../src/modules/events/bus/postgres';
import { createRedisBus } from '../src/modules/events/bus/redis';
import { until } from './helpers/until';

/** One suite, every adapter (as graphql-ws runs one suite over every socket library). */
const adapters: [string, (() => EventBus) | undefined, string][] = [
  ['postgres', () => createPostgresBus(process.env.DUBAN_TEST_ADMIN_URL!), ''],
  ['redis', process.env.REDIS_URL ? () => createRedisBus(process.env.REDIS_URL!) : undefined,
    'REDIS_URL is not set: the Redis bus suite is skipped (.ci/run sets it to the Redis on 127.0.0.1:6379)'],
];

describe.each(adapters)('the %s event bus', (name, create, skipped) => {
  if (!create) {
    it.skip(`is skipped: ${skipped}`, () => undefined);
    // Say so in the run's output, not only in the skipped test's name.
    beforeAll(() => console.warn(skipped));
    return;
  }
  const buses: EventBus[] = [];
  const open = () => { const bus = create(); buses.push(bus); return bus; };
  afterEach(async () => { await Promise.all(buses.splice(0).map((b) => b.close())); });

  it('carries every announcement, in order, to every instance, the announcing one included', async () => {
    const a = open();
    const b = open();
    const gotA: string[] = [];
    const gotB: string[] = [];
    await a.subscribe((seq) => gotA.push(seq));
    await b.subscribe((seq) => gotB.push(seq));
    for (let seq = 1; seq <= 50; seq++) await a.announce(String(seq));
    await until(() => gotA.length === 50 && gotB.length === 50);
    const expected = Array.from({ length: 50 }, (_, i) => String(i + 1));
    expect(gotA).toEqual(expected);
    expect(gotB).toEqual(expected);
    expect(a.name).toBe(name);
  });

  it('carries announcements made all at once in order, ending with the latest, one at a time on its connection', async () => {
    // A query sent while another runs on the same pg client (pg queues it, warns, and pg 9 will refuse it).
    let overlapping = 0;
    const running = new WeakMap<Client, number>();
    const query = Client.prototype.query;
    const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
      const now = running.get(this) ?? 0;
      if (now > 0) overlapping += 1;
      running.set(this, now + 1);
      const done = () => running.set(this, (running.get(this) ?? 1) - 1);
      const result = (query as (...a: unknown[]) => unknown).apply(this, args);
      if (result instanceof Promise) result.then(done, done);
      else done();
      return result;
    } as never);
    try {
      const a = open();
      const b = open();
      const got: string[] = [];
      await b.subscribe((seq) => got.push(seq));
      await Promise.all(Array.from({ length: 100 }, (_, i) => a.announce(String(i + 1))));
      await until(() => got.at(-1) === '100');
      // In order, none twice (the PostgreSQL bus sends those that wait as one, the latest).
      expect(got.every((seq, i) => i === 0 || BigInt(seq) > BigInt(got[i - 1]))).toBe(true);
      expect(overlapping).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });

  it('answers a ping only while it listens (what /readyz asks)', async () => {
    const a = open();
    await expect(a.ping()).rejects.toThrow(/not listening/);
    await a.subscribe(() => undefined);
    await expect(a.ping()).resolves.toBeUndefined();
    await a.close();
    await expect(a.ping()).rejects.toThrow();
  });

  it('stops delivering once closed, and closes twice without harm', async () => {
    const a = open();
    const b = open();
    const got: string[] = [];
    await b.subscribe((seq) => got.push(seq));
    await a.announce('1');
    await until(() => got.length === 1);
    await b.close();
    await b.close();
    await a.announce('2');
    // A third instance hears the second one; the closed one must not have.
    const c = open();
    const heard: string[] = [];
    await c.subscribe((seq) => heard.push(seq));
    await a.announce('3');
    await until(() => heard.includes('3'));
    expect(got).toEqual(['1']);
  });
});
