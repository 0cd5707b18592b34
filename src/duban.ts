import type { DestinationStream } from 'pino';
import { createClock, type Clock } from './clock';
import type { Config } from './config';
import { openConfiguredDatabase, type OpenDatabase } from './db/database';
import type { MikroORM } from './db/orm';
import type { Services } from './core/context';
import { DEMO_DAY, loadDemoIfEmpty } from './modules/demo/demo.loader';
import { eventBuilder } from './modules/events/event-builder';
import { startEvents, type Events } from './modules/events/events';
import { NoticeEngine } from './modules/notice/notice.engine';
import { EVENT_TYPES } from './server/event-types';
import { startHttpServer, type RunningServer } from './server/http';
import { DeliveryLoop } from './modules/channel/delivery.sender';

/**
 * The one composition root: a database, the clock, the outbox follower and projector, and the
 * HTTP/WebSocket/SSE server on them. `main.ts`, the tests and the benchmarks start Duban here.
 */
export interface DubanOptions {
  /** A database the caller opened (and will close); by default the configuration's, migrated, closed on stop. */
  database?: { orm: MikroORM; url: string };
  port?: number;
  host?: string;
  /** The server's clock; by default the configuration's day (DUBAN_NOW, or the demo's) in its time zone. */
  clock?: Clock;
  connectionInitWaitTimeout?: number;
  /** Where the JSON log lines go; standard output by default. */
  logDestination?: DestinationStream;
}

export interface Duban {
  url: string;
  wsUrl: string;
  sseUrl: string;
  orm: MikroORM;
  /** What every request's context is built from (a test moves `services.clock`). */
  services: Services;
  events: Events;
  /** This instance's candidate for judging supervision notices (after the projector). */
  notices: NoticeEngine;
  server: RunningServer;
  /** Set when Duban opened the configured database itself. */
  database?: OpenDatabase;
  /** True when the demo was loaded into an empty database by this start. */
  demoLoaded: boolean;
  /** Stops accepting, closes sockets with 1001, lets requests in flight finish, then closes the database it opened. */
  stop(): Promise<void>;
}

export async function startDuban(config: Config, options: DubanOptions = {}): Promise<Duban> {
  const database = options.database ? undefined : await openConfiguredDatabase(config);
  const { orm, url } = options.database ?? database!;
  try {
    const clock = options.clock ?? createClock({ pinnedDay: config.now ?? (config.demo ? DEMO_DAY : undefined), timeZone: config.timeZone });
    const demoLoaded = config.demo ? await loadDemoIfEmpty(orm.em, config.timeZone) : false;
    const services = { em: orm.em, clock, config } as Services;
    // The events read the clock at each use: a test that moves `services.clock` moves them too.
    const events = await startEvents(orm.em, config, url, () => services.clock.now(), eventBuilder(EVENT_TYPES));
    services.events = events.stream;
    // Today swept and what is pending judged before the server listens.
    const notices = new NoticeEngine(services);
    await notices.start();
    const server = await startHttpServer(services, {
      port: options.port ?? config.port, host: options.host ?? config.host,
      connectionInitWaitTimeout: options.connectionInitWaitTimeout, logDestination: options.logDestination,
    });
    // Messages out: the outbox turned into deliveries to the channels, and sent. The stream's pokes
    // and head say when the outbox has grown, so that an idle instance reads nothing for it.
    const delivery = new DeliveryLoop(orm.em, { ...config.delivery, perChannel: 2 }, () => events.stream.head);
    const stopPoking = events.stream.onPoke((seq) => delivery.poke(seq));
    delivery.start();
    return {
      url: server.url, wsUrl: server.wsUrl, sseUrl: server.sseUrl, orm, services, events, notices, server, database, demoLoaded,
      async stop() {
        events.stream.beginClosing();
        await server.stop();
        await notices.stop();
        stopPoking();
        await delivery.stop();
        await events.stop();
        await database?.close();
      },
    };
  } catch (error) {
    await database?.close();
    throw error;
  }
}
