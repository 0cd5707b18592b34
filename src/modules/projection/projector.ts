import type { EntityManager } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import type { Clock } from '../../clock';
import { foldPage } from './fold';

/** The advisory lock whose holder is the projector (any other instance waits for it). */
export const PROJECTOR_LOCK = 13_013_013;

export interface ProjectorOptions {
  databaseUrl: string;
  /** How often a waiting instance asks for the lock, and the leader reads facts without being told. */
  pollMs: number;
  /** Facts folded per transaction. */
  pageSize: number;
  onError?: (error: unknown) => void;
}

/**
 * The one projector: every instance runs one, and the one holding a session-level advisory lock on
 * a connection of its own folds the facts; the others ask for the lock every `pollMs`. When the
 * leader dies its connection goes, PostgreSQL frees the lock, and another instance takes over
 * within a poll. Folding is safe even if two ever overlap (see `foldPage`): the lock saves work,
 * the state row keeps it exact.
 */
export class Projector {
  private client: Client | undefined;
  private leading = false;
  private campaigning: Promise<void> | undefined;
  private draining: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The last sequence this projector appended: its own announcement is no news to it. */
  private appended: bigint | undefined;
  /** Up to where the outbox is known to hold no fact left to fold: announcements up to it are no news. */
  private noFactsThrough = 0n;
  private readonly onError: (error: unknown) => void;

  constructor(
    private readonly em: EntityManager,
    private readonly clock: () => Clock,
    /** Tells every instance that the outbox grew (the ProgressChanged events appended). */
    private readonly announce: (seq: string) => void,
    private readonly options: ProjectorOptions,
  ) {
    this.onError = options.onError ?? ((error) => console.error('projector:', error));
  }

  /** True while this instance holds the lock. */
  get isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => { if (this.leading) this.poke(); else void this.campaign().then(() => this.poke()); }, this.options.pollMs);
    this.timer.unref();
    await this.campaign();
    this.poke();
  }

  /** Asks for the lock once (on the connection kept for it). */
  private campaign(): Promise<void> {
    this.campaigning ??= (async () => {
      try {
        if (!this.client) {
          const client = new Client({ connectionString: this.options.databaseUrl, application_name: `duban-projector ${process.pid}` });
          client.on('error', () => this.lose(client));
          client.on('end', () => this.lose(client));
          await client.connect();
          if (this.stopped) { await client.end(); return; }
          this.client = client;
        }
        const { rows } = await this.client.query<{ won: boolean }>('select pg_try_advisory_lock($1) as won', [PROJECTOR_LOCK]);
        this.leading = rows[0].won;
      } catch (error) {
        if (!this.stopped) this.onError(error);
      } finally {
        this.campaigning = undefined;
      }
    })();
    return this.campaigning;
  }

  /** The lock's connection went: the lock with it. */
  private lose(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.leading = false;
    client.end().catch(() => undefined);
  }

  /** New facts may be there (`seq` announced, or a poll): the leader folds them (once more if poked while folding). */
  poke(seq?: bigint): void {
    if (this.stopped || !this.leading || (seq !== undefined && (seq === this.appended || seq <= this.noFactsThrough))) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().catch((error) => { if (!this.stopped) this.onError(error); }).finally(() => { this.draining = undefined; });
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      while (this.leading && !this.stopped) {
        const { folded, appended, noFactsThrough } = await foldPage(this.em, this.clock(), this.options.pageSize);
        if (noFactsThrough !== undefined && BigInt(noFactsThrough) > this.noFactsThrough) this.noFactsThrough = BigInt(noFactsThrough);
        if (appended) {
          this.appended = BigInt(appended);
          this.announce(appended);
        }
        if (folded === 0) break;
      }
    } while (this.again && this.leading && !this.stopped);
  }

  /** Resolves once everything appended so far is folded (or the projector stops). */
  async settled(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.campaigning;
    await this.draining;
    const client = this.client;
    this.client = undefined;
    this.leading = false;
    if (client) {
      await client.query('select pg_advisory_unlock($1)', [PROJECTOR_LOCK]).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
