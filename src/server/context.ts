import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../clock';
import type { Config } from '../config';
import { createLoaders, type Loaders } from './loaders';
import type { User } from '../modules/user/user.entity';
import { ForbiddenError, UnauthenticatedError } from './errors';
import { Role } from '../modules/user/user.entity';
import type { EventStream } from '../modules/events/event-stream';
import type { AuthSession } from '../modules/user/session.entity';
import type { Authenticated } from '../modules/user/session.service';
import { UnitOfWork } from '../modules/events/unit-of-work';

/** What every resolver gets: its own EntityManager, the signed-in user, loaders, the clock. */
export interface Context {
  em: EntityManager;
  user?: User;
  /** The session the token names: a login, or a screen token limited to its boards. */
  session?: AuthSession;
  /** The client's address (throttling sign-ins). */
  clientAddress?: string;
  loaders: Loaders;
  /** The request's unit of work: a service's transaction and outbox, announced after the commit. */
  work: UnitOfWork;
  clock: Clock;
  config: Config;
  services: Services;
  /** On a WebSocket: closes this client's connection (a subscriber too slow to keep up). */
  closeConnection?: (code: number, reason: string) => void;
  /** Why a token sent was refused (invalid or expired), for the UNAUTHENTICATED message. */
  authProblem?: string;
}

/** The services a context is built from, shared by the whole server. */
export interface Services {
  em: EntityManager;
  clock: Clock;
  config: Config;
  /** This instance's follower of the outbox. */
  events: EventStream;
}

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

export function requireUser(ctx: Context): User {
  if (!ctx.user) throw new UnauthenticatedError(ctx.authProblem ?? 'Sign in first: send Authorization: Bearer <token> from login');
  return ctx.user;
}

export function requireRole(ctx: Context, ...roles: Role[]): User {
  const user = requireUser(ctx);
  if (!roles.includes(user.role)) {
    throw new ForbiddenError(`This needs the role ${roles.join(' or ')}; you are ${user.role}`);
  }
  return user;
}
