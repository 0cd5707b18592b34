import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import type { Config } from '../../config';

export type { Logger };

/** pino-pretty, where it is installed (a development dependency): readable lines in development. */
function prettyTransport(config: Config): pino.TransportSingleOptions | undefined {
  if (config.env !== 'development') return undefined;
  try {
    require.resolve('pino-pretty');
  } catch {
    return undefined;
  }
  return { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } };
}

/**
 * The server's JSON logs: one line per event, at `LOG_LEVEL`; pretty in development when pino-pretty
 * is installed. `destination` takes the lines elsewhere (tests read them).
 */
export function createLogger(config: Config, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = { level: config.logLevel, base: { service: 'duban' } };
  const transport = destination ? undefined : prettyTransport(config);
  if (transport) return pino({ ...options, transport });
  return destination ? pino(options, destination) : pino(options);
}

/** An id a client or balancer sent (X-Request-Id), if it is short and plain; else a new one. */
const CLIENT_ID = /^[\w.:-]{1,128}$/;

/** The URL as logged: a token in the query (the board's `?token=`) is never written down. */
export function loggedUrl(url: string | undefined): string {
  if (!url) return '';
  return url.replace(/([?&]token=)[^&]*/gi, '$1[redacted]');
}

/**
 * One log line per HTTP request, with a request id: the client's `X-Request-Id` if it sent a
 * sane one, else a new UUID; the response carries it back. No headers are logged (a token is one).
 */
export function createRequestLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const sent = req.headers['x-request-id'];
      const id = typeof sent === 'string' && CLIENT_ID.test(sent) ? sent : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel(_req, res, error) {
      if (error || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({ id: req.id, method: req.method, url: loggedUrl(req.url), remoteAddress: req.remoteAddress }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    // Liveness and metrics probes every few seconds would drown the log.
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
  });
}
