import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { User } from '../modules/user/user.entity';
import { bearer, verifyToken } from '../modules/user/token';
import { createContext, type Context, type Services } from './context';
import { createFormatError } from './errors';
import { playgroundRouter } from './playground';
import { buildSchema } from './schema';
import { startWebSocketServer } from './websocket';
import { createFiguresCachePlugin } from '../modules/progress/figures-cache.plugin';
import { spreadsheetRoutes } from '../modules/spreadsheet/spreadsheet.routes';

export interface HttpServerOptions {
  port: number;
  host?: string;
  /** How long a client may wait before connection_init, in ms. */
  connectionInitWaitTimeout?: number;
  /** WebSocket keep-alive ping interval, in ms. */
  keepAliveMs?: number;
}

export interface RunningServer {
  url: string;
  wsUrl: string;
  httpServer: Server;
  stop(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';

/** The user a bearer token names; undefined without a token; 'invalid' for a bad or expired one. */
async function authenticate(services: Services, header: unknown): Promise<User | 'invalid' | undefined> {
  const token = bearer(header);
  if (!token) return header === undefined || header === '' ? undefined : 'invalid';
  const id = verifyToken(token, services.config.jwtSecret);
  if (id === undefined) return 'invalid';
  const user = await services.em.fork().findOne(User, { id }, { populate: ['region'] });
  return user ?? 'invalid';
}

async function contextFor(services: Services, header: unknown): Promise<Context> {
  const user = await authenticate(services, header);
  const ctx = createContext(services, user === 'invalid' ? undefined : user);
  if (user === 'invalid') ctx.authProblem = 'Your token is invalid or has expired; sign in again';
  return ctx;
}

/** HTTP and WebSocket (graphql-transport-ws) on one port and path, with the playground beside them. */
export async function startHttpServer(services: Services, options: HttpServerOptions): Promise<RunningServer> {
  const schema = buildSchema();
  const app = express();
  const httpServer = createHttpServer(app);
  const formatError = createFormatError({ exposeUnknown: services.config.env === 'development' });
  const ws = startWebSocketServer(httpServer, schema, services, {
    path: GRAPHQL_PATH,
    connectionInitWaitTimeout: options.connectionInitWaitTimeout ?? 3_000,
    keepAliveMs: options.keepAliveMs ?? 12_000,
    formatError,
    authenticate: (authorization) => authenticate(services, authorization),
  });

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
    ],
  });
  await apollo.start();

  app.use(GRAPHQL_PATH, cors(), express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: ({ req }) => contextFor(services, req.headers.authorization) }));
  app.use(spreadsheetRoutes({
    services,
    authenticate: (authorization) => authenticate(services, authorization),
    async execute(query, variables, contextValue) {
      const { body } = await apollo.executeOperation({ query, variables }, { contextValue });
      return body.kind === 'single' ? body.singleResult : { errors: [{ message: 'an incremental result' }] };
    },
  }));
  app.use(playgroundRouter(GRAPHQL_PATH));

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
    stop: () => apollo.stop(),
  };
}
