import { randomUUID } from 'node:crypto';
import cors from 'cors';
import express, { type Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import type { Context, Services } from '../../core/context';
import type { Authenticated } from '../user/session.service';
import { bulletinDocument } from './bulletin.document';
import { BulletinRefusal, isDay, readBulletin } from './bulletin.read';

export interface BulletinRoutesOptions {
  services: Services;
  /** The user a bearer token names, as /graphql reads it: undefined without one, 'invalid' for a bad one. */
  authenticate(authorization: unknown): Promise<Authenticated | 'invalid' | undefined>;
  /** A request's context for the signed-in user, as /graphql makes it. */
  context(auth: Authenticated): Context;
  /** Runs a query as /graphql would (the figures cache included). */
  execute(query: string, variables: Record<string, unknown>, ctx: Context): Promise<{ data?: unknown; errors?: readonly GraphQLFormattedError[] }>;
}

export const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

const HTTP_OF_CODE: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, BAD_USER_INPUT: 400, LIMIT_EXCEEDED: 400, SERVICE_UNAVAILABLE: 503 };
const PROGRAMME_CODE = /^[A-Za-z0-9_-]{1,32}$/;
const REGION_CODE = /^\d{6,12}$/;

function refuse(res: Response, http: number, code: string, message: string, field?: string): void {
  res.status(http).json({ status: 'ERROR', code, message, ...(field ? { field } : {}) });
}

/**
 * `GET /export/bulletin.docx?programme=P3&region=330300&asOf=2019-06-30` (every programme of the
 * year without `programme`; today without `asOf`): the bulletin (通报) as a Word document, read
 * through the API with the bearer token of /graphql, so whoever may read the board may have its
 * bulletin, and nobody else.
 */
export function bulletinRoutes(options: BulletinRoutesOptions): express.Router {
  const { services } = options;
  const router = express.Router();
  router.use('/export/bulletin.docx', cors());

  router.get('/export/bulletin.docx', async (req, res) => {
    try {
      const auth = await options.authenticate(req.headers.authorization);
      if (auth === 'invalid') return refuse(res, 401, 'UNAUTHENTICATED', 'Your token is invalid, has expired or was revoked; sign in again');
      if (!auth) return refuse(res, 401, 'UNAUTHENTICATED', 'Sign in first: send Authorization: Bearer <token> from login');
      const { programme, region, asOf } = req.query;
      if (programme !== undefined && (typeof programme !== 'string' || !PROGRAMME_CODE.test(programme))) {
        return refuse(res, 400, 'BAD_USER_INPUT', 'programme is a programme\'s code (P3), or leave it out for every programme', 'programme');
      }
      if (typeof region !== 'string' || !REGION_CODE.test(region)) {
        return refuse(res, 400, 'BAD_USER_INPUT', 'Name the region by its GB/T 2260 code: ?region=330300', 'region');
      }
      if (asOf !== undefined && (typeof asOf !== 'string' || !isDay(asOf))) {
        return refuse(res, 400, 'BAD_USER_INPUT', 'asOf is a day, YYYY-MM-DD (2019-06-30), or leave it out for today', 'asOf');
      }
      const day = asOf ?? services.clock.today();
      const ctx = options.context(auth);
      const bulletin = await readBulletin((query, variables) => options.execute(query, variables, ctx), ctx.em, services.clock.timeZone,
        { programme, region, asOf: day });
      const file = await bulletinDocument(bulletin);
      res.setHeader('content-type', DOCX_TYPE);
      res.setHeader('content-disposition', `attachment; filename="bulletin-${programme ?? 'all'}-${region}-${day}.docx"`);
      res.send(file);
    } catch (error) {
      if (res.headersSent) return;
      if (error instanceof BulletinRefusal) return refuse(res, HTTP_OF_CODE[error.code] ?? 500, error.code, error.message, error.field);
      const errorId = randomUUID();
      console.error(`error ${errorId}:`, error);
      refuse(res, 500, 'INTERNAL_SERVER_ERROR', `Internal server error (id ${errorId})`);
    }
  });
  return router;
}
