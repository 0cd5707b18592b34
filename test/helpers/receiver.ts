import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got. */
export interface Received {
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
  json: any;
}

/** What a receiver does with its n-th request (from 1): answer with a status and a body, or never answer. */
export type Behaviour = (n: number) => { status: number; body: string } | 'hang';

/** DingTalk's and WeCom's answer to a message they took. */
export const ACCEPT: Behaviour = () => ({ status: 200, body: '{"errcode":0,"errmsg":"ok"}' });

export interface Receiver {
  /** The receiver's base URL on 127.0.0.1. */
  url: string;
  requests: Received[];
  /** Requests it holds without answering. */
  hanging(): number;
  close(): Promise<void>;
}

/** A local HTTP receiver (node:http on 127.0.0.1, port 0): records every request, answers as `behaviour` says. */
export async function startReceiver(behaviour: Behaviour = ACCEPT): Promise<Receiver> {
  const requests: Received[] = [];
  const held = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try { json = JSON.parse(body); } catch { json = undefined; }
      requests.push({ url: new URL(req.url ?? '/', 'http://127.0.0.1'), headers: req.headers, body, json });
      const answer = behaviour(requests.length);
      if (answer === 'hang') {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    hanging: () => held.size,
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
