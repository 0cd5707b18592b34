import type { IncomingMessage } from 'node:http';
import { CloseCode, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { HOLD_BACK_BYTES } from './live-execution';
import { StringPool } from './string-pool';

/**
 * graphql-ws's server on a `ws` WebSocketServer, as graphql-ws's own `use/ws` does it, with what a
 * wall of thousands of screens needs besides: one keep-alive sweep for every socket (not a timer
 * and a pong listener per socket), and `sendFrame`, which writes a frame already serialised
 * (an event's payload is serialised once, for every socket that shares it). Equal messages are
 * kept once (string-pool.ts).
 */
export interface Transport {
  dispose(): Promise<void>;
}

const PROTOCOL = 'graphql-transport-ws';

/** Whether a socket answered the last ping. */
const alive = new WeakMap<WebSocket, boolean>();

export function useTransport<P extends Record<string, unknown>, E extends { socket: WebSocket }>(
  options: ServerOptions<P, E>, wsServer: WebSocketServer, keepAliveMs: number, extra: (socket: WebSocket, request: IncomingMessage) => E,
): Transport {
  // A subscription holds its message as long as it runs: the screens of a wall send the same
  // text, kept once. (No reviver for the values parsed from it: JSON.parse with a reviver recurses,
  // and a message nested 100,000 levels would overflow the stack before the input guard sees it.)
  const messages = new StringPool();
  const server = makeServer<P, E>(options);
  wsServer.options.handleProtocols = (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false);

  const sweep = keepAliveMs > 0 && Number.isFinite(keepAliveMs) ? setInterval(() => {
    for (const socket of wsServer.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      // A socket that did not answer the ping of the last sweep is gone.
      if (alive.get(socket) === false) {
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, keepAliveMs) : undefined;
  sweep?.unref();

  wsServer.on('connection', (socket, request) => {
    alive.set(socket, true);
    socket.on('pong', () => alive.set(socket, true));
    socket.once('error', () => socket.close(CloseCode.InternalServerError, 'Internal server error'));
    const closed = server.opened({
      protocol: socket.protocol,
      send: (data) => new Promise<void>((resolve, reject) => {
        if (socket.readyState !== socket.OPEN) return resolve();
        socket.send(data, (error) => (error ? reject(error) : resolve()));
      }),
      close: (code, reason) => socket.close(code, reason),
      // Not an async handler: a subscription's handling lasts as long as it runs, and would keep the raw message.
      onMessage: (cb) => socket.on('message', (data) => {
        cb(messages.intern(String(data))).catch((error: unknown) => {
          console.error('websocket message:', error);
          socket.close(CloseCode.InternalServerError, 'Internal server error');
        });
      }),
    }, extra(socket, request));
    socket.once('close', (code, reason) => { void closed(code, String(reason)); });
  });

  return {
    async dispose() {
      if (sweep) clearInterval(sweep);
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
    },
  };
}


/**
 * Writes a `next` message whose payload is already serialised: only the id differs from one
 * subscriber to the next, so it is spliced in. A socket that keeps up (little waiting to be
 * written) goes on at once: undefined. One that does not is held back: the promise resolves once
 * this message is written, and meanwhile its events wait in its own queue, where they can be
 * merged or overflow.
 */
export function sendFrame(socket: WebSocket, id: string, payload: Buffer): Promise<void> | undefined {
  if (socket.readyState !== socket.OPEN) return undefined;
  const frame = frameOf(id, payload);
  if (socket.bufferedAmount < HOLD_BACK_BYTES) {
    socket.send(frame, SEND);
    return undefined;
  }
  return new Promise<void>((resolve) => socket.send(frame, SEND, () => resolve()));
}

const SEND = { binary: false } as const;

const CLOSE_BRACE = Buffer.from('}');

/**
 * The message of `payload` for subscription `id`, made once per id: clients mostly number their
 * first subscription "1", so the sockets of a board share one buffer as well as one payload (ws
 * sends a server's buffer as it is, unmasked and uncopied).
 */
const frames = new WeakMap<Buffer, Map<string, Buffer>>();
function frameOf(id: string, payload: Buffer): Buffer {
  let byId = frames.get(payload);
  if (!byId) frames.set(payload, (byId = new Map()));
  let frame = byId.get(id);
  if (!frame) {
    frame = Buffer.concat([Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`), payload, CLOSE_BRACE]);
    // A few ids per payload are worth keeping; a client with its own numbering gets its own buffer.
    if (byId.size < 16) byId.set(id, frame);
  }
  return frame;
}
