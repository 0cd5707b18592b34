import type { GraphQLFormattedError } from 'graphql';
import type { EventStream, StreamEvent } from '../modules/events/event-stream';
import { SESSION_CHANGED, sessionChangeOf } from '../modules/user/session-events';
import type { Authenticated } from '../modules/user/session.service';
import { Role } from '../modules/user/user.entity';
import { ForbiddenError, UnauthenticatedError, type AppError } from '../core/errors';

/** A socket whose session ended (logout, revocation, a disabled account, expiry): sign in again. */
export const SESSION_ENDED_CLOSE = 4401;
/** A socket whose rights were narrowed (role, region scope, department): what it showed is no longer allowed. */
export const RIGHTS_NARROWED_CLOSE = 4403;

/** A live connection (a WebSocket, or a Server-Sent Events stream) that a session's end ends. */
export interface LiveConnection {
  /** Gives each running operation `errors`, then closes (a WebSocket with `code`). */
  fail(errors: GraphQLFormattedError[], code: number, reason: string): void;
}

/** One live connection's identity: checked again on every operation and whenever its account changes. */
export interface SocketSession {
  readonly connection: LiveConnection;
  /** What connection_init sent, to authenticate again. */
  readonly authorization: unknown;
  /** The session as last checked; operations and events run as this. */
  auth: Authenticated;
  ended: boolean;
}

/** The connections of one session, and the one timer that ends them at its expiry. */
interface Expiry {
  members: Set<SocketSession>;
  timer?: NodeJS.Timeout;
}

export type Authenticate = (authorization: unknown) => Promise<Authenticated | 'invalid' | undefined>;

/** Whether `next` allows at least what `previous` did: then a socket keeps going with the new rights. */
export function covers(next: Authenticated, previous: Authenticated): boolean {
  const [a, b] = [next.user, previous.user];
  if (a.role !== b.role && a.role !== Role.ADMIN) return false;
  if (a.role === Role.DEPARTMENT && a.department?.id !== b.department?.id) return false;
  if (a.region && !(b.region && b.region.path.startsWith(a.region.path))) return false;
  const boards = next.session.boards;
  if (!boards) return true;
  const before = previous.session.boards;
  return Boolean(before) && before!.every((x) => boards.some((y) => y.programme === x.programme && y.region === x.region));
}

/** setTimeout's longest wait; a screen token's expiry two years out is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Every authenticated live connection of this instance (WebSockets, event streams), by user. A SessionChanged fact in the outbox
 * (logout, revocation, a changed or disabled account), which every instance follows, makes the
 * instance check that user's sockets again at once: an ended session closes them with 4401, a
 * narrowed right with 4403, after each running operation gets its error; a widened one carries on
 * with the new rights. A token's expiry closes its socket at that moment.
 */
export class SocketSessions {
  private readonly byUser = new Map<number, Set<SocketSession>>();
  /** By session id: a hundred screens on one screen token wait for its expiry with one timer. */
  private readonly expiries = new Map<string, Expiry>();
  private unlisten: (() => void) | undefined;
  private retained = 0;

  constructor(
    private readonly stream: EventStream,
    private readonly authenticate: Authenticate,
    private readonly format: (error: AppError) => GraphQLFormattedError,
  ) {}

  /**
   * Listens to the outbox while any socket is open (before it authenticates, so that no change
   * committed after that check is missed); an instance without sockets builds nothing for it.
   */
  retain(): () => void {
    if (this.retained++ === 0) this.unlisten = this.stream.listen((event) => this.onEvent(event), { background: true });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.retained === 0) {
        this.unlisten?.();
        this.unlisten = undefined;
      }
    };
  }

  /** The session a new connection's authorization names, if it is valid now. */
  async authenticateHeader(authorization: unknown): Promise<Authenticated | undefined> {
    const auth = await this.authenticate(authorization);
    return auth && auth !== 'invalid' ? auth : undefined;
  }

  add(connection: LiveConnection, authorization: unknown, auth: Authenticated): SocketSession {
    const session: SocketSession = { connection, authorization, auth, ended: false };
    let set = this.byUser.get(auth.user.id);
    if (!set) this.byUser.set(auth.user.id, (set = new Set()));
    set.add(session);
    const id = auth.session.id;
    let expiry = this.expiries.get(id);
    if (!expiry) {
      this.expiries.set(id, (expiry = { members: new Set() }));
      this.armExpiry(id, expiry, auth.session.expiresAt.getTime());
    }
    expiry.members.add(session);
    return session;
  }

  remove(session: SocketSession): void {
    const expiry = this.expiries.get(session.auth.session.id);
    if (expiry?.members.delete(session) && expiry.members.size === 0) {
      clearTimeout(expiry.timer);
      this.expiries.delete(session.auth.session.id);
    }
    const set = this.byUser.get(session.auth.user.id);
    set?.delete(session);
    if (set?.size === 0) this.byUser.delete(session.auth.user.id);
  }

  /**
   * Checks the socket's session against the database now. Returns the error that ended the socket,
   * or undefined while it may go on (with its rights brought up to date).
   */
  async recheck(session: SocketSession): Promise<AppError | undefined> {
    if (session.ended) return new UnauthenticatedError('This connection has ended: sign in again');
    const fresh = await this.authenticate(session.authorization);
    if (session.ended) return new UnauthenticatedError('This connection has ended: sign in again');
    if (!fresh || fresh === 'invalid' || fresh.session.id !== session.auth.session.id) {
      return this.end(session, SESSION_ENDED_CLOSE, new UnauthenticatedError('Your session has ended (signed out, revoked, expired or disabled): sign in again'));
    }
    if (!covers(fresh, session.auth)) {
      return this.end(session, RIGHTS_NARROWED_CLOSE, new ForbiddenError('Your rights have changed: this connection no longer shows what it did'));
    }
    session.auth = fresh;
    return undefined;
  }

  /** Gives each running operation its error, then closes the connection with `code`. */
  end(session: SocketSession, code: number, error: AppError): AppError {
    if (session.ended) return error;
    session.ended = true;
    this.remove(session);
    session.connection.fail([this.format(error)], code, code === SESSION_ENDED_CLOSE ? 'Session ended: sign in again' : 'Rights narrowed');
    return error;
  }

  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  private onEvent(event: StreamEvent): void {
    if (event.row.type !== SESSION_CHANGED) return;
    const change = sessionChangeOf(event.row.payload);
    for (const session of [...(this.byUser.get(change.userId) ?? [])]) {
      if (change.sessionId && session.auth.session.id !== change.sessionId) continue;
      this.recheck(session).catch((error) => console.error('rechecking a socket\'s session:', error));
    }
  }

  /** Ends the session's connections at `at` (ms since the epoch). */
  private armExpiry(id: string, expiry: Expiry, at: number): void {
    const wait = at - Date.now();
    expiry.timer = setTimeout(() => {
      if (this.expiries.get(id) !== expiry) return;
      if (wait > MAX_TIMER_MS) { this.armExpiry(id, expiry, at); return; }
      for (const session of [...expiry.members]) {
        if (!session.ended) this.end(session, SESSION_ENDED_CLOSE, new UnauthenticatedError('Your token has expired: sign in again'));
      }
    }, Math.max(0, Math.min(wait, MAX_TIMER_MS)));
    expiry.timer.unref();
  }
}
