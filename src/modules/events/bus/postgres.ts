import { Client } from 'pg';
import { CHANNEL, type EventBus } from './bus';

const RECONNECT_MS = 1000;

/**
 * The default bus: PostgreSQL's LISTEN/NOTIFY, one listening connection per instance; nothing more
 * to run. A lost connection is made again; the stream reads the outbox once it is back, so what
 * was announced meanwhile is not lost.
 */
export function createPostgresBus(url: string, log: (message: string) => void = (m) => console.error(m)): EventBus {
  let listener: Client | undefined;
  let announcer: Promise<Client> | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    return client;
  };

  const listen = async (onSeq: (seq: string) => void): Promise<void> => {
    const client = await connect();
    client.on('notification', (message) => { if (message.channel === CHANNEL && message.payload) onSeq(message.payload); });
    client.on('error', (error) => {
      if (closed) return;
      log(`event bus: the LISTEN connection failed (${error.message}); connecting again`);
      if (listener === client) listener = undefined;
      client.end().catch(() => undefined);
      const again = () => listen(onSeq).then(() => onSeq('0'), () => { if (!closed) retry = setTimeout(again, RECONNECT_MS); });
      retry = setTimeout(again, RECONNECT_MS);
    });
    await client.query(`listen ${CHANNEL}`);
    listener = client;
  };

  return {
    name: 'postgres',
    async announce(seq) {
      announcer ??= connect().then((client) => {
        client.on('error', () => { announcer = undefined; client.end().catch(() => undefined); });
        return client;
      });
      try {
        await (await announcer).query('select pg_notify($1, $2)', [CHANNEL, seq]);
      } catch (error) {
        announcer = undefined;
        throw error;
      }
    },
    subscribe: listen,
    async ping() {
      if (!listener) throw new Error('not listening: the LISTEN connection is being made again');
      await listener.query('select 1');
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const a = announcer;
      announcer = undefined;
      await Promise.all([listener?.end().catch(() => undefined), a?.then((c) => c.end()).catch(() => undefined)]);
    },
  };
}
