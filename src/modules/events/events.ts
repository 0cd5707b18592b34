import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import { buildEvents } from '../board/board.events';
import type { EventBus } from './bus/bus';
import { createPostgresBus } from './bus/postgres';
import { createRedisBus } from './bus/redis';
import { EventStream } from './event-stream';
import { pruneOutbox } from './outbox.service';
import { BoardWatcher } from '../presence/presence.entity';
import { INSTANCE, startHeartbeat } from '../presence/presence.service';

/** The bus the configuration asks for: Redis pub/sub with REDIS_URL, else PostgreSQL's LISTEN/NOTIFY. */
export function createBus(config: Pick<Config, 'redisUrl'>, databaseUrl: string): EventBus {
  return config.redisUrl ? createRedisBus(config.redisUrl) : createPostgresBus(databaseUrl);
}

export interface Events {
  stream: EventStream;
  stop(): Promise<void>;
}

/** This instance's outbox follower, started, and the pruning of events past their retention. */
export async function startEvents(em: EntityManager, config: Config, databaseUrl: string, now: () => Date): Promise<Events> {
  const stream = new EventStream(em, createBus(config, databaseUrl), buildEvents, { pollMs: config.eventPollMs, pageSize: 500, maxReplays: config.maxReplays });
  await stream.start();
  const retentionMs = config.eventRetentionHours * 3_600_000;
  const prune = () => pruneOutbox(em.fork(), retentionMs, now()).catch((error) => console.error('pruning the outbox:', error));
  const timer = setInterval(prune, Math.min(retentionMs / 4, 600_000));
  timer.unref();
  const stopHeartbeat = startHeartbeat(em, now);
  return {
    stream,
    async stop() {
      clearInterval(timer);
      stopHeartbeat();
      await stream.stop();
      // This instance's watchers go with it (a killed one's fade out instead).
      await em.fork().nativeDelete(BoardWatcher, { instance: INSTANCE }).catch(() => undefined);
    },
  };
}
