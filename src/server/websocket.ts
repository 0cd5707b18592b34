import type { Server } from 'node:http';
import { createSourceEventStream, execute, getOperationAST, GraphQLError, print, type ExecutionArgs, type ExecutionResult, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Authenticated } from '../modules/user/session.service';
import { createContext, createLazyContext, type Context, type Services } from './context';
import type { GraphQLFormattedError } from 'graphql';
import { BadInputError } from './errors';
import type { Metrics } from './ops/metrics';
import { parseAndValidate } from './limits';
import { authorizationKey, SharedExecution, type SharedPayload } from './shared-execution';
import { SocketSessions, type SocketSession } from './socket-sessions';
import { sendFrame, useTransport } from './ws-transport';

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
}

type Extra = {
  socket: WebSocket;
  request: IncomingMessage;
  /** This socket's identity, checked again on every operation and when its account changes. */
  session?: SocketSession;
  /** Ends the socket's hold on the outbox listener (SocketSessions.retain). */
  release?: () => void;
  subscriptions?: number;
};

/** The context of a socket's operation: its session's current rights, read at every event too. */
type SocketContext = Context & {
  socketSession?: SocketSession;
  /** Where a subscription's events are written directly, serialised once (absent: yielded to graphql-ws). */
  frames?: { socket: WebSocket; id: string };
};

/**
 * graphql-ws on the HTTP server's port and path. Every operation runs as the socket's session
 * stands now (see SocketSessions). A subscription event is executed once per selection and
 * authorization (SharedExecution) and shared by every subscriber in that group: 5,000 screens of
 * P3 at 330300 cost one execution per event.
 */
export function startWebSocketServer(httpServer: Server, schema: GraphQLSchema, services: Services, options: WebSocketOptions) {
  const shared = new SharedExecution(() => options.metrics?.eventExecuted());
  /** An event executed for a group, its errors formatted and the whole serialised: once for all its sockets. */
  async function executeShared(args: ExecutionArgs, payload: { operationName?: string | null; query: string }): Promise<SharedPayload> {
    const result = await execute(args);
    if (!result.errors) return { result, bytes: Buffer.from(JSON.stringify(result)) };
    const errors = formatAll(result.errors);
    options.metrics?.subscriptionErrors(payload, errors);
    const formatted = { ...result, errors } as unknown as ExecutionResult;
    return { result: formatted, bytes: Buffer.from(JSON.stringify(formatted)) };
  }
  const formatAll = (errors: readonly GraphQLError[]) => errors.map((e) => options.formatError(e.toJSON(), e));
  const sessions = new SocketSessions(services.events, options.authenticate, (error) => options.formatError(error.toJSON(), error));

  async function sharedSubscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
    const { after: _after, ...variables } = (args.variableValues ?? {}) as Record<string, unknown>;
    const { socketSession, frames } = args.contextValue as SocketContext;
    const operation = getOperationAST(args.document, args.operationName);
    const root = operation?.selectionSet.selections[0];
    const metricsPayload = { operationName: args.operationName ?? operation?.name?.value, query: '' };
    // A board's events are the same for everyone who may read the board; other streams are a user's own.
    const perUser = !(root?.kind === 'Field' && root.name.value === 'boardEvents');
    const member = shared.join(`${print(args.document)}|${args.operationName ?? ''}|${JSON.stringify(variables)}`,
      () => authorizationKey(socketSession?.auth, perUser));
    const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const mapped: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        for (;;) {
          const step = await iterator.next();
          if (step.done) {
            member.leave();
            return { done: true, value: undefined };
          }
          const event = step.value as { cursor: string };
          // A context of its own per event (a fresh identity map), as the socket's session stands now.
          const payload = await member.result(event.cursor, () => executeShared(
            { ...args, rootValue: event, contextValue: createContext(services, socketSession?.auth) }, metricsPayload));
          options.metrics?.eventFannedOut();
          if (!frames) return { done: false, value: payload.result };
          // The bytes serialised once for the group, with this subscription's id: graphql-ws's own
          // message, without a JSON.stringify per socket.
          await sendFrame(frames.socket, frames.id, payload.bytes);
        }
      },
      async return() {
        member.leave();
        await iterator.return?.();
        return { done: true, value: undefined };
      },
      async throw(error: unknown) {
        member.leave();
        await iterator.return?.();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return mapped;
      },
    };
    return mapped;
  }

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
      ctx.extra.session = sessions.add(ctx.extra.socket, authorization, auth, () => Object.keys(ctx.subscriptions));
      ctx.extra.subscriptions = 0;
      return true;
    },
    onSubscribe: async (ctx, _id, payload) => {
      options.metrics?.subscriptionStarted(payload);
      // Every operation runs as the session stands now, not as it stood at connection_init.
      const ended = ctx.extra.session && await sessions.recheck(ctx.extra.session);
      if (ended) return [ended];
      if ((ctx.extra.subscriptions ?? 0) >= services.config.wsMaxSubscriptions) {
        return [new BadInputError(`At most ${services.config.wsMaxSubscriptions} subscriptions per connection`)];
      }
      // Parsed with the token limit and validated with the same rules as on HTTP; an error here is
      // an error message on this operation (graphql-ws itself would close the socket on a syntax error).
      const document = parseAndValidate(schema, payload.query, payload.variables, services.config.limits, options.rules);
      if (!('kind' in document)) return document;
      if (!getOperationAST(document, payload.operationName)) {
        return [new GraphQLError('Unable to identify the operation: name it with operationName', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })];
      }
      // Counted once valid: graphql-ws calls onComplete only for an operation that started.
      ctx.extra.subscriptions = (ctx.extra.subscriptions ?? 0) + 1;
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
    },
    onComplete: (ctx) => { ctx.extra.subscriptions = Math.max(0, (ctx.extra.subscriptions ?? 1) - 1); },
    onClose: (ctx) => {
      if (ctx.extra.session) sessions.remove(ctx.extra.session);
      ctx.extra.release?.();
    },
    context: (ctx, id): SocketContext => Object.assign(createLazyContext(services, ctx.extra.session?.auth), {
      closeConnection: (code: number, reason: string) => ctx.extra.socket.close(code, reason),
      clientAddress: ctx.extra.request.socket.remoteAddress,
      socketSession: ctx.extra.session,
      frames: { socket: ctx.extra.socket, id },
    }),
    subscribe: sharedSubscribe,
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
  }, wsServer, options.keepAliveMs, (socket, request) => ({ socket, request }));
  return {
    /** Closes every socket with 1001 (going away: reconnect elsewhere) and stops accepting. */
    dispose: () => server.dispose(),
    clients: () => wsServer.clients.size,
    /** Shared-execution groups and kept payloads (bounded by the live subscribers). */
    sharedStats: () => shared.stats(),
    /** Closes every socket with this code, as a restart or a balancer would: clients reconnect and resume. */
    closeAll(code: number, reason: string) { for (const socket of wsServer.clients) socket.close(code, reason); },
  };
}
