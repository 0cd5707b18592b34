import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { Kind, parse, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { playgroundTabs } from '../../web/playground/playground';
import type { Context, Services } from '../../core/context';

/** Paths measured by name; any other is `other`, so a scan of random URLs cannot grow the series. */
const ROUTES = ['/graphql', '/board', '/playground', '/healthz', '/readyz', '/metrics'];

function routeOf(path: string): string {
  if (path === '/') return '/';
  return ROUTES.find((r) => path === r || path.startsWith(`${r}/`)) ?? 'other';
}

/** The contract's operations, as the build copies them beside dist; none where they are not. */
function contractTabs(): { query: string }[] {
  try {
    return playgroundTabs();
  } catch {
    return [];
  }
}

/**
 * The operation names a label may take: the contract's (`test/contract/`, what real clients send)
 * and the schema's root fields, as written and capitalised (`me`, `Me`). Clients choose names, so
 * any other is `other`: a client that sends a new name each time cannot grow the series.
 */
export function knownOperationNames(schema: GraphQLSchema | undefined, contract = contractTabs()): Set<string> {
  const names = new Set<string>();
  for (const { query } of contract) {
    for (const definition of parse(query).definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) names.add(definition.name.value);
    }
  }
  for (const root of [schema?.getQueryType(), schema?.getMutationType(), schema?.getSubscriptionType()]) {
    for (const field of Object.keys(root?.getFields() ?? {})) {
      names.add(field);
      names.add(field[0].toUpperCase() + field.slice(1));
    }
  }
  return names;
}

/** A WebSocket subscribe message's operation: the name it gives, else the document's first. */
function operationOf(payload: { operationName?: string | null; query: string }): string | undefined {
  return payload.operationName ?? /^[ \t]*(?:subscription|query|mutation)[ \t]+(\w+)/m.exec(payload.query)?.[1];
}

export interface MetricsSources {
  /** WebSocket connections open now. */
  webSocketClients(): number;
}

/**
 * This server's Prometheus metrics, in a registry of its own (several servers can share a process,
 * as the tests do). Gauges that read the present (sockets, subscriptions, outbox lag) are computed
 * when scraped.
 */
export function createMetrics(services: Services, schema?: GraphQLSchema) {
  const known = knownOperationNames(schema);
  /** An operation name as a label: a known one, `anonymous` without a name, `other` for the rest. */
  const operationLabel = (name: string | null | undefined): string => (!name ? 'anonymous' : known.has(name) ? name : 'other');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'duban_' });
  let sources: MetricsSources | undefined;

  const httpDuration = new Histogram({
    name: 'duban_http_request_duration_seconds',
    help: 'HTTP requests, by method, route and status, with their duration',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const operations = new Counter({
    name: 'duban_graphql_operations_total',
    help: 'GraphQL operations, by operation name and type (query, mutation, subscription)',
    labelNames: ['operation', 'type'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'duban_graphql_errors_total',
    help: 'Errors in GraphQL responses, by operation name and extensions.code',
    labelNames: ['operation', 'code'] as const,
    registers: [registry],
  });
  const fannedOut = new Counter({
    name: 'duban_events_fanned_out_total',
    help: 'Live events sent to subscribers (one per subscriber per event)',
    registers: [registry],
  });
  const executed = new Counter({
    name: 'duban_event_payloads_executed_total',
    help: 'Event payloads executed (one per event per distinct selection, shared by its subscribers)',
    registers: [registry],
  });
  new Gauge({
    name: 'duban_websocket_connections',
    help: 'WebSocket connections open now',
    registers: [registry],
    collect() { this.set(sources?.webSocketClients() ?? 0); },
  });
  new Gauge({
    name: 'duban_subscriptions',
    help: 'Live subscriptions following the outbox on this instance now',
    registers: [registry],
    collect() { this.set(services.events.listenerCount); },
  });
  new Gauge({
    name: 'duban_outbox_lag_events',
    help: 'Events in the outbox that this instance has not yet handed to its subscribers',
    registers: [registry],
    async collect() {
      try {
        const [{ last_seq: last }] = await services.em.fork().getConnection().execute<{ last_seq: string }[]>('select last_seq from outbox_sequence where id');
        const lag = BigInt(last) - services.events.head;
        this.set(Number(lag > 0n ? lag : 0n));
      } catch {
        // The database is away: /readyz says so; the gauge keeps its last value.
      }
    },
  });

  const countErrors = (operation: string, list: readonly GraphQLFormattedError[] | undefined) => {
    for (const error of list ?? []) errors.inc({ operation, code: String(error.extensions?.code ?? 'UNKNOWN') });
  };

  return {
    registry,
    /** The WebSocket server, once it exists. */
    setSources(s: MetricsSources) { sources = s; },
    /** Times every HTTP request, labelled when it finishes. */
    httpMiddleware: ((req, res, next) => {
      const end = httpDuration.startTimer();
      const route = routeOf(req.path); // now: routers mounted on a path rewrite it on the way
      res.on('finish', () => end({ method: req.method, route, status: String(res.statusCode) }));
      next();
    }) as RequestHandler,
    /** GraphQL over HTTP: each operation and the codes of its errors. */
    apolloPlugin(): ApolloServerPlugin<Context> {
      return {
        async requestDidStart() {
          return {
            async willSendResponse(rc) {
              const operation = operationLabel(rc.operationName);
              operations.inc({ operation, type: rc.operation?.operation ?? 'unknown' });
              const body = rc.response.body;
              countErrors(operation, body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors);
            },
          };
        },
      };
    },
    /** GraphQL over WebSocket: a subscription started, and errors it met. */
    subscriptionStarted(payload: { operationName?: string | null; query: string }) {
      operations.inc({ operation: operationLabel(operationOf(payload)), type: 'subscription' });
    },
    subscriptionErrors(payload: { operationName?: string | null; query: string }, list: readonly GraphQLFormattedError[]) {
      countErrors(operationLabel(operationOf(payload)), list);
    },
    eventFannedOut() { fannedOut.inc(); },
    eventExecuted() { executed.inc(); },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
