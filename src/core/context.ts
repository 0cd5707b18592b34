import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { EventStream } from '../modules/events/event-stream';
import type { UnitOfWork } from '../modules/events/unit-of-work';
import type { AuthSession } from '../modules/user/session.entity';
import type { Role, User } from '../modules/user/user.entity';
import { ForbiddenError, UnauthenticatedError } from './errors';
import type { Loaders } from './loaders';

/*
 * The core: what every module imports (errors, the context a resolver gets, its loaders' shape).
 * It imports no module at run time: the types it names are erased, and the root (src/server,
 * src/duban.ts) builds the values.
 */

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
