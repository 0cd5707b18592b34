import { createClient } from 'redis';
import { CHANNEL, type EventBus } from './bus';

/** The bus over Redis pub/sub (REDIS_URL), for instances that share a Redis. */
export function createRedisBus(url: string): EventBus {
  const publisher = createClient({ url });
  let subscriber: ReturnType<typeof createClient> | undefined;
  let connected: Promise<unknown> | undefined;
  // A bus that cannot reach Redis says so on its calls; the client's own error events would otherwise crash the process.
  publisher.on('error', () => undefined);
  return {
    name: 'redis',
    async announce(seq) {
      connected ??= publisher.connect();
      await connected;
      await publisher.publish(CHANNEL, seq);
    },
    async subscribe(onSeq) {
      subscriber = createClient({ url });
      subscriber.on('error', () => undefined);
      await subscriber.connect();
      await subscriber.subscribe(CHANNEL, (message) => onSeq(message));
    },
    async ping() {
      if (!subscriber?.isReady) throw new Error('not listening: the Redis subscriber is not connected');
      try {
        connected ??= publisher.connect();
        await connected;
      } catch (error) {
        connected = undefined; // the next call tries again
        throw error;
      }
      // Not queued for a connection that may never come back: a ping answers now or fails now.
      if (!publisher.isReady) throw new Error('the Redis connection is down');
      await publisher.ping();
    },
    async close() {
      // A client that lost Redis would wait for its queued commands forever: drop those instead.
      const end = async (client: { isOpen: boolean; isReady: boolean; close(): Promise<void>; destroy(): void } | undefined) => {
        if (!client?.isOpen) return;
        if (client.isReady) await client.close();
        else client.destroy();
      };
      await Promise.all([end(subscriber), end(publisher)]);
    },
  };
}
