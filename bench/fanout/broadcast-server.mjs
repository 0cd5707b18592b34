/**
 * The bare baseline of the fan-out benchmark: a plain `ws` server (no GraphQL, no database, no
 * per-subscriber state) in its own process. `POST /broadcast?seq=N&bytes=B&parts=K` answers 202 at
 * once, then sends K text messages (1 by default) of exactly B bytes each (each built once,
 * `{"id":"1","type":"next","payload":{"seq":N,"part":k,"pad":"…"}}`, the same string to every
 * socket) to every open socket, one message to every socket before the next: what a Duban
 * submission sends (the county's event, then the city's). The physical limit of pushing Duban's
 * messages to N sockets from one Node process on this machine.
 *
 * Env: PORT (0: any free one). Prints `Broadcast ready: ws://127.0.0.1:PORT/` when listening.
 */
import { createServer } from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';

function message(seq, part, bytes) {
  const head = `{"id":"1","type":"next","payload":{"seq":${seq},"part":${part},"pad":"`;
  const tail = '"}}';
  return head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail;
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'POST' && url.pathname === '/broadcast') {
    const seq = Number(url.searchParams.get('seq'));
    const bytes = Number(url.searchParams.get('bytes'));
    const parts = Number(url.searchParams.get('parts') ?? 1);
    req.resume();
    res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ clients: wss.clients.size }));
    setImmediate(() => {
      for (let part = 0; part < parts; part++) {
        const text = message(seq, part, bytes);
        for (const ws of wss.clients) if (ws.readyState === WebSocket.OPEN) ws.send(text);
      }
    });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/clients') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ clients: wss.clients.size }));
    return;
  }
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`Broadcast ready: ws://127.0.0.1:${server.address().port}/`);
});
process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
