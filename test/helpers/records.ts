/** Reading test files through the ingestion core (src/ingestion/records/): results, row errors, FileErrors. */
import { Readable } from 'node:stream';
import { ColumnPlan, FileError, ParsedRow, ReadOptions, readRecords, RowError } from '../../src/ingestion/records';

/** The bytes as a stream of chunks of `size` bytes (default: one chunk). */
export function chunked(data: Buffer | string, size?: number): Readable {
  const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const parts: Buffer[] = [];
  if (!size) parts.push(b);
  else for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
  return Readable.from(parts);
}

export interface Result {
  rows: ParsedRow[];
  stats: { inputRows: number; okRows: number; errorRows: number; bytesRead: number };
}

export async function read(data: Buffer | string | Readable, opts: Partial<ReadOptions> & { columns: ColumnPlan[] }, size?: number): Promise<Result> {
  const input = data instanceof Readable ? data : chunked(data, size);
  const reader = readRecords(input, { format: 'csv', ...opts });
  const rows: ParsedRow[] = [];
  for await (const row of reader) rows.push(row);
  return { rows, stats: reader.stats };
}

export async function fileError(data: Buffer | string | Readable, opts: Partial<ReadOptions> & { columns: ColumnPlan[] }, size?: number): Promise<FileError> {
  try {
    await read(data, opts, size);
  } catch (err) {
    expect(err).toBeInstanceOf(FileError);
    return err as FileError;
  }
  throw new Error('expected a FileError');
}

export const values = (r: Result) => r.rows.map((row) => (row.ok ? row.values : null));
export const errors = (r: Result): RowError[] => r.rows.flatMap((row) => (row.ok ? [] : row.errors));
/** The only error of row `n`. */
export function errorOf(r: Result, n: number): RowError {
  const row = r.rows.find((x) => x.row === n);
  if (!row || row.ok) throw new Error(`row ${n} has no error: ${JSON.stringify(row)}`);
  expect(row.errors).toHaveLength(1);
  return row.errors[0];
}

export const S = (path: string, extra: Partial<ColumnPlan> = {}): ColumnPlan => ({ path, type: 'string', ...extra });
export const BASIC: ColumnPlan[] = [S('id', { required: true }), S('name'), { path: 'age', type: 'integer' }];
