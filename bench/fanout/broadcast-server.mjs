/**
 * The bare baseline of the fan-out benchmark: a plain `ws` server (no GraphQL, no database, no
 * per-subscriber state) in its own process. `POST /broadcast?seq=N&bytes=B` answers 202 at once,
 * then sends ONE text message of exactly B bytes (built once, `{"id":"1","type":"next","payload":{"seq":N,"pad":"…"}}`,
 * the same string to every socket) to every open socket. The physical limit of pushing a message
 * of Duban's size to N sockets from one Node process on this machine.
 *
 * Env: PORT (0: any free one). Prints `Broadcast ready: ws://127.0.0.1:PORT/` when listening.
 */
import { createServer } from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';

function message(seq, bytes) {
  const head = `{"id":"1","type":"next","payload":{"seq":${seq},"pad":"`;
  const tail = '"}}';
  return head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail;
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'POST' && url.pathname === '/broadcast') {
    const seq = Number(url.searchParams.get('seq'));
    const bytes = Number(url.searchParams.get('bytes'));
    req.resume();
    res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ clients: wss.clients.size }));
    setImmediate(() => {
      const text = message(seq, bytes);
      for (const ws of wss.clients) if (ws.readyState === WebSocket.OPEN) ws.send(text);
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
