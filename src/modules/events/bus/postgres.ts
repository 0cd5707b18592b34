import { Client } from 'pg';
import { CHANNEL, type EventBus } from './bus';

/** The first wait before the LISTEN connection is made again, doubled after each failure up to the second. */
const RECONNECT_MS = 250;
const RECONNECT_MAX_MS = 2_000;

/**
 * The default bus: PostgreSQL's LISTEN/NOTIFY, one listening connection per instance; nothing more
 * to run. A lost connection is made again, with backoff; the stream reads the outbox once it is back, so what
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
      // Backing off while the database is away; once back, the stream reads what it missed.
      let wait = RECONNECT_MS;
      const again = () => listen(onSeq).then(() => onSeq('0'), () => {
        wait = Math.min(wait * 2, RECONNECT_MAX_MS);
        if (!closed) retry = setTimeout(again, wait);
      });
      retry = setTimeout(again, wait);
    });
    await client.query(`listen ${CHANNEL}`);
    listener = client;
  };

  let sending: Promise<void> = Promise.resolve();
  let waiting: { seq: string; sent: Promise<void> } | undefined;
  const notify = async (seq: string): Promise<void> => {
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
  };

  return {
    name: 'postgres',
    // One NOTIFY at a time on the announcing connection (pg queues queries sent while one runs, and
    // pg 9 will refuse them): what is announced meanwhile waits, as one NOTIFY of the latest sequence
    // (a listener reads the outbox from its own head, so the latest says all the earlier ones did).
    announce(seq) {
      if (waiting) {
        waiting.seq = later(waiting.seq, seq);
        return waiting.sent;
      }
      const next = { seq, sent: undefined as unknown as Promise<void> };
      waiting = next;
      next.sent = sending.catch(() => undefined).then(() => {
        waiting = undefined;
        return notify(next.seq);
      });
      sending = next.sent;
      return next.sent;
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

/** The later of two announced sequences (decimal strings); anything else gives way to the newer announcement. */
function later(a: string, b: string): string {
  return /^\d+$/.test(a) && /^\d+$/.test(b) && BigInt(a) > BigInt(b) ? a : b;
}
