import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import type { EventBus } from './bus/bus';
import { createPostgresBus } from './bus/postgres';
import { createRedisBus } from './bus/redis';
import { EventStream, type EventBuilder } from './event-stream';
import { pruneOutbox } from './outbox.service';
import { BoardWatcher } from '../presence/presence.entity';
import { INSTANCE, startHeartbeat } from '../presence/presence.service';
import { Projector } from '../projection/projector';
import { createClock, dateInZone, type Clock } from '../../clock';

/** The bus the configuration asks for: Redis pub/sub with REDIS_URL, else PostgreSQL's LISTEN/NOTIFY. */
export function createBus(config: Pick<Config, 'redisUrl'>, databaseUrl: string): EventBus {
  return config.redisUrl ? createRedisBus(config.redisUrl) : createPostgresBus(databaseUrl);
}

export interface Events {
  stream: EventStream;
  /** This instance's candidate for the projector (the leader folds the facts). */
  projector: Projector;
  stop(): Promise<void>;
}

/** The clock `now` stands for, read at each use (a test moves the server's day). */
function clockOf(now: () => Date, timeZone: string): () => Clock {
  const base = createClock({ timeZone });
  return () => ({ ...base, now, today: () => dateInZone(now(), timeZone) });
}

/**
 * This instance's outbox follower and projector candidate, started, and the pruning of events past
 * their retention. `build` makes what subscribers receive of a page of rows (server/event-types.ts).
 */
export async function startEvents(em: EntityManager, config: Config, databaseUrl: string, now: () => Date, build: EventBuilder): Promise<Events> {
  const stream = new EventStream(em, createBus(config, databaseUrl), build, { pollMs: config.eventPollMs, pageSize: 500, maxReplays: config.maxReplays });
  await stream.start();
  const projector = new Projector(em, clockOf(now, config.timeZone), (seq) => stream.announce(seq), {
    databaseUrl, pollMs: config.eventPollMs, pageSize: 500,
  });
  stream.onPoke((seq) => projector.poke(seq));
  await projector.start();
  const retentionMs = config.eventRetentionHours * 3_600_000;
  const prune = () => pruneOutbox(em.fork(), retentionMs, now()).catch((error) => console.error('pruning the outbox:', error));
  const timer = setInterval(prune, Math.min(retentionMs / 4, 600_000));
  timer.unref();
  const stopHeartbeat = startHeartbeat(em, now);
  return {
    stream,
    projector,
    async stop() {
      clearInterval(timer);
      stopHeartbeat();
      await projector.stop();
      await stream.stop();
      // This instance's watchers go with it (a killed one's fade out instead).
      await em.fork().nativeDelete(BoardWatcher, { instance: INSTANCE }).catch(() => undefined);
    },
  };
}
