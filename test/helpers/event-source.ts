import { EventSource } from 'eventsource';

/**
 * A subscription over Server-Sent Events with the `eventsource` package (the WHATWG EventSource,
 * which reconnects by itself and sends Last-Event-ID), its token as a header. `hosts` are taken in
 * turn, one per connection: a reconnect goes to the next instance, as a balancer might send it.
 */
export function sseSubscribe(urls: string[], token: string, query: string, variables: Record<string, unknown> = {}) {
  const received: { id: string; data: any }[] = [];
  const errors: string[] = [];
  let connections = 0;
  const lastEventIds: (string | null)[] = [];
  const params = `?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(variables))}`;
  const source = new EventSource(`${urls[0]}${params}`, {
    fetch: (input, init) => {
      const url = `${urls[Math.min(connections, urls.length - 1)]}${params}`;
      connections += 1;
      const headers: Record<string, string> = { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` };
      lastEventIds.push(headers['Last-Event-ID'] ?? headers['last-event-id'] ?? null);
      void input;
      return fetch(url, { ...init, headers });
    },
  });
  source.addEventListener('next', (event) => {
    const data = JSON.parse(event.data);
    if (data.errors) errors.push(...data.errors.map((e: any) => String(e.extensions?.code)));
    received.push({ id: event.lastEventId, data: data.data });
  });
  return { source, received, errors, connections: () => connections, lastEventIds, close: () => source.close() };
}
