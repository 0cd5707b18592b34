import type { Server } from 'node:http';
import { createSourceEventStream, execute, getOperationAST, GraphQLError, print, type ExecutionArgs, type ExecutionResult, type GraphQLSchema, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Authenticated } from '../modules/user/session.service';
import { createContext, createLazyContext, type Context, type Services } from './context';
import type { GraphQLFormattedError } from 'graphql';
import { BadInputError } from './errors';
import type { Metrics } from './ops/metrics';
import { parseAndValidate } from './limits';
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
  /** Operations by hash, and which ones a caller may send. */
  trusted: TrustedDocuments;
}

type Extra = {
  socket: WebSocket;
  auth?: Authenticated;
  subscriptions?: number;
};

/** How long an executed event payload is kept for the other subscribers with the same selection. */
const SHARED_FOR_MS = 30_000;

/**
 * graphql-ws on the HTTP server's port and path. A subscription event is executed once per
 * distinct selection (document, operation, variables but the resume cursor) and the result shared
 * by every subscriber with that selection: 5,000 boards on P3 at 330300 cost one execution per event.
 */
export function startWebSocketServer(httpServer: Server, schema: GraphQLSchema, services: Services, options: WebSocketOptions) {
  const shared = new Map<string, Promise<ExecutionResult>>();
  const selections = new Map<string, number>();
  const formatAll = (errors: readonly GraphQLError[]) => errors.map((e) => options.formatError(e.toJSON(), e));

  async function sharedSubscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
    const { after: _after, ...variables } = (args.variableValues ?? {}) as Record<string, unknown>;
    const { user, session } = args.contextValue as Context;
    const auth = user && session ? { user, session } : undefined;
    // The selection, as a short id: the per-event key is then small, whatever the document's length.
    const text = `${print(args.document)}|${args.operationName ?? ''}|${JSON.stringify(variables)}`;
    let selection = selections.get(text);
    if (selection === undefined) {
      selection = selections.size;
      selections.set(text, selection);
    }
    const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const mapped: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        const step = await iterator.next();
        if (step.done) return { done: true, value: undefined };
        const root = step.value as { cursor: string };
        const key = `${root.cursor}|${selection}`;
        let result = shared.get(key);
        if (!result) {
          // A context of its own per event: a fresh identity map, never one held for the subscription's life.
          options.metrics?.eventExecuted();
          result = Promise.resolve(execute({ ...args, rootValue: root, contextValue: createContext(services, auth) }));
          shared.set(key, result);
          setTimeout(() => shared.delete(key), SHARED_FOR_MS).unref();
        }
        const value = await result;
        options.metrics?.eventFannedOut();
        return { done: false, value };
      },
      async return() {
        await iterator.return?.();
        return { done: true, value: undefined };
      },
      async throw(error: unknown) {
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
  const server = useServer<{ authorization?: unknown }, Extra>({
    schema,
    connectionInitWaitTimeout: options.connectionInitWaitTimeout,
    onConnect: async (ctx) => {
      const auth = await options.authenticate(ctx.connectionParams?.authorization);
      if (!auth || auth === 'invalid') return false; // graphql-ws closes with 4403 Forbidden
      ctx.extra.auth = auth;
      ctx.extra.subscriptions = 0;
      return true;
    },
    onSubscribe: (ctx, _id, payload) => {
      options.metrics?.subscriptionStarted(payload);
      if ((ctx.extra.subscriptions ?? 0) >= services.config.wsMaxSubscriptions) {
        return [new BadInputError(`At most ${services.config.wsMaxSubscriptions} subscriptions per connection`)];
      }
      // Parsed with the token limit and validated with the same rules as on HTTP; an error here is
      // an error message on this operation (graphql-ws itself would close the socket on a syntax error).
      const query = resolveSubscribeQuery(options.trusted, payload);
      if (typeof query !== 'string') return query;
      const document = parseAndValidate(schema, query, payload.variables, services.config.limits, options.rules);
      if (!('kind' in document)) return document;
      if (!options.trusted.allows(document, ctx.extra.auth?.user)) return [trustedDocumentRequired()];
      if (!getOperationAST(document, payload.operationName)) {
        return [new GraphQLError('Unable to identify the operation: name it with operationName', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })];
      }
      // Counted once valid: graphql-ws calls onComplete only for an operation that started.
      ctx.extra.subscriptions = (ctx.extra.subscriptions ?? 0) + 1;
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
    },
    onComplete: (ctx) => { ctx.extra.subscriptions = Math.max(0, (ctx.extra.subscriptions ?? 1) - 1); },
    context: (ctx) => Object.assign(createLazyContext(services, ctx.extra.auth), {
      closeConnection: (code: number, reason: string) => ctx.extra.socket.close(code, reason),
      clientAddress: ctx.extra.request.socket.remoteAddress,
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
  }, wsServer, options.keepAliveMs);
  return {
    /** Closes every socket with 1001 (going away: reconnect elsewhere) and stops accepting. */
    dispose: () => server.dispose(),
    clients: () => wsServer.clients.size,
    /** Closes every socket with this code, as a restart or a balancer would: clients reconnect and resume. */
    closeAll(code: number, reason: string) { for (const socket of wsServer.clients) socket.close(code, reason); },
  };
}
