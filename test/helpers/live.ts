import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { TestServer } from './test-server';

/**
 * Live subscriptions for a test file: `watch` subscribes with a token and returns the payloads as
 * they come (a board's presence events left out); `disposeAll` closes every client (afterEach).
 */
export function liveClients(server: () => TestServer) {
  const clients: Client[] = [];
  return {
    watch(token: string, query: string, variables: Record<string, unknown> = {}): any[] {
      const client = createClient({ url: server().wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
      clients.push(client);
      const got: any[] = [];
      client.subscribe({ query, variables }, {
        next: ({ data }) => { if ((data as any)?.boardEvents?.__typename !== 'PresenceChanged') got.push(data); },
        error: () => undefined, complete: () => undefined,
      });
      return got;
    },
    async disposeAll(): Promise<void> {
      await Promise.all(clients.splice(0).map((c) => c.dispose()));
    },
  };
}
