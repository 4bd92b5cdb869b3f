/**
 * Row errors of one file on their way to `batch_row_errors`: held in memory and inserted in groups
 * (one insert per ERROR_FLUSH_ROWS, not per row), and never more than the batch may still store.
 */
import type { Db } from '../core/db';
import type { RowError } from './records';

const ERROR_FLUSH_ROWS = 1000;
/** Row errors stored per batch; later ones are counted, not stored (a bomb of bad rows stays small). */
export const ROW_ERRORS_STORED = 10_000;

export class RowErrorLog {
  private readonly pending: RowError[] = [];
  /** How many more this file may store: the batch's cap less what earlier files stored (set when the load starts). */
  storable = 0;

  constructor(
    private readonly db: Db,
    private readonly adAccountId: string,
    private readonly batchId: string,
    private readonly fileIndex: number,
    private readonly fileName: string,
  ) {}

  /** Keeps a failed row's errors while there is room for them. */
  add(errors: readonly RowError[]): void {
    if (this.pending.length < this.storable) this.pending.push(...errors.slice(0, this.storable - this.pending.length));
  }

  /** Enough errors wait for one insert. */
  get due(): boolean {
    return this.pending.length >= ERROR_FLUSH_ROWS;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    // PostgreSQL text cannot hold NUL; the raw value shows it as \0 instead of failing the file.
    const clean = (v: string | null) => (v === null ? null : v.replace(/\u0000/g, '\\0'));
    const rows = this.pending.splice(0).slice(0, this.storable).map((e) => ({
      ad_account_id: this.adAccountId,
      batch_id: this.batchId,
      file_index: this.fileIndex,
      file_name: this.fileName,
      row_number: e.row,
      field: e.field,
      rule: e.rule,
      message: clean(e.message),
      raw_value: clean(e.rawValue),
    }));
    this.storable -= rows.length;
    if (rows.length) await this.db('batch_row_errors').insert(rows);
  }
}
