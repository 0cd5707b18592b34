import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * One statement with its parameters sent as parameters, on `em`'s transaction if it has one.
 * MikroORM's `execute` writes each value into the SQL text, escaping it character by character:
 * for the bulk path's parameters (a call's rows as one JSON document of a megabyte) that costs more
 * than the statement. Errors come as MikroORM's (a unique violation is UniqueConstraintViolationException).
 */
export async function boundQuery<T extends object>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<T[]> {
  const query = em.getKnex().raw(sql, params as never[]);
  const tx = em.getTransactionContext();
  if (tx) query.transacting(tx);
  try {
    const result = await query as unknown as { rows: T[] };
    return result.rows;
  } catch (error) {
    throw em.getDriver().convertException(error as Error);
  }
}
