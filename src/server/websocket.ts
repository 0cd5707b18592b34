import type { Server } from 'node:http';
import { execute, getOperationAST, GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Authenticated } from '../modules/user/session.service';
import { createLazyContext } from './context';
import type { Services } from '../core/context';
import type { GraphQLFormattedError } from 'graphql';
import { BadInputError } from '../core/errors';
import type { Metrics } from './ops/metrics';
import { parseAndValidate } from './limits';
import type { DocumentCache } from './document-cache';
import type { Live, LiveContext } from './live-execution';
import type { SocketSession } from './socket-sessions';
import { sendFrame, useTransport } from './ws-transport';
import { resolveSubscribeQuery, trustedDocumentRequired, type TrustedDocuments } from './trusted-documents';

export interface WebSocketOptions {
  path: string;
  /** How long a client may take to send connection_init, in ms; then 4408. */
  connectionInitWaitTimeout: number;
  /** Pings every this many ms; a client that does not answer is dropped. */
  keepAliveMs: number;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** The validation rules beyond graphql-js's own (limits, introspection), as on HTTP. */
  rules: readonly ValidationRule[];
  authenticate: (authorization: unknown) => Promise<Authenticated | 'invalid' | undefined>;
  /** Counts subscriptions, their errors and the events sent. */
  metrics?: Metrics;
  /** What an operation would read, priced before it runs, and each user's operations in flight, as on HTTP. */
  readCost?: import('./read-cost').ReadCost;
  inFlight?: import('./in-flight').InFlight;
  /** Operations by hash, and which ones a caller may send. */
  trusted: TrustedDocuments;
  /** Documents parsed and validated once per text, shared with Server-Sent Events. */
  documents?: DocumentCache;
}

type Extra = {
  socket: WebSocket;
  /** The client's address; the upgrade request itself is not kept (its headers would stay as long as the socket). */
  clientAddress?: string;
  /** This socket's identity, checked again on every operation and when its account changes. */
  session?: SocketSession;
  /** Ends the socket's hold on the outbox listener (SocketSessions.retain). */
  release?: () => void;
  subscriptions?: number;
};

/** The context of a socket's operation: its session's current rights, read at every event too. */

/**
 * graphql-ws on the HTTP server's port and path. Every operation runs as the socket's session
 * stands now (see SocketSessions). A subscription event is executed once per selection and
 * authorization (SharedExecution) and shared by every subscriber in that group: 5,000 screens of
 * P3 at 330300 cost one execution per event.
 */
export function startWebSocketServer(httpServer: Server, schema: GraphQLSchema, services: Services, live: Live, options: WebSocketOptions) {
  const { sessions } = live;
  const formatAll = (errors: readonly GraphQLError[]) => errors.map((e) => options.formatError(e.toJSON(), e));

  // A message larger than an HTTP body may be is refused by ws itself: close 1009, nothing parsed.
  const wsServer = new WebSocketServer({ server: httpServer, path: options.path, maxPayload: services.config.limits.maxBodyBytes });
  const server = useTransport<{ authorization?: unknown }, Extra>({
    schema,
    connectionInitWaitTimeout: options.connectionInitWaitTimeout,
    onConnect: async (ctx) => {
      // Listening before the check: a change committed after it reaches this socket.
      ctx.extra.release = sessions.retain();
      const authorization = ctx.connectionParams?.authorization;
      const auth = await options.authenticate(authorization);
      if (!auth || auth === 'invalid') {
        ctx.extra.release();
        return false; // graphql-ws closes with 4403 Forbidden
      }
      const { socket } = ctx.extra;
      ctx.extra.session = sessions.add({
        fail(errors, code, reason) {
          // Frames go out in order: every operation's error before the close.
          for (const id of Object.keys(ctx.subscriptions)) socket.send(JSON.stringify({ id, type: 'error', payload: errors }));
          socket.close(code, reason);
        },
      }, authorization, auth);
      ctx.extra.subscriptions = 0;
      return true;
    },
    onSubscribe: async (ctx, _id, payload) => {
      options.metrics?.subscriptionStarted(payload);
      if ((ctx.extra.subscriptions ?? 0) >= services.config.wsMaxSubscriptions) {
        return [new BadInputError(`At most ${services.config.wsMaxSubscriptions} subscriptions per connection`, 'subscriptions')];
      }
      // Counted before the (asynchronous) checks, so that a burst cannot pass the bound together;
      // given back when refused: graphql-ws calls onComplete only for an operation that started.
      ctx.extra.subscriptions = (ctx.extra.subscriptions ?? 0) + 1;
      // Every operation runs as the session stands now, not as it stood at connection_init.
      const ended = ctx.extra.session && await sessions.recheck(ctx.extra.session);
      if (ended) { ctx.extra.subscriptions -= 1; return [ended]; }
      // Parsed with the token limit and validated with the same rules as on HTTP; an error here is
      // an error message on this operation (graphql-ws itself would close the socket on a syntax error).
      const query = resolveSubscribeQuery(options.trusted, payload);
      if (typeof query !== 'string') { ctx.extra.subscriptions -= 1; return query; }
      const document = await parseAndValidate(schema, query, payload.variables, services.config.limits, options.rules, options.readCost, payload.operationName, options.documents);
      const refused = !('kind' in document) ? document
        : !options.trusted.allows(document, ctx.extra.session?.auth.user) ? [trustedDocumentRequired()]
          : getOperationAST(document, payload.operationName) ? undefined
            : [new GraphQLError('Unable to identify the operation: name it with operationName', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })];
      if (refused || !('kind' in document)) { ctx.extra.subscriptions -= 1; return refused; }
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
    },
    onComplete: (ctx) => { ctx.extra.subscriptions = Math.max(0, (ctx.extra.subscriptions ?? 1) - 1); },
    onClose: (ctx) => {
      if (ctx.extra.session) sessions.remove(ctx.extra.session);
      ctx.extra.release?.();
    },
    context: (ctx, id): LiveContext => Object.assign(createLazyContext(services, ctx.extra.session?.auth), {
      closeConnection: (code: number, reason: string) => ctx.extra.socket.close(code, reason),
      clientAddress: ctx.extra.clientAddress,
      socketSession: ctx.extra.session,
      frames: (payload: Buffer) => sendFrame(ctx.extra.socket, id, payload),
    }),
    subscribe: options.inFlight ? options.inFlight.wrap((args) => live.subscribe(args), { waits: true }) : (args) => live.subscribe(args),
    execute: options.inFlight ? options.inFlight.wrap(execute) : execute,
    onError: (_ctx, _id, payload, errors) => {
      const formatted = formatAll(errors);
      options.metrics?.subscriptionErrors(payload, formatted);
      return formatted;
    },
    onNext: (_ctx, _id, payload, _args, result) => {
      if (!result.errors) return result;
      const formatted = formatAll(result.errors);
      options.metrics?.subscriptionErrors(payload, formatted);
      return { ...result, errors: formatted };
    },
  }, wsServer, options.keepAliveMs, (socket, request) => ({ socket, clientAddress: request.socket.remoteAddress }));
  return {
    /** Closes every socket with 1001 (going away: reconnect elsewhere) and stops accepting. */
    dispose: () => server.dispose(),
    clients: () => wsServer.clients.size,
    /** Shared-execution groups and kept payloads (bounded by the live subscribers). */
    sharedStats: () => live.shared.stats(),
    /** Closes every socket with this code, as a restart or a balancer would: clients reconnect and resume. */
    closeAll(code: number, reason: string) { for (const socket of wsServer.clients) socket.close(code, reason); },
  };
}
