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
    async close() {
      await Promise.all([
        subscriber?.isOpen ? subscriber.close() : undefined,
        publisher.isOpen ? publisher.close() : undefined,
      ]);
    },
  };
}
