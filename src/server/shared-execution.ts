import { createHash } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import type { Authenticated } from '../modules/user/session.service';

/** How long an executed event is kept for the rest of its group, at most. */
const KEEP_MS = 30_000;

/**
 * What makes two subscribers' payloads the same besides the selection: everything a resolver
 * checks (role, region scope, department, a screen's boards), and the user where the stream
 * itself is the user's (notifications).
 */
export function authorizationKey(auth: Authenticated | undefined, perUser: boolean): string {
  if (!auth) return '-';
  // Read at every event by every subscriber: made once per session as read (a recheck reads it anew).
  const keys = authorizationKeys.get(auth) ?? authorizationKeys.set(auth, {}).get(auth)!;
  const which = perUser ? 'user' : 'shared';
  let key = keys[which];
  if (key === undefined) {
    const { user, session } = auth;
    const boards = session.boards ? session.boards.map((b) => `${b.programme}@${b.region}`).sort().join(',') : '*';
    key = keys[which] = [user.role, user.region?.path ?? '*', user.department?.id ?? '-', boards, perUser ? `u${user.id}` : ''].join('|');
  }
  return key;
}

const authorizationKeys = new WeakMap<Authenticated, { user?: string; shared?: string }>();

/** An event's payload as executed for a group, and serialised once for all of its sockets. */
export interface SharedPayload {
  result: ExecutionResult;
  /** The `payload` of a graphql-ws `next` message, as JSON bytes. */
  bytes: Buffer;
}

/** What a member is handed its payload by once executed (no promise per member). */
export interface Receiver {
  deliver(payload: SharedPayload): void;
  fail(error: unknown): void;
}

interface Entry {
  /** The payload once executed: the group's later members take it as it is. */
  ready?: SharedPayload;
  /** Members that took it while it was being executed, handed it in one loop when it is. */
  receivers?: Receiver[];
  /** Members that have not taken it yet; at 0 it goes. */
  pending: number;
  at: number;
}

interface Group {
  /** Its key, which its members hold (one string for all of them). */
  key: string;
  members: number;
  /** By cursor, oldest first. */
  results: Map<string, Entry>;
}

/** One subscriber's place in the shared execution. */
export interface SharedMember {
  /**
   * The event's payload, executed once per group (selection × authorization) and shared by its
   * members: returned if executed already, else handed to `receiver` once it is (undefined now).
   */
  result(cursor: string, execute: () => Promise<SharedPayload>, receiver: Receiver): SharedPayload | undefined;
  leave(): void;
}

/**
 * Shares an event's executed payload among subscribers for whom it must be the same: the same
 * document, operation and variables (the resume cursor aside), and the same authorization. A
 * group lives as long as its members; an entry until every member has taken it (or 30 s, for a
 * member that left or was behind), so memory follows the live subscribers, not the history.
 */
export class SharedExecution {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly onExecuted?: () => void) {}

  /** `authorization` is read at each event: a socket whose rights widened moves to its new group. */
  join(selection: string, authorization: () => string): SharedMember {
    return new Member(this, createHash('sha1').update(selection).digest('base64'), authorization);
  }

  /** A member's payload of `cursor` in group `key` (Member.result). */
  take(key: string, cursor: string, execute: () => Promise<SharedPayload>, receiver: Receiver): SharedPayload | undefined {
    const group = this.groups.get(key)!;
    const at = Date.now();
    for (const [c, e] of group.results) {
      if (at - e.at < KEEP_MS) break;
      group.results.delete(c);
    }
    let entry = group.results.get(cursor);
    if (!entry) {
      this.onExecuted?.();
      const made: Entry = { pending: group.members, at, receivers: [] };
      execute().then((payload) => {
        made.ready = payload;
        handAll(made, (r) => r.deliver(payload));
      }, (error: unknown) => {
        // Not kept: a member that comes later executes again.
        if (group.results.get(cursor) === made) group.results.delete(cursor);
        handAll(made, (r) => r.fail(error));
      });
      group.results.set(cursor, (entry = made));
    }
    if (--entry.pending <= 0) group.results.delete(cursor);
    if (entry.ready) return entry.ready;
    entry.receivers!.push(receiver);
    return undefined;
  }

  /** Groups and kept payloads, for tests and metrics. */
  stats(): { groups: number; results: number } {
    let results = 0;
    for (const g of this.groups.values()) results += g.results.size;
    return { groups: this.groups.size, results };
  }

  /** Counts a member in; returns the group's own key. */
  enter(key: string): string {
    const group = this.groups.get(key);
    if (group) {
      group.members += 1;
      return group.key;
    }
    this.groups.set(key, { key, members: 1, results: new Map() });
    return key;
  }

  exit(key: string): void {
    const group = this.groups.get(key);
    if (!group) return;
    group.members -= 1;
    if (group.members <= 0) this.groups.delete(key);
  }
}

/** One subscriber's place: its group's key, as its authorization stood at the last event. A class: thousands of idle members share its methods. */
class Member implements SharedMember {
  private auth: string;
  private key: string;
  private left = false;

  constructor(private readonly owner: SharedExecution, private readonly selectionId: string, private readonly authorization: () => string) {
    this.auth = authorization();
    this.key = owner.enter(`${selectionId}|${this.auth}`);
  }

  result(cursor: string, execute: () => Promise<SharedPayload>, receiver: Receiver): SharedPayload | undefined {
    if (this.left) {
      execute().then((payload) => receiver.deliver(payload), (error: unknown) => receiver.fail(error));
      return undefined;
    }
    const auth = this.authorization();
    if (auth !== this.auth) {
      const now = `${this.selectionId}|${auth}`;
      this.auth = auth;
      if (now !== this.key) {
        this.owner.exit(this.key);
        this.key = this.owner.enter(now);
      }
    }
    return this.owner.take(this.key, cursor, execute, receiver);
  }

  leave(): void {
    if (this.left) return;
    this.left = true;
    this.owner.exit(this.key);
  }
}

/** Hands an executed entry to the members that waited for it, each apart: one that throws stops no other. */
function handAll(entry: Entry, hand: (receiver: Receiver) => void): void {
  const receivers = entry.receivers ?? [];
  entry.receivers = undefined;
  for (const receiver of receivers) {
    try {
      hand(receiver);
    } catch (error) {
      console.error('live event:', error);
    }
  }
}
