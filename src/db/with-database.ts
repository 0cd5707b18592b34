import type { Config } from '../config';
import { createBus } from '../modules/events/events';
import { openConfiguredDatabase, type OpenDatabase } from './database';

/** The database a command works on, and a way to tell the running instances what it wrote. */
export interface CommandDatabase extends OpenDatabase {
  /** Announces the outbox's last sequence on the configured bus: the instances read the new rows at once (else at their next poll). */
  announce(lastSeq: string): Promise<void>;
}

/**
 * What every command line (users, import, regions:import) runs in: the configured database as a
 * start opens it (DATABASE_URL, or the embedded PostgreSQL in the data directory, beside a running
 * server too), migrated, closed when `work` ends, whatever it ends with.
 */
export async function withDatabase<T>(config: Config, work: (db: CommandDatabase) => Promise<T>): Promise<T> {
  const db = await openConfiguredDatabase(config, { attach: true });
  const announce = async (lastSeq: string) => {
    const bus = createBus(config, db.url);
    try {
      await bus.announce(lastSeq);
    } finally {
      await bus.close();
    }
  };
  try {
    return await work({ ...db, announce });
  } finally {
    await db.close();
  }
}
