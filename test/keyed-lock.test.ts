import { KeyedLock } from '../src/modules/user/keyed-lock';

/** The in-process lock that sign-ins for one username, or from one address, take in turn. */
describe('KeyedLock', () => {
  it('lets one holder per key at a time, in order, and other keys at once', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    let holding = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const hold = (key: string, name: string) => lock.run(key, () => new Promise<void>((resolve) => {
      holding += 1;
      most = Math.max(most, holding);
      order.push(name);
      releases.push(() => { holding -= 1; resolve(); });
    }));
    const a = [hold('a', 'a1'), hold('a', 'a2'), hold('a', 'a3')];
    const b = hold('b', 'b1');
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a1', 'b1']);
    while (order.length < 4 || releases.length) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([...a, b]);
    expect(order).toEqual(['a1', 'b1', 'a2', 'a3']);
    expect(most).toBe(2);
    expect(lock.size).toBe(0);
  });

  it('shares a state among the holders of one burst, and starts afresh after it', async () => {
    const lock = new KeyedLock<{ seen: number }>(() => ({ seen: 0 }));
    const burst = await Promise.all([1, 2, 3].map(() => lock.run('a', async (state) => ++state.seen)));
    expect(burst).toEqual([1, 2, 3]);
    expect(await lock.run('b', async (state) => ++state.seen)).toBe(1);
    expect(await lock.run('a', async (state) => ++state.seen)).toBe(1);
  });

  it('goes on to the next holder when one fails', async () => {
    const lock = new KeyedLock();
    const failing = lock.run('a', () => Promise.reject(new Error('no')));
    const next = lock.run('a', async () => 'next');
    await expect(failing).rejects.toThrow('no');
    await expect(next).resolves.toBe('next');
    expect(lock.size).toBe(0);
  });
});
