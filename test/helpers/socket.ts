import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { CallResult } from './test-server';

/**
 * One graphql-ws connection as a client holds it: its subscriptions' payloads and errors, the code
 * it was closed with, and operations sent over it (queries and mutations run on the socket too).
 */
export interface OpenSocket {
  client: Client;
  /** Resolves once the server acknowledged connection_init. */
  connected: Promise<void>;
  /** The close code, once closed. */
  closedWith(): number | undefined;
  /** Subscribes; what arrives goes to the returned record. */
  subscribe(query: string, variables?: Record<string, unknown>): { payloads: any[]; errors: string[]; completed: boolean };
  /** A query or mutation over the socket: its first error's code ('OK' without one) and data. */
  call(query: string, variables?: Record<string, unknown>): Promise<CallResult>;
  dispose(): Promise<void>;
}

export function openSocket(wsUrl: string, token: string): OpenSocket {
  let code: number | undefined;
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => { connected = resolve; });
  const client = createClient({
    url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, onNonLazyError: () => undefined,
    connectionParams: { authorization: `Bearer ${token}` },
    on: { connected: () => connected(), closed: (event) => { code = (event as { code: number }).code; } },
  });
  const codesOf = (error: unknown): string[] => {
    if (Array.isArray(error)) return error.map((e) => String(e?.extensions?.code));
    return [`closed ${(error as { code?: number })?.code ?? String(error)}`];
  };
  return {
    client,
    connected: ready,
    closedWith: () => code,
    subscribe(query, variables = {}) {
      const record = { payloads: [] as any[], errors: [] as string[], completed: false };
      client.subscribe({ query, variables }, {
        next: (result) => {
          if (result.errors) record.errors.push(...result.errors.map((e) => String(e.extensions?.code)));
          if ((result.data as any)?.boardEvents?.__typename !== 'PresenceChanged') record.payloads.push(result.data);
        },
        error: (error) => { record.errors.push(...codesOf(error)); },
        complete: () => { record.completed = true; },
      });
      return record;
    },
    call(query, variables = {}) {
      return new Promise<CallResult>((resolve) => {
        let data: any = null;
        let errors: any[] | undefined;
        client.subscribe({ query, variables }, {
          next: (result) => { data = result.data ?? null; errors = result.errors as any[] | undefined; },
          error: (error) => resolve({ code: codesOf(error)[0], data: null, errors: Array.isArray(error) ? error : undefined }),
          complete: () => resolve({ code: errors?.length ? String(errors[0].extensions?.code) : 'OK', data, errors }),
        });
      });
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}
