import type { EntityManager } from '@mikro-orm/postgresql';
import type { OutboxEvent } from './outbox.entity';
import type { EventBuilder } from './event-stream';
import { INTERNAL_TYPES } from './facts';

/**
 * What subscribers receive for the outbox rows of one type, declared by the module the type
 * belongs to (target/target.events.ts, progress/progress.events.ts, ...). `prepare` loads what a
 * page's rows of the type need, in a statement or two for the whole page, and returns the build
 * of one row (null for a row no subscriber receives).
 */
export interface EventType {
  type: string;
  prepare(em: EntityManager, rows: OutboxEvent[]): Promise<(row: OutboxEvent) => unknown>;
}

/** The fields every board event carries, from its row. */
export function eventHeader(row: OutboxEvent): { cursor: string; at: Date; programmeId: number } {
  return { cursor: row.seq, at: row.createdAt, programmeId: row.programmeId ?? 0 };
}

/** The distinct values of a payload key across rows, without nulls. */
export function payloadValues<T>(rows: OutboxEvent[], key: string): T[] {
  return [...new Set(rows.map((r) => r.payload[key]).filter((v) => v != null))] as T[];
}

/** Reads only when there is something to read: a page that names no such row sends no statement for it. */
export function findIn<T>(keys: readonly unknown[], read: () => Promise<T[]>): Promise<T[]> {
  return keys.length === 0 ? Promise.resolve([]) : read();
}

/**
 * The event stream's builder over `types`: a page's rows grouped by type, each type prepared once
 * for its rows (the types of a page in parallel); facts for the projector alone and unknown types
 * build to undefined, which no subscriber receives.
 */
export function eventBuilder(types: readonly EventType[]): EventBuilder {
  const byType = new Map(types.map((t) => [t.type, t]));
  return async (em, all) => {
    const groups = new Map<EventType, OutboxEvent[]>();
    for (const row of all) {
      const type = INTERNAL_TYPES.has(row.type) ? undefined : byType.get(row.type);
      if (!type) continue;
      const rows = groups.get(type);
      if (rows) rows.push(row);
      else groups.set(type, [row]);
    }
    const builds = new Map(await Promise.all([...groups].map(async ([type, rows]) => [type.type, await type.prepare(em, rows)] as const)));
    return all.map((row) => builds.get(row.type)?.(row));
  };
}
