import type { EntityManager } from '@mikro-orm/postgresql';
import { UnitOfWork } from '../modules/events/unit-of-work';
import type { Authenticated } from '../modules/user/session.service';
import type { Context, Services } from '../core/context';
import type { Loaders } from '../core/loaders';
import { createLoaders } from './loaders';

/** A unit of work on `em` whose commits are announced to every instance. */
export function createUnitOfWork(services: Services, em: EntityManager): UnitOfWork {
  return UnitOfWork.root(em, services.clock, (seq) => services.events.announce(seq));
}

/** One context per request (and per subscription event): a fresh identity map, fresh loaders. */
export function createContext(services: Services, auth?: Authenticated): Context {
  const em = services.em.fork();
  const work = createUnitOfWork(services, em);
  return { em, user: auth?.user, session: auth?.session, loaders: createLoaders(em, services.clock), work, clock: services.clock, config: services.config, services };
}

/**
 * The same context for a long-lived subscription: its EntityManager and loaders are made only if
 * used (a board's subscribe uses the EntityManager once), so an idle subscription holds little.
 * Its events are executed with contexts of their own.
 */
export function createLazyContext(services: Services, auth?: Authenticated): Context {
  let em: EntityManager | undefined;
  let loaders: Loaders | undefined;
  let work: UnitOfWork | undefined;
  return {
    get em() { return (em ??= services.em.fork()); },
    get work() { return (work ??= createUnitOfWork(services, this.em)); },
    get loaders() { return (loaders ??= createLoaders(this.em, services.clock)); },
    user: auth?.user, session: auth?.session, clock: services.clock, config: services.config, services,
  };
}
