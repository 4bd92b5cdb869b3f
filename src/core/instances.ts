/**
 * This process among the service's processes: a row in service_instances, alive while it holds a
 * session advisory lock on a connection of its own. A killed process's connection closes, so
 * PostgreSQL releases its lock at once and the next start (or any live process) sees it dead and
 * takes over what it owned: in-process jobs (core/jobs.ts) and file loads (ingestion).
 *
 * The same connection holds the locks on single pieces of work this process is doing now (hold /
 * release: a dataflow file it loads), so they too are free the moment it dies.
 *
 * The lock connection is outside the pool. When it drops (a database restart), the lock is taken
 * again on a new connection as soon as the database answers; meanwhile another process may take
 * this one's work over, which is safe because every job is idempotent and every load re-checks
 * its owner before it reports.
 */
import os from 'node:os';
import type { Db } from './db';
import type { Logger } from './log';

/** First key of every instance's advisory lock (the second is the instance id): "CDP0". */
export const INSTANCE_LOCK_CLASS = 0x43445030;
/** First key of the locks on pieces of work (hold): "CDPW". */
export const WORK_LOCK_CLASS = 0x43445057;

/** Locks on pieces of work that die with their process (Instances implements it). */
export interface WorkLocks {
  /** True when this process now holds `key`; false when it, or another live process, already does. */
  hold(key: number): Promise<boolean>;
  release(key: number): Promise<void>;
}

interface RawClient {
  query(sql: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  on(event: 'error' | 'end', fn: (...args: unknown[]) => void): void;
  end(): Promise<void>;
}

export class Instances implements WorkLocks {
  private myId: number | undefined;
  /** Work keys held on the lock connection (a session lock is reentrant: this set keeps two holders here apart). */
  private readonly held = new Set<number>();
  private client: RawClient | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  /** This process's id; register() first. */
  get id(): number {
    if (this.myId === undefined) throw new Error('instance not registered');
    return this.myId;
  }

  async register(): Promise<number> {
    const [row] = await this.db('service_instances').insert({ pid: process.pid, host: os.hostname() }).returning('id');
    this.myId = Number(row.id);
    await this.lock();
    return this.myId;
  }

  /**
   * Ids of the processes alive now (this one included): those holding their lock. Work owned by any
   * other id — a killed process, or one that stopped without finishing — is free to take over.
   */
  async alive(): Promise<number[]> {
    const { rows } = await this.db.raw(
      `select l.objid::bigint as id from pg_locks l
        where l.locktype = 'advisory' and l.granted and l.objsubid = 2 and l.classid::bigint = ?
          and l.database = (select oid from pg_database where datname = current_database())`,
      [INSTANCE_LOCK_CLASS],
    );
    const ids = new Set<number>(rows.map((r: { id: string }) => Number(r.id)));
    ids.add(this.id);
    return [...ids];
  }

  /** Drops the rows of processes that are gone (their work is taken over by id, not by row). */
  async forgetDead(alive: readonly number[]): Promise<void> {
    await this.db('service_instances').whereNotIn('id', alive).delete();
  }

  /**
   * Takes the lock on a piece of work (a 32-bit key) on the lock connection. False when this
   * process holds it already, another live process does, or the connection is away (nobody can
   * tell then whether the work's holder lives).
   */
  async hold(key: number): Promise<boolean> {
    const client = this.client;
    if (!client || this.held.has(key)) return false;
    this.held.add(key); // before the await: a second holder in this process is refused meanwhile
    const taken = await client
      .query('select pg_try_advisory_lock($1, $2) as taken', [WORK_LOCK_CLASS, key])
      .then((r) => r.rows[0].taken === true)
      .catch(() => false);
    if (!taken) this.held.delete(key);
    return taken;
  }

  async release(key: number): Promise<void> {
    if (!this.held.delete(key)) return;
    // Queued on the connection before any later hold() of the same key.
    await this.client?.query('select pg_advisory_unlock($1, $2)', [WORK_LOCK_CLASS, key]).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    if (this.myId !== undefined) await this.db('service_instances').where({ id: this.myId }).delete().catch(() => undefined);
    await client?.end().catch(() => undefined);
  }

  private async lock(): Promise<void> {
    const client = (await (this.db.client as { acquireRawConnection(): Promise<RawClient> }).acquireRawConnection()) as RawClient;
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      if (!this.closed) this.relockSoon();
    };
    client.on('error', lost);
    client.on('end', lost);
    // Another process may have taken this one for dead while the database was away and removed it.
    await client.query('insert into service_instances (id, pid, host) values ($1, $2, $3) on conflict (id) do nothing', [this.id, process.pid, os.hostname()]);
    await client.query('select pg_advisory_lock($1, $2)', [INSTANCE_LOCK_CLASS, this.id]);
    // The work still going on here: taken again unless another process took it over meanwhile
    // (then this process's loader finds its claim gone before it reports).
    for (const key of this.held) {
      const { rows } = await client.query('select pg_try_advisory_lock($1, $2) as taken', [WORK_LOCK_CLASS, key]);
      if (!rows[0].taken) this.log.warn({ instance: this.myId, key }, 'work held here was taken over while the lock connection was away');
    }
    this.client = client;
  }

  private relockSoon(delayMs = 500): void {
    this.log.warn({ instance: this.myId }, 'lost the instance lock connection; taking the lock again when the database answers');
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.closed) return;
      this.lock().catch(() => this.relockSoon(Math.min(delayMs * 2, 10_000)));
    }, delayMs);
    this.retry.unref();
  }
}
