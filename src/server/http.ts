import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { authenticate, type Authenticated } from '../modules/user/session.service';
import { createLiveAuthenticate } from '../modules/user/live-authenticate';
import { createContext } from './context';
import type { Context, Services } from '../core/context';
import { createFormatError } from './format-error';
import { bodyDepthGuard } from './input-guard';
import { playgroundRouter } from '../web/playground/playground';
import { boardPageRouter } from '../web/board/board-page';
import { faviconRouter } from '../web/favicon';
import { createRequestGuardPlugin, createRequestRules, parseOptions } from './limits';
import { InFlight } from './in-flight';
import { ReadCost } from './read-cost';
import { ReadStats } from '../modules/progress/read-stats';
import { withStatementTimeouts } from './statement-timeout';
import { buildSchema } from './schema';
import { startWebSocketServer } from './websocket';
import { createLive } from './live-execution';
import { sseHandler } from './sse';
import { DocumentCache } from './document-cache';
import { createTrustedDocuments, createTrustedDocumentsPlugin, persistedQueryHashCheck } from './trusted-documents';
import { createFiguresCachePlugin } from '../modules/progress/figures-cache.plugin';
import type { DestinationStream } from 'pino';
import { opsRouter } from './ops/health';
import { createLogger, createRequestLogger, type Logger } from './ops/logger';
import { createMetrics } from './ops/metrics';
import { createUnavailablePlugin, orUnavailable } from './ops/unavailable';
import { spreadsheetRoutes } from '../modules/spreadsheet/spreadsheet.routes';
import { bulletinRoutes } from '../modules/bulletin/bulletin.routes';

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
  /** Subscriptions as Server-Sent Events (graphql-sse). */
  sseUrl: string;
  /** Ends every event stream (their clients reconnect with Last-Event-ID). */
  dropStreams(): void;
  httpServer: Server;
  logger: Logger;
  /** The WebSocket clients: how many, and a way to drop them all (a restart, for tests). */
  webSockets: { count(): number; closeAll(code: number, reason: string): void; sharedStats(): { groups: number; results: number } };
  stop(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';
/** Subscriptions over Server-Sent Events, for networks that refuse the WebSocket upgrade. */
const SSE_PATH = '/graphql/stream';

/** Without a JSON body, `req.body` stays unset and the Apollo integration would answer 500: let Apollo refuse it (CSRF, 400). */
const bodyOrNone: RequestHandler = (req, _res, next) => {
  if (!Object.prototype.hasOwnProperty.call(req, 'body')) req.body = undefined;
  next();
};

/**
 * A body too large, not JSON, or in an unknown encoding: a GraphQL-shaped JSON error with its HTTP
 * status, never Express's HTML page.
 */
const bodyErrors: ErrorRequestHandler = (error: { type?: string; status?: number; limit?: number }, _req, res, next) => {
  if (res.headersSent) { next(error); return; }
  const status = error.status ?? 500;
  const [code, message] = error.type === 'entity.too.large'
    ? ['PAYLOAD_TOO_LARGE', `The request body is over the limit of ${error.limit} bytes`]
    : error.type === 'entity.parse.failed'
      ? ['BAD_REQUEST', 'The request body is not valid JSON']
      : status >= 400 && status < 500
        ? ['BAD_REQUEST', `The request body cannot be read (${error.type ?? 'bad request'})`]
        : ['INTERNAL_SERVER_ERROR', 'Internal server error'];
  if (code === 'INTERNAL_SERVER_ERROR') console.error('request body:', error);
  res.status(code === 'INTERNAL_SERVER_ERROR' ? 500 : status).json({ errors: [{ message, extensions: { code } }] });
};

async function contextFor(services: Services, header: unknown, clientAddress: string | undefined): Promise<Context> {
  const auth = await orUnavailable(authenticate(services.em, services.config.jwtSecret, header));
  const ctx = createContext(services, auth === 'invalid' ? undefined : auth);
  ctx.clientAddress = clientAddress;
  if (auth === 'invalid') ctx.authProblem = 'Your token is invalid, has expired or was revoked; sign in again';
  return ctx;
}

/** HTTP and WebSocket (graphql-transport-ws) on one port and path, with the playground beside them. */
export async function startHttpServer(services: Services, options: HttpServerOptions): Promise<RunningServer> {
  const schema = buildSchema();
  const app = express();
  // No `X-Powered-By: Express`: what runs here is nobody's business.
  app.disable('x-powered-by');
  const httpServer = createHttpServer(app);
  const { config } = services;
  const logger = createLogger(config, options.logDestination);
  const metrics = createMetrics(services, schema);
  const formatError = withStatementTimeouts(createFormatError({
    exposeUnknown: config.env === 'development',
    hideSuggestions: config.env === 'production',
    log: (errorId, error) => logger.error({ errorId, err: error }, `unknown error ${errorId}`),
  }), config.statementTimeoutMs);
  // What an operation would read, priced before it runs; each user's operations in flight.
  const readCost = new ReadCost(new ReadStats(services.em), () => services.clock);
  const inFlight = new InFlight(config.limits.maxInFlightPerUser);
  // Live connections' sessions, read in one statement per turn of the event loop (a wall of screens connects together).
  const authenticateHeader = createLiveAuthenticate(services.em, services.config.jwtSecret);
  const live = createLive(services, { formatError, authenticate: authenticateHeader, metrics });
  const liveRules = createRequestRules({ limits: config.limits, introspection: config.introspection });
  // The live operations' documents, parsed and validated once per text (the same schema and rules on both).
  const documents = new DocumentCache();
  const trusted = createTrustedDocuments({ enforced: config.trustedDocuments });
  const ws = startWebSocketServer(httpServer, schema, services, live, {
    trusted,
    path: GRAPHQL_PATH,
    rules: liveRules,
    connectionInitWaitTimeout: options.connectionInitWaitTimeout ?? 3_000,
    keepAliveMs: options.keepAliveMs ?? 12_000,
    formatError,
    authenticate: authenticateHeader,
    metrics,
    readCost,
    inFlight,
    documents,
  });
  metrics.setSources({ webSocketClients: ws.clients });
  const sse = sseHandler(schema, services, live, { formatError, rules: liveRules, readCost, inFlight, documents });

  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: config.env === 'development',
    // Apollo adds graphql-js's NoSchemaIntrospectionCustomRule itself when introspection is off.
    introspection: config.introspection,
    validationRules: createRequestRules({ limits: config.limits, introspection: true }),
    parseOptions: parseOptions(config.limits),
    // A GET or a simple-content-type POST needs a header a browser's cross-site form cannot send.
    csrfPrevention: true,
    // Operations by hash (APQ): the manifest's, and those clients register; see trusted-documents.ts.
    persistedQueries: { cache: trusted.apqCache, ttl: null },
    // Shutdown is the process's (main.ts), in its order: Apollo must not act on signals itself.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { async serverWillStart() { return { async drainServer() { sse.close(); await ws.dispose(); } }; } },
      ApolloServerPluginLandingPageDisabled(),
      createRequestGuardPlugin({ schema, limits: config.limits, readCost }),
      inFlight.apolloPlugin(),
      createTrustedDocumentsPlugin(trusted),
      // No HTTP caching of GraphQL responses here; without it no per-field hook runs on every field.
      ApolloServerPluginCacheControlDisabled(),
      createFiguresCachePlugin({ maxEntries: services.config.figuresCacheEntries }),
      metrics.apolloPlugin(),
      createUnavailablePlugin<Context>(),
    ],
  });
  await apollo.start();

  app.use(createRequestLogger(logger), metrics.httpMiddleware);
  app.use(opsRouter(services, metrics));
  // Before the API's own path, which would take it: subscriptions as Server-Sent Events.
  app.all(SSE_PATH, cors(), express.json({ limit: config.limits.maxBodyBytes }), bodyDepthGuard, sse.handle, bodyErrors);
  // A browser's GET /graphql is the playground (where it is on); every other request there is GraphQL.
  if (config.playground) app.use(playgroundRouter({ endpoint: GRAPHQL_PATH, demo: config.demo }));
  app.use(boardPageRouter({ endpoint: GRAPHQL_PATH, demo: config.demo }));
  app.use(faviconRouter());
  app.use(GRAPHQL_PATH, cors(), express.json({ limit: config.limits.maxBodyBytes }), bodyDepthGuard, bodyOrNone, persistedQueryHashCheck,
    expressMiddleware(apollo, { context: ({ req }) => contextFor(services, req.headers.authorization, req.ip ?? req.socket.remoteAddress) }), bodyErrors);
  // The exports read through the API, with the permissions of /graphql.
  const exportRoutes = {
    services,
    authenticate: (authorization: unknown) => authenticate(services.em, config.jwtSecret, authorization),
    context: (auth: Authenticated) => createContext(services, auth),
    async execute(query: string, variables: Record<string, unknown>, contextValue: Context) {
      const { body } = await apollo.executeOperation({ query, variables }, { contextValue });
      return body.kind === 'single' ? body.singleResult : { errors: [{ message: 'an incremental result' }] };
    },
  };
  app.use(spreadsheetRoutes(exportRoutes));
  app.use(bulletinRoutes(exportRoutes));
  // Anything else: a JSON answer, as everywhere else here, not Express's HTML page.
  app.use((req, res) => {
    res.status(404).json({ errors: [{ message: `Nothing at ${req.method} ${req.path}: the API is ${GRAPHQL_PATH}`, extensions: { code: 'NOT_FOUND' } }] });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const shown = options.host && options.host !== '0.0.0.0' ? options.host : 'localhost';
  return {
    url: `http://${shown}:${port}${GRAPHQL_PATH}`,
    wsUrl: `ws://${shown}:${port}${GRAPHQL_PATH}`,
    sseUrl: `http://${shown}:${port}${SSE_PATH}`,
    httpServer,
    logger,
    webSockets: { count: ws.clients, closeAll: ws.closeAll, sharedStats: ws.sharedStats },
    dropStreams: () => sse.close(),
    stop: () => apollo.stop(),
  };
}
