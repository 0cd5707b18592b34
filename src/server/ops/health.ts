import { Router, type Request } from 'express';
import { authenticate } from '../../modules/user/session.service';
import { Role } from '../../modules/user/user.entity';
import type { Services } from '../../core/context';
import type { Metrics } from './metrics';

/** How long a readiness check may take before it counts as down, in ms. */
const CHECK_TIMEOUT_MS = 2_000;

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms); });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function check(work: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  try {
    await within(CHECK_TIMEOUT_MS, work());
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}

/**
 * Whether the caller may read why a check failed: an ADMIN's bearer token (checked as /graphql
 * checks it). While the database is away the token cannot be checked, and the answer stays short.
 */
async function mayReadDetails(services: Services, req: Request): Promise<boolean> {
  if (!req.headers.authorization) return false;
  try {
    const auth = await within(CHECK_TIMEOUT_MS, authenticate(services.em, services.config.jwtSecret, req.headers.authorization));
    return typeof auth === 'object' && auth.user.role === Role.ADMIN;
  } catch {
    return false;
  }
}

const word = (check: { ok: boolean }) => (check.ok ? 'ok' : 'unavailable');

/**
 * `/healthz`: the process answers (a balancer's liveness probe; nothing else is checked, so a
 * database outage does not get every instance restarted). `/readyz`: the database answers and the
 * event bus is reachable with this instance listening; 503 otherwise, naming what is down (`ok` or
 * `unavailable` per check; with an ADMIN's token, also why, under `details`).
 * `/metrics`: Prometheus' text format.
 */
export function opsRouter(services: Services, metrics: Metrics): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => { res.set('Cache-Control', 'no-store').json({ status: 'ok' }); });
  router.get('/readyz', async (req, res) => {
    const [database, bus, details] = await Promise.all([
      check(() => services.em.fork().getConnection().execute('select 1')),
      check(() => services.events.pingBus()),
      mayReadDetails(services, req),
    ]);
    const ready = database.ok && bus.ok && !services.events.isClosing;
    res.status(ready ? 200 : 503).set('Cache-Control', 'no-store').json({
      status: ready ? 'ready' : 'unavailable',
      checks: { database: word(database), bus: word(bus) },
      ...(services.events.isClosing ? { closing: true } : {}),
      ...(details ? { details: { database, bus: { ...bus, name: services.events.busName } } } : {}),
    });
  });
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
