import { randomUUID } from 'node:crypto';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import type { Context, Services } from '../../core/context';
import type { Authenticated } from '../user/session.service';
import { boardWorkbook, BOARD_EXPORT_QUERY, type BoardExportData } from './board.export';
import { IMPORT_KINDS, type ImportKind } from './spreadsheet.columns';
import { importSheet, type ImportSummary } from './spreadsheet.import';
import { NotASpreadsheetError, readSheet, SheetShapeError, SheetTooLargeError } from './spreadsheet.read';

export interface SpreadsheetRoutesOptions {
  services: Services;
  /** The user a bearer token names, as /graphql reads it: undefined without one, 'invalid' for a bad one. */
  authenticate(authorization: unknown): Promise<Authenticated | 'invalid' | undefined>;
  /** A request's context for the signed-in user, as /graphql makes it (its unit of work announces the import's facts). */
  context(auth: Authenticated): Context;
  /** Runs a query as /graphql would (the figures cache included). */
  execute(query: string, variables: Record<string, unknown>, ctx: Context): Promise<{ data?: unknown; errors?: readonly GraphQLFormattedError[] }>;
  /** The largest file accepted, in bytes; 5 MiB by default. */
  maxBytes?: number;
  /** The most data rows in one file; 5,000 by default. */
  maxRows?: number;
}

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** An answer that is not an import summary: a file that cannot be read, or a request refused. */
function refuse(res: Response, http: number, code: string, message: string, field?: unknown): void {
  res.status(http).json({ status: 'ERROR', code, message, ...(typeof field === 'string' ? { field } : {}) });
}

const HTTP_OF_CODE: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, BAD_USER_INPUT: 400 };

/**
 * The first file of a multipart/form-data body (a browser form, `FormData`), or undefined when
 * the body has none.
 */
export function firstFilePart(body: Buffer, contentType: string): Buffer | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) return undefined;
    const part = body.subarray(start + delimiter.length, next);
    const headersEnd = part.indexOf('\r\n\r\n');
    if (headersEnd >= 0 && /filename=/i.test(part.subarray(0, headersEnd).toString('utf8'))) {
      // The part's content, without the CRLF that precedes the next delimiter.
      return part.subarray(headersEnd + 4, part.length - 2);
    }
    start = next;
  }
  return undefined;
}

/** SUCCESS is 200; a file with a row the user may not write, 403; any other conflict, 409 (nothing written). */
function httpStatus(summary: ImportSummary): number {
  if (summary.status === 'SUCCESS') return 200;
  return summary.conflicts.some((c) => c.code === 'FORBIDDEN') ? 403 : 409;
}

/**
 * `POST /import/submissions`, `/import/targets` and `/import/trajectories` (the file as the body or as a form's
 * file field, `?dryRun=true` to
 * check without writing) and `GET /export/board.xlsx?programme=P3&region=330300[&asOf=]`, with
 * the bearer token of /graphql and the permissions of its mutations.
 */
export function spreadsheetRoutes(options: SpreadsheetRoutesOptions): express.Router {
  const { services } = options;
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const maxRows = options.maxRows ?? 5_000;
  const router = express.Router();

  const signedIn = async (req: Request, res: Response): Promise<Authenticated | undefined> => {
    const auth = await options.authenticate(req.headers.authorization);
    if (auth === 'invalid') refuse(res, 401, 'UNAUTHENTICATED', 'Your token is invalid, has expired or was revoked; sign in again');
    else if (!auth) refuse(res, 401, 'UNAUTHENTICATED', 'Sign in first: send Authorization: Bearer <token> from login');
    return auth === 'invalid' ? undefined : auth;
  };

  router.use(['/import', '/export'], cors());

  router.post('/import/:kind', async (req, res, next) => {
    try {
      const kind = req.params.kind as ImportKind;
      if (!IMPORT_KINDS.includes(kind)) return refuse(res, 404, 'NOT_FOUND', 'Import submissions, targets or trajectories: POST /import/submissions, /import/targets or /import/trajectories');
      const auth = await signedIn(req, res);
      if (!auth) return;
      // The body is read only for a signed-in user; a file over the limit is refused unread.
      express.raw({ type: () => true, limit: maxBytes })(req, res, async (error?: unknown) => {
        try {
          if (error) return next(error);
          const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          const contentType = req.headers['content-type'] ?? '';
          const data = /^multipart\/form-data/i.test(contentType) ? firstFilePart(body, contentType) ?? Buffer.alloc(0) : body;
          if (data.length === 0) return refuse(res, 400, 'BAD_USER_INPUT', 'No file: send the .xlsx or .csv file as the request body, or as a file field of a form');
          const sheet = await readSheet(data, kind);
          const dryRun = /^(1|true|yes|on)$/i.test(String(req.query.dryRun ?? ''));
          const summary = await importSheet(options.context(auth).work, auth.user, kind, sheet, { dryRun, maxRows });
          res.status(httpStatus(summary)).json(summary);
        } catch (inner) {
          next(inner);
        }
      });
    } catch (error) {
      next(error);
    }
  });

  router.get('/export/board.xlsx', async (req, res, next) => {
    try {
      const auth = await signedIn(req, res);
      if (!auth) return;
      const { programme, region, asOf } = req.query;
      if (typeof programme !== 'string' || typeof region !== 'string' || (asOf !== undefined && typeof asOf !== 'string')) {
        return refuse(res, 400, 'BAD_USER_INPUT', 'Name the board: ?programme=P3&region=330300 (and asOf=YYYY-MM-DD for a past day)');
      }
      const ctx = options.context(auth);
      const result = await options.execute(BOARD_EXPORT_QUERY, { programme, region, asOf }, ctx);
      const failure = result.errors?.[0];
      if (failure || !result.data) {
        const code = String(failure?.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
        return refuse(res, HTTP_OF_CODE[code] ?? 500, code, failure?.message ?? 'The board could not be read', failure?.extensions?.field);
      }
      const day = asOf ?? services.clock.today();
      const file = await boardWorkbook(result.data as BoardExportData, day);
      res.setHeader('content-type', XLSX_TYPE);
      res.setHeader('content-disposition', `attachment; filename="board-${programme}-${region}-${day}.xlsx"`.replace(/[^\x20-\x7e]/g, '_'));
      res.send(file);
    } catch (error) {
      next(error);
    }
  });

  // What a request can get wrong, as the import's answers put it; anything else is masked with an id.
  router.use(['/import', '/export'], (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') return refuse(res, 413, 'PAYLOAD_TOO_LARGE', `The file is larger than ${maxBytes} bytes; split it`);
    if (error instanceof SheetTooLargeError) return refuse(res, 413, 'PAYLOAD_TOO_LARGE', error.message);
    if (error instanceof NotASpreadsheetError) return refuse(res, 415, 'UNSUPPORTED_MEDIA_TYPE', error.message);
    if (error instanceof SheetShapeError) return refuse(res, 400, 'BAD_USER_INPUT', error.message);
    if (type === 'request.aborted') return refuse(res, 400, 'BAD_REQUEST', 'The upload was cut off');
    const errorId = randomUUID();
    console.error(`error ${errorId}:`, error);
    refuse(res, 500, 'INTERNAL_SERVER_ERROR', `Internal server error (id ${errorId})`);
  });
  return router;
}
