/**
 * The one way periodic work is claimed by several workers: in one transaction, take the first due
 * row with FOR UPDATE SKIP LOCKED, move it on (its next time, or a lease) and, if asked, do the
 * in-transaction part (insert a run); after the commit, `then` enqueues. Another worker skips the
 * locked row and takes the next; a crash before the commit leaves the row due for the next tick.
 */
import type { Knex } from 'knex';
import type { Db, Tx } from './db';

export interface DueSpec<Row> {
  table: string;
  /** The column compared with now (`next_run_at`, `next_evaluation_at`, …). */
  due: string;
  /** Further conditions (enabled, not archived, lease free…). */
  where?: (q: Knex.QueryBuilder, now: Date) => void;
  /** The row's key, to update it. */
  key: (row: Row) => Record<string, unknown>;
  /** What claiming sets — the next slot, a lease — computed from the row. */
  advance: (row: Row, now: Date) => Record<string, unknown>;
  orderBy?: string;
}

/** Claims one due row; `inClaim` runs in the claiming transaction. Undefined when nothing is due. */
export async function claimDue<Row, T = Row>(db: Db, now: Date, spec: DueSpec<Row>, inClaim?: (tx: Tx, row: Row) => Promise<T>): Promise<{ row: Row; value: T } | undefined> {
  return db.transaction(async (tx) => {
    const q = tx(spec.table).where(spec.due, '<=', now);
    spec.where?.(q, now);
    if (spec.orderBy) q.orderBy(spec.orderBy);
    const row = (await q.forUpdate().skipLocked().first()) as Row | undefined;
    if (!row) return undefined;
    await tx(spec.table).where(spec.key(row)).update(spec.advance(row, now));
    return { row, value: inClaim ? await inClaim(tx, row) : (row as unknown as T) };
  });
}

/**
 * Claims due rows one by one until none is left; `then` runs after each claim's commit (enqueue,
 * evaluate) and says whether it counts. Returns how many counted.
 */
export async function drainDue<Row, T = Row>(
  db: Db,
  now: () => Date,
  spec: DueSpec<Row>,
  then: (value: T, row: Row) => Promise<boolean | void>,
  inClaim?: (tx: Tx, row: Row) => Promise<T>,
): Promise<number> {
  let counted = 0;
  for (;;) {
    const claimed = await claimDue(db, now(), spec, inClaim);
    if (!claimed) return counted;
    if ((await then(claimed.value, claimed.row)) !== false) counted += 1;
  }
}
