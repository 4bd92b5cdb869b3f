/**
 * The reader's vocabulary: what a caller asks for (format, column plans, options), what comes out
 * (rows, row errors, stats) and the one whole-file error. Shared by every part of the reader.
 */
import type { ColumnType } from '../copy-format';

export type { ColumnType } from '../copy-format';

export interface FileFormat {
  format: 'csv' | 'jsonl';
  /** One character, default ',' (also '\t', '|', ';' …). ASCII only. */
  delimiter?: string;
  /** Default '"'. ASCII only. */
  quote?: string;
  /** 'auto' (default) sniffs the gzip magic bytes 1f 8b. */
  compression?: 'auto' | 'gzip' | 'none';
  /** CSV only: split `string[]` cells on this one character (`a;b`) instead of reading JSON. */
  multiValueSeparator?: string;
}

export interface ColumnPlan {
  /** Schema field path, e.g. 'homeAddress.city'. One per target column, in table column order. */
  path: string;
  type: ColumnType;
  /** Identity normaliser when the field is an identity. */
  normalize?: (raw: string) => { ok: true; value: string } | { ok: false; rule: string; message: string };
  /** E.g. the primary identity. */
  required?: boolean;
  /** Integer (and number) ranges, e.g. from xdmType. */
  minimum?: number;
  maximum?: number;
}

export type ValidateResult = boolean | { errors: { field: string | null; rule: string; message: string }[] };

export interface ReadOptions extends FileFormat {
  columns: ColumnPlan[];
  /**
   * Header name (JSON lines: dotted key path) → field path; '' ignores that header. Headers not
   * listed map to the field of the same path (case-sensitive).
   */
  mapping?: Record<string, string>;
  /** Validates the nested record built from a row that converted cleanly (e.g. the schema's ajv validator). */
  validate?: (record: Record<string, unknown>) => ValidateResult;
  /** Default 1 MiB. */
  maxRecordBytes?: number;
  /** CSV: skip records whose fields are all empty, like blank lines (not counted). */
  skipEmptyRecords?: boolean;
  /** Used in FileError messages. */
  fileName?: string;
}

export interface RowError {
  row: number;
  field: string | null;
  rule: string;
  message: string;
  rawValue: string | null;
}

export type RowValue = string | number | boolean | null | string[] | object;

export type ParsedRow = { row: number; ok: true; values: RowValue[] } | { row: number; ok: false; errors: RowError[] };

export interface ReadStats {
  /** Data records seen (CSV: excluding the header; JSON lines: non-blank lines). */
  inputRows: number;
  okRows: number;
  errorRows: number;
  /** Bytes read from the input (compressed size for gzip). */
  bytesRead: number;
  /** Bytes parsed (after decompression). */
  bytesParsed: number;
}

/** A problem with the whole file: nothing of it should be kept. */
export class FileError extends Error {
  constructor(
    readonly rule: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'FileError';
  }
}

export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
/** Raw values in errors are cut to this many characters. */
export const RAW_VALUE_MAX_CHARS = 1000;
/** Input chunks are fed to the scanner in slices of at most this size (bounds the rows per batch). */
export const SLICE_BYTES = 64 * 1024;
