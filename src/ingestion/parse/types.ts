/**
 * What a file's load hands the parse threads, as plain data (structured-cloned to them), and what a
 * block comes back as.
 */
import type { NamespaceType } from '../../namespaces/types';
import type { ColumnType } from '../copy-format';
import type { ColumnPlan, FileFormat, RowError } from '../records/types';

/** A column plan as data: its identity namespace instead of the normaliser made from it. */
export interface ColumnSpec extends Omit<ColumnPlan, 'normalize'> {
  identity?: { code: string; type: NamespaceType };
}

/** The record schema a file is validated against, as JSON, and its hash (the validators' cache key). */
export interface SchemaSpec {
  hash: string;
  json: Record<string, unknown>;
}

/** Where a file's rows go: COPY lines of file index, row, identity, then the columns. */
export interface CopyTarget {
  fileIndex: number;
  /** Index of the primary identity among the columns (staged twice: as the identity too). */
  identityIndex: number;
  kinds: ColumnType[];
}

/** One file's load as a thread sees it. `id` names it in the threads' caches until it is released. */
export interface BlockSpec {
  id: string;
  format: Omit<FileFormat, 'format' | 'compression'> & { maxRecordBytes?: number; skipEmptyRecords?: boolean; fileName?: string };
  columns: ColumnSpec[];
  headerColumns: (number | null)[];
  schema: SchemaSpec | null;
  target: CopyTarget;
}

/** A block's outcome: its good rows as COPY text, the errors of the others (in row order), counts. */
export interface BlockResult {
  chunks: Buffer[];
  errors: RowError[][];
  input: number;
  ok: number;
  failed: number;
}
