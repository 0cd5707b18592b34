import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { authenticate } from '../modules/user/session.service';
import { createContext, type Context, type Services } from './context';
import { createFormatError } from './errors';
import { playgroundRouter } from '../web/playground/playground';
import { boardPageRouter } from '../web/board/board-page';
import { buildSchema } from './schema';
import { startWebSocketServer } from './websocket';
import { createFiguresCachePlugin } from '../modules/progress/figures-cache.plugin';
import type { DestinationStream } from 'pino';
import { opsRouter } from './ops/health';
import { createLogger, createRequestLogger, type Logger } from './ops/logger';
import { createMetrics } from './ops/metrics';
import { spreadsheetRoutes } from '../modules/spreadsheet/spreadsheet.routes';

export interface HttpServerOptions {
  port: number;
  host?: string;
  /** How long a client may wait before connection_init, in ms. */
  connectionInitWaitTimeout?: number;
  /** WebSocket keep-alive ping interval, in ms. */
  keepAliveMs?: number;
  /** Where the JSON log lines go; standard output by default. */
  logDestination?: DestinationStream;
}

export interface RunningServer {
  url: string;
  wsUrl: string;
  httpServer: Server;
  logger: Logger;
  /** The WebSocket clients: how many, and a way to drop them all (a restart, for tests). */
  webSockets: { count(): number; closeAll(code: number, reason: string): void };
  stop(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';

async function contextFor(services: Services, header: unknown, clientAddress: string | undefined): Promise<Context> {
  const auth = await authenticate(services.em, services.config.jwtSecret, header);
  const ctx = createContext(services, auth === 'invalid' ? undefined : auth);
  ctx.clientAddress = clientAddress;
  if (auth === 'invalid') ctx.authProblem = 'Your token is invalid, has expired or was revoked; sign in again';
  return ctx;
}

/** HTTP and WebSocket (graphql-transport-ws) on one port and path, with the playground beside them. */
export async function startHttpServer(services: Services, options: HttpServerOptions): Promise<RunningServer> {
  const schema = buildSchema();
  const app = express();
  const httpServer = createHttpServer(app);
  const logger = createLogger(services.config, options.logDestination);
  const metrics = createMetrics(services);
  const formatError = createFormatError({
    exposeUnknown: services.config.env === 'development',
    log: (errorId, error) => logger.error({ errorId, err: error }, `unknown error ${errorId}`),
  });
  const ws = startWebSocketServer(httpServer, schema, services, {
    path: GRAPHQL_PATH,
    connectionInitWaitTimeout: options.connectionInitWaitTimeout ?? 3_000,
    keepAliveMs: options.keepAliveMs ?? 12_000,
    formatError,
    authenticate: (authorization) => authenticate(services.em, services.config.jwtSecret, authorization),
    metrics,
  });
  metrics.setSources({ webSocketClients: ws.clients });

  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: services.config.env === 'development',
    introspection: true,
    // Shutdown is the process's (main.ts), in its order: Apollo must not act on signals itself.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { async serverWillStart() { return { async drainServer() { await ws.dispose(); } }; } },
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching of GraphQL responses here; without it no per-field hook runs on every field.
      ApolloServerPluginCacheControlDisabled(),
      createFiguresCachePlugin({ maxEntries: services.config.figuresCacheEntries }),
      metrics.apolloPlugin(),
    ],
  });
  await apollo.start();

  app.use(createRequestLogger(logger), metrics.httpMiddleware);
  app.use(opsRouter(services, metrics));
  // A browser's GET /graphql is the playground; every other request there is GraphQL.
  app.use(playgroundRouter({ endpoint: GRAPHQL_PATH, demo: services.config.demo }));
  app.use(boardPageRouter({ endpoint: GRAPHQL_PATH, demo: services.config.demo }));
  app.use(GRAPHQL_PATH, cors(), express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: ({ req }) => contextFor(services, req.headers.authorization, req.ip ?? req.socket.remoteAddress) }));
  app.use(spreadsheetRoutes({
    services,
    authenticate: (authorization) => authenticate(services.em, services.config.jwtSecret, authorization),
    async execute(query, variables, contextValue) {
      const { body } = await apollo.executeOperation({ query, variables }, { contextValue });
      return body.kind === 'single' ? body.singleResult : { errors: [{ message: 'an incremental result' }] };
    },
  }));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const shown = options.host && options.host !== '0.0.0.0' ? options.host : 'localhost';
  return {
    url: `http://${shown}:${port}${GRAPHQL_PATH}`,
    wsUrl: `ws://${shown}:${port}${GRAPHQL_PATH}`,
    httpServer,
    logger,
    webSockets: { count: ws.clients, closeAll: ws.closeAll },
    stop: () => apollo.stop(),
  };
}
