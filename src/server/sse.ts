import type { Request, RequestHandler, Response } from 'express';
import { getOperationAST, type GraphQLError, type GraphQLFormattedError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/express';
import type { Authenticated } from '../modules/user/session.service';
import { createLazyContext } from './context';
import type { Services } from '../core/context';
import { UnauthenticatedError } from '../core/errors';
import type { InFlight } from './in-flight';
import { parseAndValidate } from './limits';
import type { DocumentCache } from './document-cache';
import type { ReadCost } from './read-cost';
import { HOLD_BACK_BYTES, type Live, type LiveContext } from './live-execution';
import type { SocketSession } from './socket-sessions';

export interface SseOptions {
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** The validation rules beyond graphql-js's own (limits, introspection), as on HTTP and WebSocket. */
  rules: readonly ValidationRule[];
  /** What an operation would read, priced before it runs, as on HTTP and WebSocket. */
  readCost?: ReadCost;
  /** Each user's operations in flight, bounded as on HTTP and WebSocket. */
  inFlight?: InFlight;
  /** Documents parsed and validated once per text, shared with the WebSocket. */
  documents?: DocumentCache;
}

/** What one stream request carries from its authentication to its events. */
interface Stream {
  auth: Authenticated;
  session: SocketSession;
  res: Response;
  /** Until graphql-sse's first write (after the response's head): frames wait for it. */
  opening: Promise<void> | undefined;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

function refusal(status: number, errors: GraphQLFormattedError[]): [string, { status: number; statusText: string; headers: Record<string, string> }] {
  return [JSON.stringify({ errors }), { status, statusText: status === 401 ? 'Unauthorized' : 'Bad Request', headers: JSON_HEADERS }];
}

/**
 * Subscriptions over Server-Sent Events (graphql-sse, distinct connections mode: one request per
 * subscription), for networks whose proxies refuse the WebSocket upgrade. The same token
 * (`Authorization: Bearer …`), limits, authorization and event stream as the WebSocket. Each
 * event's SSE `id` is its cursor, so a reconnecting EventSource's `Last-Event-ID` resumes after it
 * (it fills the operation's `$after`), with no gap and no repeat. The stream ends when its session does.
 */
export function sseHandler(schema: GraphQLSchema, services: Services, live: Live, options: SseOptions): { handle: RequestHandler; close(): void } {
  const streams = new WeakMap<object, Stream>();
  const open = new Set<Response>();
  const format = (error: GraphQLError) => options.formatError(error.toJSON(), error);
  const handler = createHandler({
    schema,
    // One stream per request: no reservations (single connection mode) to authenticate.
    authenticate: () => null as unknown as string,
    onSubscribe: async (req, params) => {
      const stream = streams.get(req.raw as object);
      if (!stream) return refusal(401, [format(new UnauthenticatedError('Sign in first: send Authorization: Bearer <token> from login'))]);
      const lastEventId = req.headers.get('last-event-id');
      const variables = { ...(params.variables ?? {}), ...(lastEventId ? { after: lastEventId } : {}) };
      const document = await parseAndValidate(schema, params.query, variables, services.config.limits, options.rules, options.readCost, params.operationName, options.documents);
      if (!('kind' in document)) return refusal(400, document.map(format));
      const operation = getOperationAST(document, params.operationName);
      if (operation?.operation !== 'subscription') {
        return refusal(400, [{ message: 'Only subscriptions are served here; queries and mutations go to POST /graphql', extensions: { code: 'BAD_REQUEST' } }]);
      }
      const contextValue: LiveContext = Object.assign(createLazyContext(services, stream.auth), {
        socketSession: stream.session,
        clientAddress: (req.raw as Request).socket.remoteAddress,
        // A stream too slow for its events is dropped, not completed: an EventSource reconnects with its Last-Event-ID.
        closeConnection: () => stream.res.destroy(),
        frames: (payload: Buffer, cursor: string) => (stream.opening ? stream.opening.then(() => writeFrame(stream.res, payload, cursor))
          : writeFrame(stream.res, payload, cursor)),
      });
      return { schema, document, operationName: params.operationName, variableValues: variables, contextValue: contextValue as unknown as Record<string, unknown> };
    },
    subscribe: options.inFlight ? options.inFlight.wrap((args) => live.subscribe(args), { waits: true }) : (args) => live.subscribe(args),
  });

  const handle: RequestHandler = async (req, res, next) => {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('text/event-stream')) {
      res.status(406).json({ errors: [{ message: 'This is the event stream: send Accept: text/event-stream', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    // graphql-sse matches the header exactly.
    req.headers.accept = 'text/event-stream';
    const release = live.sessions.retain();
    try {
      const auth = await live.sessions.authenticateHeader(req.headers.authorization);
      if (auth) {
        const stream: Stream = { auth, res, opening: firstWrite(res), session: undefined as unknown as SocketSession };
        void stream.opening!.then(() => { stream.opening = undefined; });
        stream.session = live.sessions.add({ fail: (errors) => endStream(res, errors) }, req.headers.authorization, auth);
        streams.set(req, stream);
        res.once('close', () => live.sessions.remove(stream.session));
      }
      open.add(res);
      res.once('close', () => {
        open.delete(res);
        release();
      });
      await handler(req, res);
    } catch (error) {
      release();
      next(error);
    }
  };
  return {
    handle,
    /** At shutdown: ends every stream (an EventSource reconnects, elsewhere, with its Last-Event-ID). */
    close() { for (const res of open) res.end(); },
  };
}

/** Resolves at the response's first write: graphql-sse's, once it has sent the head. */
function firstWrite(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const write = res.write;
    res.write = function (this: Response, ...args: unknown[]) {
      res.write = write;
      const written = (write as (...a: unknown[]) => boolean).apply(this, args);
      resolve();
      return written;
    } as typeof res.write;
  });
}


/**
 * Writes an event's `next` message, its payload serialised once for every stream that shares it
 * and its cursor as the SSE `id` (a reconnecting EventSource sends it back as Last-Event-ID). A
 * response that keeps up goes on at once (undefined); one that does not is held back until
 * this message is written, its events waiting in its own queue meanwhile.
 */
function writeFrame(res: Response, payload: Buffer, cursor: string): Promise<void> | undefined {
  if (!res.writable) return undefined;
  const frame = frameOf(payload, cursor);
  if (res.writableLength < HOLD_BACK_BYTES) {
    res.write(frame);
    return undefined;
  }
  return new Promise<void>((resolve) => res.write(frame, () => resolve()));
}

const END_OF_EVENT = Buffer.from('\n\n');

/** One event's message, made once per payload: every stream of a board writes the same buffer. */
const frames = new WeakMap<Buffer, Buffer>();
function frameOf(payload: Buffer, cursor: string): Buffer {
  let frame = frames.get(payload);
  if (!frame) frames.set(payload, (frame = Buffer.concat([Buffer.from(`id: ${cursor}\nevent: next\ndata: `), payload, END_OF_EVENT])));
  return frame;
}

/** A session that ended: its error as the stream's last event, then the end. */
function endStream(res: Response, errors: GraphQLFormattedError[]): void {
  if (!res.writable) return;
  res.write(`event: next\ndata: ${JSON.stringify({ errors })}\n\nevent: complete\ndata:\n\n`);
  res.end();
}
