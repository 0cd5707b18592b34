import type { EntityManager } from '@mikro-orm/postgresql';
import { appendEvents } from '../events/outbox.service';
import type { EventType } from '../events/event-builder';

/** The outbox type that says a user's rights or a session changed: every instance rechecks its sockets. */
export const SESSION_CHANGED = 'SessionChanged';

export interface SessionChange {
  userId: number;
  /** The one session that ended (logout, revocation); absent when the account itself changed. */
  sessionId?: string;
}

/**
 * Appends, in the writer's transaction, that a session ended or an account's rights changed.
 * Every instance follows the outbox, so one that was away catches up; returns the sequence to
 * announce after the commit.
 */
export function appendSessionChanged(tx: EntityManager, change: SessionChange, at: Date): Promise<string | undefined> {
  return appendEvents(tx, [{ type: SESSION_CHANGED, payload: { ...change } }], at);
}

/** The change an outbox row of type SessionChanged carries. */
export function sessionChangeOf(payload: Record<string, unknown>): SessionChange {
  return { userId: Number(payload.userId), sessionId: typeof payload.sessionId === 'string' ? payload.sessionId : undefined };
}

/** No subscriber receives it: each instance's sockets read it from the row itself (server/socket-sessions.ts), so it builds to null. */
export const sessionChanged: EventType = { type: SESSION_CHANGED, prepare: async () => () => null };
