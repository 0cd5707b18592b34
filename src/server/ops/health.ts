import { Router } from 'express';
import type { Services } from '../context';
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
 * `/healthz`: the process answers (a balancer's liveness probe; nothing else is checked, so a
 * database outage does not get every instance restarted). `/readyz`: the database answers and the
 * event bus is reachable with this instance listening; 503 otherwise, naming what is down.
 * `/metrics`: Prometheus' text format.
 */
export function opsRouter(services: Services, metrics: Metrics): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => { res.set('Cache-Control', 'no-store').json({ status: 'ok' }); });
  router.get('/readyz', async (_req, res) => {
    const [database, bus] = await Promise.all([
      check(() => services.em.fork().getConnection().execute('select 1')),
      check(() => services.events.pingBus()),
    ]);
    const ready = database.ok && bus.ok && !services.events.isClosing;
    res.status(ready ? 200 : 503).set('Cache-Control', 'no-store').json({
      status: ready ? 'ready' : 'unavailable',
      checks: { database, bus: { ...bus, name: services.events.busName } },
      ...(services.events.isClosing ? { closing: true } : {}),
    });
  });
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
