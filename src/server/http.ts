import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { User } from '../modules/user/user.entity';
import { bearer, verifyToken } from '../modules/user/token';
import { createContext, type Context, type Services } from './context';
import { createFormatError } from './errors';
import { createRequestGuardPlugin, createRequestRules, parseOptions } from './limits';
import { playgroundRouter } from './playground';
import { buildSchema } from './schema';
import { startWebSocketServer } from './websocket';
import { createFiguresCachePlugin } from '../modules/progress/figures-cache.plugin';

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
  const { config } = services;
  const formatError = createFormatError({ exposeUnknown: config.env === 'development', hideSuggestions: config.env === 'production' });
  const ws = startWebSocketServer(httpServer, schema, services, {
    path: GRAPHQL_PATH,
    rules: createRequestRules({ limits: config.limits, introspection: config.introspection }),
    connectionInitWaitTimeout: options.connectionInitWaitTimeout ?? 3_000,
    keepAliveMs: options.keepAliveMs ?? 12_000,
    formatError,
    authenticate: (authorization) => authenticate(services, authorization),
  });

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
    // Shutdown is the process's (main.ts), in its order: Apollo must not act on signals itself.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { async serverWillStart() { return { async drainServer() { await ws.dispose(); } }; } },
      ApolloServerPluginLandingPageDisabled(),
      createRequestGuardPlugin({ schema, limits: config.limits }),
      // No HTTP caching of GraphQL responses here; without it no per-field hook runs on every field.
      ApolloServerPluginCacheControlDisabled(),
      createFiguresCachePlugin({ maxEntries: services.config.figuresCacheEntries }),
    ],
  });
  await apollo.start();

  app.use(GRAPHQL_PATH, cors(), express.json({ limit: config.limits.maxBodyBytes }), bodyOrNone,
    expressMiddleware(apollo, { context: ({ req }) => contextFor(services, req.headers.authorization) }), bodyErrors);
  if (config.playground) app.use(playgroundRouter(GRAPHQL_PATH));

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
