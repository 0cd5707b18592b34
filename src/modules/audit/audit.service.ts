import type { EntityManager } from '@mikro-orm/postgresql';
import { User } from '../user/user.entity';
import { AuditEntry } from './audit.entity';

export interface AuditRecord {
  action: string;
  entityType: string;
  entityId: string | number;
  indicatorCode?: string;
  regionCode?: string;
  before?: object | null;
  after?: object | null;
}

/** Plain JSON of an entity's own columns (references as their keys), for before and after. */
export function snapshot(entity: object, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = (entity as Record<string, unknown>)[field];
    if (value && typeof value === 'object' && !(value instanceof Date)) {
      const ref = value as { code?: unknown; id?: unknown; username?: unknown };
      out[field] = ref.code ?? ref.id ?? null;
    } else {
      out[field] = value instanceof Date ? value.toISOString() : (value ?? null);
    }
  }
  return out;
}

/** Adds audit entries to the writer's transaction: they commit, or roll back, with the write. */
export function audit(tx: EntityManager, actor: User | undefined, at: Date, ...records: AuditRecord[]): void {
  for (const r of records) {
    tx.create(AuditEntry, {
      at, actor: actor ? tx.getReference(User, actor.id) : undefined, action: r.action, entityType: r.entityType,
      entityId: String(r.entityId), indicatorCode: r.indicatorCode, regionCode: r.regionCode,
      before: (r.before ?? null) as Record<string, unknown> | null, after: (r.after ?? null) as Record<string, unknown> | null,
    });
  }
}
