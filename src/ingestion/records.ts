/**
 * The streaming core of batch ingestion: one partner file (bytes, maybe gzip) in, typed rows ready
 * for COPY (copy-format.ts) and row errors out. Pure: no database, no service.
 *
 * Why a hand-written byte scanner rather than csv-parse: csv-parse alone manages ~170k rows/s on a
 * 20-column file here, about half of what PostgreSQL's COPY ingests, before any conversion or
 * encoding. Scanning bytes lets us check UTF-8 once per chunk (simdutf) instead of per field,
 * decode an ASCII record once and cut its fields as substrings, skip unmapped fields, and bound
 * every record by size (bench/parse-records.ts measures it).
 *
 * Memory: the scanner keeps only the current record (≤ maxRecordBytes + one 64 KiB slice) and the
 * rows of one slice; the input is pulled as rows are consumed, so a slow consumer slows the read.
 * Iterate with `for await (const row of reader)`, or `reader.batches()` for one await per slice.
 *
 * Decisions (the batch service and the docs rely on them):
 * - CSV needs a header row. A file with no bytes (or only blank lines, after a BOM) is FileError
 *   `empty`, for JSON lines too; a CSV header with no data rows is simply zero rows.
 * - Record terminators: LF, CRLF or a lone CR; blank lines are skipped and not counted. `row` is the
 *   1-based data record number for CSV (header excluded, a quoted newline does not start a row) and
 *   the line number for JSON lines.
 * - An opening quote that is never closed is FileError `csv_malformed` naming the line it opened on
 *   (reported at the end of the file: rows before it may already have been yielded, so the caller
 *   must treat a FileError as "discard this file"). A quote inside an unquoted field is kept as a
 *   character (as Excel does); text after a closing quote (`"ab"c`) is row error `quote`.
 * - A record longer than `maxRecordBytes` (default 1 MiB) is row error `record_too_large`; the
 *   scanner then skips to the record's end without buffering it and carries on. (If the header
 *   itself is that long, FileError `record_too_large`.)
 * - Empty cells (and "" in JSON lines) are null. Whitespace-only cells are null too for every kind
 *   but plain strings, which keep what the partner wrote.
 * - Booleans: true/false, 1/0, yes/no, any case, surrounding spaces ignored.
 * - `string[]` cells in CSV hold a JSON array of strings: `["a","b"]` (in CSV quoting:
 *   `"[""a"",""b""]"`). JSON text is unambiguous whatever the delimiter; `[]` is an empty array.
 *   With a `multiValueSeparator` (e.g. `;`) every such cell is instead split on it, `a;b` →
 *   ["a","b"]: always, so a cell starting with `[` is text too (one rule per file, never a guess
 *   per cell). Items are trimmed and empty items dropped (`a; b;` and `a;;b` are ["a","b"]); an
 *   item cannot contain the separator. JSON lines arrays stay JSON.
 * - `json` cells in CSV hold JSON text. JSON lines values must already have their JSON type
 *   (42, not "42"); dates and date-times are strings; identities must be strings.
 * - Integers must be safe JavaScript integers (±9007199254740991) and within minimum/maximum;
 *   numbers are finite decimals (no hex, NaN, Infinity, no thousands separators).
 * - date-time needs a timezone (Z or ±hh:mm) and is normalised to UTC ISO 8601, microseconds kept.
 * - Invalid UTF-8 is decoded with U+FFFD and the row gets error `encoding` naming the field; a
 *   character split across chunks is not an error; a literal U+FFFD in valid UTF-8 is not either.
 * - NUL characters are refused (rule `nul_character`): PostgreSQL text and jsonb cannot hold them.
 * - A header (or JSON key) that maps to no column is FileError `unknown_column` for CSV and row
 *   error `unknown_field` for JSON lines; `mapping` may send a header to a field path, or to ''
 *   to ignore the column on purpose. Duplicate headers (or two headers mapped to one field) are
 *   FileError `duplicate_column`. A column with no header is null (rule `required` if required).
 * - Delimiter and quote are single ASCII characters (FileError `format` otherwise); the multi-value
 *   separator is one character that is neither of them nor a line break.
 * - `skipEmptyRecords`: a CSV record whose fields are all empty (`,,`) is skipped like a blank line.
 */
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { ColumnType } from './copy-format';

export type { ColumnType } from './copy-format';

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
const SLICE_BYTES = 64 * 1024;

/**
 * Reads one file. Iterate it once (rows, or `batches()` for fewer awaits); `stats` is filled as it
 * goes. Whole-file problems are thrown as FileError from the iteration.
 */
export function readRecords(input: Readable, opts: ReadOptions): RecordReader {
  return new RecordReader(input, opts);
}

export class RecordReader implements AsyncIterable<ParsedRow> {
  private readonly counters: ReadStats = { inputRows: 0, okRows: 0, errorRows: 0, bytesRead: 0, bytesParsed: 0 };
  private started = false;

  constructor(
    private readonly input: Readable,
    private readonly opts: ReadOptions,
  ) {}

  get stats(): ReadStats {
    return { ...this.counters };
  }

  /** Rows in groups (one group per input slice of ≤ 64 KiB): one await per group instead of per row. */
  async *batches(): AsyncGenerator<ParsedRow[], void, undefined> {
    if (this.started) throw new Error('readRecords: a file can only be read once');
    this.started = true;
    const plan = compilePlan(this.opts);
    const parser: Scanner = this.opts.format === 'jsonl' ? new JsonLinesScanner(plan, this.counters) : new CsvScanner(plan, this.counters);
    for await (const chunk of byteSource(this.input, this.opts, this.counters)) {
      this.counters.bytesParsed += chunk.length;
      parser.push(chunk);
      if (parser.out.length > 0) {
        const rows = parser.out;
        parser.out = [];
        yield rows;
      }
    }
    parser.finish();
    if (parser.out.length > 0) yield parser.out;
  }

  /** Row by row. Rows of a batch are handed out without a new async step each (cheaper per row). */
  [Symbol.asyncIterator](): AsyncIterator<ParsedRow> {
    const batches = this.batches();
    let current: ParsedRow[] = [];
    let k = 0;
    const refill = async (): Promise<IteratorResult<ParsedRow>> => {
      while (k >= current.length) {
        const r = await batches.next();
        if (r.done) return { done: true, value: undefined };
        current = r.value;
        k = 0;
      }
      return { done: false, value: current[k++] };
    };
    return {
      next: (): Promise<IteratorResult<ParsedRow>> => (k < current.length ? Promise.resolve({ done: false, value: current[k++] }) : refill()),
      return: async (): Promise<IteratorResult<ParsedRow>> => {
        await batches.return(undefined);
        return { done: true, value: undefined };
      },
    };
  }
}

// ---- bytes: decompression, chunking ----------------------------------------------------------

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('readRecords: the input must be a byte stream');
}

function* slices(b: Buffer): Generator<Buffer> {
  if (b.length <= SLICE_BYTES) {
    if (b.length > 0) yield b;
    return;
  }
  for (let off = 0; off < b.length; off += SLICE_BYTES) yield b.subarray(off, off + SLICE_BYTES);
}

function isZlibError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** The file's bytes, gunzipped when it is gzip, in slices of at most 64 KiB, pulled on demand. */
async function* byteSource(input: Readable, opts: ReadOptions, counters: ReadStats): AsyncGenerator<Buffer> {
  const compression = opts.compression ?? 'auto';
  const name = opts.fileName ? `${opts.fileName}: ` : '';
  const it = input[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  let finished = false;
  try {
    // Peek at the first two bytes (they may arrive in separate chunks).
    const head: Buffer[] = [];
    let headLength = 0;
    let ended = false;
    while (headLength < 2) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const b = toBuffer(r.value);
      counters.bytesRead += b.length;
      if (b.length > 0) {
        head.push(b);
        headLength += b.length;
      }
    }
    const first = head.length === 1 ? head[0] : Buffer.concat(head);
    const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
    if (compression === 'gzip' && !gzip) {
      throw new FileError('compression', `${name}the file is declared gzip but is not gzip-compressed (no 1f 8b header); declare compression none or auto, or upload the .gz file`);
    }
    if (compression === 'none' && gzip) {
      throw new FileError('compression', `${name}the file is gzip-compressed but declared compression none; declare gzip or auto`);
    }
    const raw = async function* (): AsyncGenerator<Buffer> {
      if (first.length > 0) yield first;
      if (ended) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        const b = toBuffer(r.value);
        counters.bytesRead += b.length;
        if (b.length > 0) yield b;
      }
    };
    if (!gzip) {
      for await (const b of raw()) yield* slices(b);
      finished = true;
      return;
    }
    const gunzip = createGunzip();
    const source = Readable.from(raw(), { objectMode: false });
    pipeline(source, gunzip).catch(() => undefined); // errors surface through the iteration below
    try {
      for await (const out of gunzip) yield* slices(out as Buffer);
    } catch (err) {
      if (isZlibError(err)) {
        throw new FileError(
          'compression',
          `${name}the gzip data is damaged or truncated (${err.message}); upload the complete file again`,
        );
      }
      throw err;
    } finally {
      gunzip.destroy();
      source.destroy();
    }
    finished = true;
  } finally {
    // Stopped early (consumer break or an error): release the input like `for await` would.
    if (!finished) await it.return?.();
  }
}

// ---- the plan ---------------------------------------------------------------------------------

const K_STRING = 0;
const K_INTEGER = 1;
const K_NUMBER = 2;
const K_BOOLEAN = 3;
const K_DATE = 4;
const K_DATE_TIME = 5;
const K_STRING_ARRAY = 6;
const K_JSON = 7;

const KIND_CODES: Record<ColumnType, number> = {
  string: K_STRING,
  integer: K_INTEGER,
  number: K_NUMBER,
  boolean: K_BOOLEAN,
  date: K_DATE,
  'date-time': K_DATE_TIME,
  'string[]': K_STRING_ARRAY,
  json: K_JSON,
};

interface Column {
  index: number;
  path: string;
  kind: number;
  normalize: ColumnPlan['normalize'];
  required: boolean;
  min: number;
  max: number;
  /** Message for a value out of range (built once). */
  rangeMessage: string;
  /** Path segments, for the nested record handed to `validate`. */
  segments: string[];
  /** A string column without identity normalisation: the text is the value. */
  plainString: boolean;
}

interface Plan {
  columns: Column[];
  byPath: Map<string, Column>;
  /** Header / key path → column, or null for "ignore on purpose". */
  sources: Map<string, Column | null>;
  /** Proper prefixes of every JSON key path that leads to a column (for nested objects). */
  prefixes: Set<string>;
  required: Column[];
  validate?: ReadOptions['validate'];
  delimiter: number;
  quote: number;
  /** The multi-value separator, or '' for JSON arrays. */
  separator: string;
  skipEmptyRecords: boolean;
  maxRecordBytes: number;
  fileLabel: string;
}

function singleAsciiChar(value: string | undefined, fallback: string, what: string): number {
  const v = value ?? fallback;
  if (v.length !== 1 || v.charCodeAt(0) > 127) {
    throw new FileError('format', `The ${what} must be exactly one ASCII character (got ${JSON.stringify(v)})`);
  }
  const c = v.charCodeAt(0);
  if (c === 10 || c === 13) throw new FileError('format', `The ${what} cannot be a line break`);
  return c;
}

function rangeMessage(path: string, isInt: boolean, minimum: number | undefined, maximum: number | undefined): string {
  const what = isInt ? 'whole numbers' : 'numbers';
  if (minimum !== undefined && maximum !== undefined) return `Out of range: ${path} takes ${what} from ${minimum} to ${maximum}`;
  if (minimum !== undefined) return `Out of range: ${path} takes ${what} of at least ${minimum}`;
  if (maximum !== undefined) return `Out of range: ${path} takes ${what} of at most ${maximum}`;
  return MSG.safeInteger;
}

function compilePlan(opts: ReadOptions): Plan {
  if (opts.format !== 'csv' && opts.format !== 'jsonl') {
    throw new FileError('format', `Unknown file format ${JSON.stringify(opts.format)}; use csv or jsonl`);
  }
  const columns: Column[] = [];
  const byPath = new Map<string, Column>();
  opts.columns.forEach((c, index) => {
    const kind = KIND_CODES[c.type];
    if (kind === undefined) throw new Error(`column ${c.path}: unknown type ${String(c.type)}`);
    if (byPath.has(c.path)) throw new Error(`column ${c.path} is planned twice`);
    const isInt = kind === K_INTEGER;
    const min = c.minimum ?? (isInt ? Number.MIN_SAFE_INTEGER : -Infinity);
    const max = c.maximum ?? (isInt ? Number.MAX_SAFE_INTEGER : Infinity);
    const column: Column = {
      index,
      path: c.path,
      kind,
      normalize: c.normalize,
      required: c.required === true,
      min,
      max,
      rangeMessage: rangeMessage(c.path, isInt, c.minimum, c.maximum),
      segments: c.path.split('.'),
      plainString: kind === K_STRING && c.normalize === undefined,
    };
    columns.push(column);
    byPath.set(c.path, column);
  });

  const sources = new Map<string, Column | null>();
  for (const c of columns) sources.set(c.path, c);
  if (opts.mapping) {
    const bad: string[] = [];
    for (const [header, target] of Object.entries(opts.mapping)) {
      if (target === '') {
        sources.set(header, null);
        continue;
      }
      const column = byPath.get(target);
      if (!column) bad.push(`${header} → ${target}`);
      else sources.set(header, column);
    }
    if (bad.length > 0) {
      throw new FileError('mapping', `The mapping sends columns to fields the dataset does not have (${bad.join(', ')}); valid field paths: ${listPaths(columns)}`, {
        invalidMappings: bad,
      });
    }
  }
  const prefixes = new Set<string>();
  for (const key of sources.keys()) {
    for (let i = key.indexOf('.'); i !== -1; i = key.indexOf('.', i + 1)) prefixes.add(key.slice(0, i));
  }
  const isCsv = opts.format === 'csv';
  const maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  if (!(maxRecordBytes > 0)) throw new Error('maxRecordBytes must be positive');
  const delimiter = isCsv ? singleAsciiChar(opts.delimiter, ',', 'delimiter') : 0;
  const quote = isCsv ? singleAsciiChar(opts.quote, '"', 'quote character') : 0;
  if (isCsv && delimiter === quote) throw new FileError('format', 'The delimiter and the quote character must differ');
  const separator = multiValueSeparator(opts, isCsv, delimiter, quote);
  return {
    columns,
    byPath,
    sources,
    prefixes,
    required: columns.filter((c) => c.required),
    validate: opts.validate,
    delimiter,
    quote,
    separator,
    skipEmptyRecords: isCsv && opts.skipEmptyRecords === true,
    maxRecordBytes,
    fileLabel: opts.fileName ? `${opts.fileName}: ` : '',
  };
}

/** Why a multi-value separator is refused (rule and message), or null. The batch service checks it at entry too. */
export function multiValueSeparatorProblem(separator: string, format: FileFormat['format'], delimiter = ',', quote = '"'): { rule: string; message: string } | null {
  if (format !== 'csv') return { rule: 'csv-only', message: 'multiValueSeparator applies to CSV files only (JSON lines arrays are JSON arrays)' };
  if ([...separator].length !== 1) return { rule: 'one-character', message: `multiValueSeparator must be exactly one character (got ${JSON.stringify(separator)})` };
  if (separator === '\n' || separator === '\r') return { rule: 'not-newline', message: 'multiValueSeparator cannot be a line break' };
  if (separator === delimiter) {
    return { rule: 'not-delimiter', message: `multiValueSeparator cannot be the delimiter ${JSON.stringify(delimiter)}: the cell would be cut into columns first; choose another character, e.g. ";" or "|"` };
  }
  if (separator === quote) return { rule: 'not-quote', message: `multiValueSeparator cannot be the quote character ${JSON.stringify(quote)}` };
  return null;
}

function multiValueSeparator(opts: ReadOptions, isCsv: boolean, delimiter: number, quote: number): string {
  const sep = opts.multiValueSeparator;
  if (sep === undefined || sep === '') return '';
  const problem = multiValueSeparatorProblem(sep, isCsv ? 'csv' : 'jsonl', String.fromCharCode(delimiter), String.fromCharCode(quote));
  if (problem) throw new FileError('format', problem.message);
  return sep;
}

function listPaths(columns: readonly Column[]): string {
  const shown = columns.slice(0, 200).map((c) => c.path);
  return shown.join(', ') + (columns.length > shown.length ? ` … (${columns.length - shown.length} more)` : '');
}

// ---- value conversion -------------------------------------------------------------------------

/** Returned by a conversion that failed; `failRule` / `failMessage` say why (set just before). */
const INVALID: unique symbol = Symbol('invalid');
let failRule = '';
let failMessage = '';

function fail(rule: string, message: string): typeof INVALID {
  failRule = rule;
  failMessage = message;
  return INVALID;
}

const MSG = {
  integer: 'Expected a whole number such as 42 (digits with an optional sign; no decimal point, spaces or thousands separators)',
  integerJson: 'Expected a JSON number that is a whole number, e.g. 42 (not the string "42", not 4.2)',
  number: 'Expected a number such as 3.14 or -2.5e3 (use . as the decimal separator; no thousands separators, hex, NaN or Infinity)',
  numberJson: 'Expected a finite JSON number, e.g. 3.14 (not a string)',
  boolean: 'Expected a boolean: true/false, 1/0 or yes/no (any case)',
  booleanJson: 'Expected a JSON boolean: true or false (not a string or a number)',
  date: 'Expected a real calendar date written YYYY-MM-DD, e.g. 2024-02-29',
  dateTime: 'Expected an ISO 8601 date and time with a timezone, e.g. 2024-05-01T09:30:00+09:00 or 2024-05-01T00:30:00Z',
  dateTimeRange: 'The date and time must fall between the years 0001 and 9999 in UTC',
  array: 'Expected a JSON array of strings, e.g. ["a","b"] (in a CSV cell quote it and double the inner quotes: "[""a"",""b""]"); for cells such as a;b declare a multiValueSeparator',
  arrayJson: 'Expected a JSON array of strings, e.g. ["a","b"] (no null, numbers or objects inside)',
  json: 'Expected valid JSON text',
  string: 'Expected a JSON string',
  identityJson: 'Expected the identifier as a JSON string (numbers lose digits beyond 2^53: write "1234", not 1234)',
  nul: 'Remove the NUL character (\\0): text values cannot contain it',
  encoding: 'The value contains bytes that are not valid UTF-8 (shown as �); save the file as UTF-8 and upload it again',
  safeInteger: 'Too large: whole numbers must lie between -9007199254740991 and 9007199254740991',
};

const INTEGER_RE = /^[+-]?\d+$/;
const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff || (c >= 0x2000 && c <= 0x200a) || c === 0x3000;
}

/** Empty or only whitespace (cheap: usually decided by the first character). */
function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false;
  return true;
}

function trimIfNeeded(s: string): string {
  return isSpace(s.charCodeAt(0)) || isSpace(s.charCodeAt(s.length - 1)) ? s.trim() : s;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function digitsAt(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function isDate(t: string): boolean {
  if (t.length !== 10 || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45) return false;
  const y = digitsAt(t, 0, 4);
  const m = digitsAt(t, 5, 7);
  const d = digitsAt(t, 8, 10);
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

const TWO_DIGITS: string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? '0' : '') + i);

function isDigitAt(t: string, i: number): boolean {
  const c = t.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/**
 * ISO 8601 date-time with a timezone → UTC `YYYY-MM-DDTHH:MM:SS.sssZ` (plus microseconds when
 * given). Accepts `T`, `t` or a space between date and time, optional seconds and fraction
 * (`.` or `,`), `Z` or `±hh:mm` / `±hhmm`. Hand-parsed: it runs for every cell of the column.
 */
function toDateTime(t: string): string | typeof INVALID {
  const n = t.length;
  if (n < 17 || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(13) !== 58) return fail('date-time', MSG.dateTime);
  const sep = t.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return fail('date-time', MSG.dateTime);
  let y = digitsAt(t, 0, 4);
  let mo = digitsAt(t, 5, 7);
  let d = digitsAt(t, 8, 10);
  const h = digitsAt(t, 11, 13);
  const mi = digitsAt(t, 14, 16);
  let s = 0;
  let i = 16;
  let frac = '';
  if (t.charCodeAt(i) === 58) {
    s = digitsAt(t, 17, 19);
    if (n < 20) return fail('date-time', MSG.dateTime);
    i = 19;
    const dot = t.charCodeAt(i);
    if (dot === 46 || dot === 44) {
      let k = i + 1;
      while (k < n && isDigitAt(t, k)) k++;
      if (k === i + 1 || k - i - 1 > 9) return fail('date-time', MSG.dateTime);
      frac = t.slice(i + 1, k);
      i = k;
    }
  }
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) {
    return fail('date-time', MSG.dateTime);
  }
  let offset = 0;
  const z = t.charCodeAt(i);
  if (z === 90 || z === 122) {
    if (i + 1 !== n) return fail('date-time', MSG.dateTime);
  } else if (z === 43 || z === 45) {
    const oh = digitsAt(t, i + 1, i + 3);
    let om: number;
    if (n === i + 6 && t.charCodeAt(i + 3) === 58) om = digitsAt(t, i + 4, i + 6);
    else if (n === i + 5) om = digitsAt(t, i + 3, i + 5);
    else return fail('date-time', MSG.dateTime);
    if (oh < 0 || oh > 18 || om < 0 || om > 59) return fail('date-time', MSG.dateTime);
    offset = (oh * 60 + om) * (z === 45 ? -1 : 1);
  } else {
    return fail('date-time', MSG.dateTime);
  }
  // To UTC: the offset is under a day, so the date moves by at most one day.
  let minutes = h * 60 + mi - offset;
  if (minutes < 0) {
    minutes += 1440;
    if (--d < 1) {
      if (--mo < 1) {
        mo = 12;
        y--;
      }
      d = daysInMonth(y, mo);
    }
  } else if (minutes >= 1440) {
    minutes -= 1440;
    if (++d > daysInMonth(y, mo)) {
      d = 1;
      if (++mo > 12) {
        mo = 1;
        y++;
      }
    }
  }
  if (y < 1 || y > 9999) return fail('date-time', MSG.dateTimeRange);
  const yyyy = y >= 1000 ? String(y) : String(y).padStart(4, '0');
  const ms = frac.length >= 3 ? frac.slice(0, 3) : (frac + '000').slice(0, 3);
  // Microseconds are PostgreSQL's precision; digits past them are dropped.
  const micro = frac.length > 3 ? (frac.slice(3, 6) + '00').slice(0, 3) : '';
  return (
    yyyy + '-' + TWO_DIGITS[mo] + '-' + TWO_DIGITS[d] + 'T' + TWO_DIGITS[(minutes / 60) | 0] + ':' + TWO_DIGITS[minutes % 60] + ':' + TWO_DIGITS[s] + '.' + ms + micro + 'Z'
  );
}

function checkRange(col: Column, n: number): number | typeof INVALID {
  if (n < col.min || n > col.max) return fail('range', col.rangeMessage);
  return n;
}

function hasNul(s: string): boolean {
  return s.indexOf('\u0000') !== -1;
}

function isStringArray(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string' || hasNul(v[i] as string)) return false;
  return true;
}

/** A cell split on the multi-value separator: items trimmed, empty ones dropped. */
function splitItems(t: string, separator: string): string[] | typeof INVALID {
  const items: string[] = [];
  for (const part of t.split(separator)) {
    if (isBlank(part)) continue;
    if (hasNul(part)) return fail('nul_character', MSG.nul);
    items.push(trimIfNeeded(part));
  }
  return items;
}

/** A CSV cell (non-empty) to the column's value. `separator`: see Plan. */
function fromText(col: Column, s: string, separator: string): RowValue | typeof INVALID {
  if (col.normalize) {
    if (isBlank(s)) return null;
    const r = col.normalize(s);
    return r.ok ? r.value : fail(r.rule, r.message);
  }
  const kind = col.kind;
  if (kind === K_STRING) return hasNul(s) ? fail('nul_character', MSG.nul) : s;
  if (isBlank(s)) return null;
  const t = trimIfNeeded(s);
  switch (kind) {
    case K_INTEGER: {
      if (!INTEGER_RE.test(t)) return fail('integer', MSG.integer);
      const n = Number(t);
      if (!Number.isSafeInteger(n)) return fail('range', MSG.safeInteger);
      return checkRange(col, n);
    }
    case K_NUMBER: {
      if (!NUMBER_RE.test(t)) return fail('number', MSG.number);
      const n = Number(t);
      if (!Number.isFinite(n)) return fail('number', MSG.number);
      return checkRange(col, n);
    }
    case K_BOOLEAN:
      return textBoolean(t);
    case K_DATE:
      return isDate(t) ? t : fail('date', MSG.date);
    case K_DATE_TIME:
      return toDateTime(t);
    case K_STRING_ARRAY: {
      if (separator !== '') return splitItems(t, separator);
      let v: unknown;
      try {
        v = JSON.parse(t);
      } catch {
        return fail('array', MSG.array);
      }
      return isStringArray(v) ? v : fail('array', MSG.array);
    }
    default: {
      if (t.indexOf('\\u0000') !== -1) return fail('nul_character', MSG.nul);
      try {
        return JSON.parse(t) as RowValue;
      } catch (err) {
        return fail('json', `${MSG.json} (${(err as Error).message})`);
      }
    }
  }
}

function textBoolean(t: string): boolean | typeof INVALID {
  switch (t) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
  }
  if (t.length > 5) return fail('boolean', MSG.boolean);
  switch (t.toLowerCase()) {
    case 'true':
    case 'yes':
      return true;
    case 'false':
    case 'no':
      return false;
    default:
      return fail('boolean', MSG.boolean);
  }
}

/** A JSON value (not undefined) to the column's value: it must already have the right JSON type. */
function fromJson(col: Column, v: unknown): RowValue | typeof INVALID {
  if (v === null) return null;
  if (col.normalize) {
    if (typeof v !== 'string') return fail('string', MSG.identityJson);
    if (isBlank(v)) return null;
    const r = col.normalize(v);
    return r.ok ? r.value : fail(r.rule, r.message);
  }
  switch (col.kind) {
    case K_STRING:
      if (typeof v !== 'string') return fail('string', MSG.string);
      if (v.length === 0) return null;
      return hasNul(v) ? fail('nul_character', MSG.nul) : v;
    case K_INTEGER:
      if (typeof v !== 'number' || !Number.isInteger(v)) return fail('integer', MSG.integerJson);
      if (!Number.isSafeInteger(v)) return fail('range', MSG.safeInteger);
      return checkRange(col, v);
    case K_NUMBER:
      if (typeof v !== 'number' || !Number.isFinite(v)) return fail('number', MSG.numberJson);
      return checkRange(col, v);
    case K_BOOLEAN:
      return typeof v === 'boolean' ? v : fail('boolean', MSG.booleanJson);
    case K_DATE: {
      if (typeof v !== 'string') return fail('date', MSG.date);
      if (isBlank(v)) return null;
      const t = trimIfNeeded(v);
      return isDate(t) ? t : fail('date', MSG.date);
    }
    case K_DATE_TIME:
      if (typeof v !== 'string') return fail('date-time', MSG.dateTime);
      if (isBlank(v)) return null;
      return toDateTime(trimIfNeeded(v));
    case K_STRING_ARRAY:
      return isStringArray(v) ? v : fail('array', MSG.arrayJson);
    default:
      if (typeof v === 'string' ? hasNul(v) : typeof v === 'object' && JSON.stringify(v).indexOf('\\u0000') !== -1) {
        return fail('nul_character', MSG.nul);
      }
      return v as RowValue;
  }
}

function truncate(s: string): string {
  return s.length > RAW_VALUE_MAX_CHARS ? s.slice(0, RAW_VALUE_MAX_CHARS) : s;
}

function rawOf(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return truncate(v);
  try {
    return truncate(JSON.stringify(v) ?? String(v));
  } catch {
    return truncate(String(v));
  }
}

// ---- scanners -----------------------------------------------------------------------------

const LF = 10;
const CR = 13;

/**
 * Buffer's own utf8Slice skips the argument handling of toString(), which costs as much as the
 * decoding itself for short fields; toString() where it is missing.
 */
interface SlicingBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
}
const HAS_UTF8_SLICE = typeof (Buffer.prototype as Partial<SlicingBuffer>).utf8Slice === 'function';

function decode(buf: Buffer, from: number, to: number): string {
  return HAS_UTF8_SLICE ? (buf as SlicingBuffer).utf8Slice(from, to) : buf.toString('utf8', from, to);
}

/**
 * Shared by both formats: a growable window over the bytes of the current record, UTF-8 checking
 * per chunk, the record size guard and turning a finished record into a ParsedRow.
 */
abstract class Scanner {
  out: ParsedRow[] = [];
  protected buf = Buffer.allocUnsafe(SLICE_BYTES * 2);
  protected len = 0;
  /** Start of the record being scanned; bytes before it are done with. */
  protected start = 0;
  /** Next byte to scan. */
  protected pos = 0;
  /** Skipping the rest of an oversized record. */
  protected skipping = false;
  /** Bytes from `validated` on are not UTF-8-checked yet. */
  private validated = 0;
  /** A range that may hold invalid UTF-8 (buffer offsets); none when dirtyEnd ≤ 0. */
  private dirtyStart = 0;
  private dirtyEnd = 0;
  private bomChecked = false;

  constructor(
    protected readonly plan: Plan,
    protected readonly stats: ReadStats,
  ) {}

  push(chunk: Buffer): void {
    this.append(chunk);
    if (!this.bomChecked) {
      if (this.len < 3) return;
      this.skipBom();
    }
    this.scan();
    if (!this.skipping && this.len - this.start > this.plan.maxRecordBytes) this.tooLarge();
    // While skipping an oversized record its bytes are dropped as they come.
    if (this.skipping) this.start = this.pos;
  }

  finish(): void {
    this.validate(this.len);
    if (!this.bomChecked) this.skipBom();
    this.scan();
    this.end();
  }

  /** Scans from `pos` to `len`, emitting every complete record. */
  protected abstract scan(): void;
  /** End of input: the last record without a terminator, unclosed quotes, empty files. */
  protected abstract end(): void;
  /** The current record passed maxRecordBytes: report it and start skipping. */
  protected abstract tooLarge(): void;
  /** Buffer offsets moved down by `by` (compaction). */
  protected abstract shifted(by: number): void;

  private skipBom(): void {
    this.bomChecked = true;
    const b = this.buf;
    if (this.len >= 3 && this.start === 0 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) this.start = this.pos = 3;
  }

  private append(chunk: Buffer): void {
    const drop = this.start;
    if (drop > 0) {
      if (drop < this.len) this.buf.copyWithin(0, drop, this.len);
      this.len -= drop;
      this.pos -= drop;
      this.start = 0;
      this.validated = Math.max(0, this.validated - drop);
      this.dirtyStart = Math.max(0, this.dirtyStart - drop);
      this.dirtyEnd -= drop;
      this.shifted(drop);
    }
    const need = this.len + chunk.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    chunk.copy(this.buf, this.len);
    this.len = need;
    this.validate(need - incompleteTail(this.buf, this.validated, need));
  }

  /** Checks [validated, upTo) once; records a dirty range when it is not valid UTF-8. */
  private validate(upTo: number): void {
    if (upTo <= this.validated) return;
    if (!isUtf8(this.buf.subarray(this.validated, upTo))) {
      if (this.dirtyEnd <= 0) this.dirtyStart = this.validated;
      this.dirtyEnd = upTo;
    }
    this.validated = upTo;
  }

  /** Whether [from, to) may hold invalid UTF-8 (then check it precisely). */
  protected mayBeDirty(from: number, to: number): boolean {
    return this.dirtyEnd > from && this.dirtyStart < to;
  }

  protected isValidUtf8(from: number, to: number): boolean {
    return isUtf8(this.buf.subarray(from, to));
  }

  /** The bytes of [from, to) as text for an error message, cut to the raw value limit. */
  protected rawText(from: number, to: number): string {
    return truncate(this.buf.toString('utf8', from, Math.min(to, from + RAW_VALUE_MAX_CHARS * 4)));
  }

  protected emitErrors(row: number, errors: RowError[]): void {
    this.stats.errorRows++;
    this.out.push({ row, ok: false, errors });
  }

  /** Required check, `validate`, then the row. `errors` holds conversion errors so far. */
  protected finishRow(row: number, values: RowValue[], errors: RowError[] | null, failed: Uint8Array | null): void {
    const plan = this.plan;
    for (let i = 0; i < plan.required.length; i++) {
      const c = plan.required[i];
      if (values[c.index] === null && (failed === null || failed[c.index] === 0)) {
        (errors ??= []).push({ row, field: c.path, rule: 'required', message: `Missing value: fill in ${c.path}, every record needs it`, rawValue: null });
      }
    }
    if (errors === null && plan.validate) errors = this.validateRecord(row, values);
    if (errors !== null) {
      this.emitErrors(row, errors);
      return;
    }
    this.stats.okRows++;
    this.out.push({ row, ok: true, values });
  }

  private validateRecord(row: number, values: RowValue[]): RowError[] | null {
    const plan = this.plan;
    const record: Record<string, unknown> = {};
    for (let i = 0; i < plan.columns.length; i++) {
      const v = values[i];
      if (v === null) continue;
      const segs = plan.columns[i].segments;
      let o = record;
      for (let k = 0; k < segs.length - 1; k++) {
        let next = o[segs[k]] as Record<string, unknown> | undefined;
        if (next === undefined) o[segs[k]] = next = {};
        o = next;
      }
      o[segs[segs.length - 1]] = v;
    }
    const result = plan.validate!(record);
    if (result === true) return null;
    const found = result === false ? [] : result.errors;
    if (found.length === 0) {
      return [{ row, field: null, rule: 'schema', message: 'The record does not match the dataset schema', rawValue: null }];
    }
    return found.map((e) => {
      const col = e.field === null ? undefined : plan.byPath.get(e.field);
      return {
        row,
        field: e.field,
        rule: e.rule,
        message: e.rule === 'required' && e.field ? `Missing value: fill in ${e.field}` : `Value ${e.message}`,
        rawValue: col ? rawOf(values[col.index]) : null,
      };
    });
  }
}

/** Length of an incomplete UTF-8 sequence at the end of [from, end) (0–3), to check it with the next chunk. */
function incompleteTail(b: Buffer, from: number, end: number): number {
  for (let back = 1; back <= 3 && end - back >= from; back++) {
    const c = b[end - back];
    if ((c & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

// CSV scanner states
const S_FIELD = 0; // at the start of a field
const S_UNQUOTED = 1;
const S_QUOTED = 2;
const S_QUOTE_SEEN = 3; // a quote inside a quoted field: closing, or the first of a doubled pair
const S_AFTER_QUOTE = 4; // text after a closing quote (malformed)

const F_QUOTED = 1;
const F_ESCAPED = 2;
const F_BAD_QUOTE = 4;

class CsvScanner extends Scanner {
  private state = S_FIELD;
  /** Start of the field being scanned, and its flags. */
  private fs = 0;
  private flags = 0;
  /** Fields of the current record. */
  private n = 0;
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private fieldFlags = new Uint8Array(64);
  /** Line number (1-based) of the byte at `pos`, and of the last opening quote. */
  private line = 1;
  private quoteLine = 0;
  private headerSeen = false;
  private rowNo = 0;
  /** Per header position: the column, or null (ignored). */
  private headerColumns: (Column | null)[] = [];
  private headerNames: string[] = [];
  private readonly quoteChar: string;
  private readonly doubledQuote: string;

  constructor(plan: Plan, stats: ReadStats) {
    super(plan, stats);
    this.quoteChar = String.fromCharCode(plan.quote);
    this.doubledQuote = this.quoteChar + this.quoteChar;
  }

  protected shifted(by: number): void {
    this.fs -= by;
    for (let k = 0; k < this.n; k++) {
      this.starts[k] -= by;
      this.ends[k] -= by;
    }
  }

  private addField(from: number, to: number, flags: number): void {
    if (this.skipping) return;
    const k = this.n;
    if (k === this.starts.length) {
      const size = k * 2;
      const s = new Int32Array(size);
      s.set(this.starts);
      this.starts = s;
      const e = new Int32Array(size);
      e.set(this.ends);
      this.ends = e;
      const f = new Uint8Array(size);
      f.set(this.fieldFlags);
      this.fieldFlags = f;
    }
    this.starts[k] = from;
    this.ends[k] = to;
    this.fieldFlags[k] = flags;
    this.n = k + 1;
  }

  protected scan(): void {
    const buf = this.buf;
    const len = this.len;
    const d = this.plan.delimiter;
    const q = this.plan.quote;
    let i = this.pos;
    let state = this.state;
    let fs = this.fs;
    let flags = this.flags;
    let line = this.line;
    while (i < len) {
      switch (state) {
        case S_FIELD: {
          const c = buf[i];
          if (c === q) {
            state = S_QUOTED;
            flags = F_QUOTED;
            fs = i + 1;
            this.quoteLine = line;
            i++;
          } else if (c === d) {
            this.addField(i, i, 0);
            i++;
          } else if (c === LF || c === CR) {
            if (c === LF) line++;
            if (this.n > 0 || this.skipping) {
              this.addField(i, i, 0);
              this.endRecord(i);
            }
            // else: a blank line (or the LF of a CRLF)
            i++;
            this.start = i;
          } else {
            // An unquoted field (the common case), scanned right here.
            fs = i;
            let e = 0;
            i++;
            while (i < len) {
              e = buf[i];
              if (e === d || e === LF || e === CR) break;
              i++;
            }
            if (i === len) {
              state = S_UNQUOTED;
              flags = 0;
              break;
            }
            this.addField(fs, i, 0);
            if (e !== d) {
              if (e === LF) line++;
              this.endRecord(i);
              this.start = i + 1;
            }
            i++;
          }
          break;
        }
        case S_UNQUOTED: {
          let c = 0;
          while (i < len) {
            c = buf[i];
            if (c === d || c === LF || c === CR) break;
            i++;
          }
          if (i === len) break;
          this.addField(fs, i, flags);
          state = S_FIELD;
          if (c !== d) {
            if (c === LF) line++;
            this.endRecord(i);
            this.start = i + 1;
          }
          i++;
          break;
        }
        case S_QUOTED: {
          let c = 0;
          while (i < len) {
            c = buf[i];
            if (c === q) break;
            if (c === LF) line++;
            i++;
          }
          if (i === len) break;
          state = S_QUOTE_SEEN;
          i++;
          break;
        }
        case S_QUOTE_SEEN: {
          const c = buf[i];
          if (c === q) {
            flags |= F_ESCAPED;
            state = S_QUOTED;
            i++;
          } else if (c === d || c === LF || c === CR) {
            this.addField(fs, i - 1, flags);
            state = S_FIELD;
            if (c !== d) {
              if (c === LF) line++;
              this.endRecord(i);
              this.start = i + 1;
            }
            i++;
          } else {
            flags |= F_BAD_QUOTE;
            state = S_AFTER_QUOTE;
          }
          break;
        }
        default: {
          // S_AFTER_QUOTE: swallow to the end of the field; the row is reported as malformed.
          let c = 0;
          while (i < len) {
            c = buf[i];
            if (c === d || c === LF || c === CR) break;
            i++;
          }
          if (i === len) break;
          this.addField(fs, i, flags);
          state = S_FIELD;
          if (c !== d) {
            if (c === LF) line++;
            this.endRecord(i);
            this.start = i + 1;
          }
          i++;
        }
      }
    }
    this.pos = i;
    this.state = state;
    this.fs = fs;
    this.flags = flags;
    this.line = line;
  }

  protected tooLarge(): void {
    const p = this.plan;
    if (!this.headerSeen) {
      throw new FileError('record_too_large', `${p.fileLabel}the header row is longer than ${p.maxRecordBytes} bytes; check the delimiter and the line breaks`);
    }
    const row = ++this.rowNo;
    this.stats.inputRows++;
    this.emitErrors(row, [
      {
        row,
        field: null,
        rule: 'record_too_large',
        message: `Row ${row} is longer than ${p.maxRecordBytes} bytes; records this large are refused (a profile record holds at most about 100 KB). Check for a missing closing quote`,
        rawValue: this.rawText(this.start, this.len),
      },
    ]);
    this.skipping = true;
    this.n = 0;
  }

  protected end(): void {
    const len = this.len;
    switch (this.state) {
      case S_QUOTED:
        throw new FileError(
          'csv_malformed',
          `${this.plan.fileLabel}line ${this.quoteLine}: a quoted field opened here is never closed (unbalanced ${this.quoteChar}); close it, or double quotes inside quoted fields`,
          { line: this.quoteLine },
        );
      case S_QUOTE_SEEN:
        this.addField(this.fs, len - 1, this.flags);
        this.endRecord(len);
        break;
      case S_UNQUOTED:
      case S_AFTER_QUOTE:
        this.addField(this.fs, len, this.flags);
        this.endRecord(len);
        break;
      default:
        if (this.n > 0) {
          this.addField(len, len, 0);
          this.endRecord(len);
        }
    }
    this.start = this.pos = len;
    if (!this.headerSeen) {
      throw new FileError('empty', `${this.plan.fileLabel}the file is empty; a CSV file needs a header row naming the fields, then one row per record`);
    }
  }

  /** The record [start, end) is complete with its `n` fields. */
  private endRecord(end: number): void {
    const n = this.n;
    this.n = 0;
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    if (!this.headerSeen) {
      this.header(n);
      return;
    }
    if (this.plan.skipEmptyRecords && this.allEmpty(n)) return;
    const row = ++this.rowNo;
    this.stats.inputRows++;
    if (end - this.start > this.plan.maxRecordBytes) {
      this.emitErrors(row, [
        {
          row,
          field: null,
          rule: 'record_too_large',
          message: `Row ${row} is longer than ${this.plan.maxRecordBytes} bytes; records this large are refused (a profile record holds at most about 100 KB)`,
          rawValue: this.rawText(this.start, end),
        },
      ]);
      return;
    }
    const headerColumns = this.headerColumns;
    if (n !== headerColumns.length) {
      this.emitErrors(row, [
        {
          row,
          field: null,
          rule: 'column_count',
          message: `Row ${row} has ${n} field${n === 1 ? '' : 's'} but the header has ${headerColumns.length}; quote values that contain the delimiter or line breaks, and give every row all columns`,
          rawValue: this.rawText(this.start, end),
        },
      ]);
      return;
    }
    const plan = this.plan;
    const buf = this.buf;
    const values: RowValue[] = new Array(plan.columns.length).fill(null);
    let errors: RowError[] | null = null;
    let failed: Uint8Array | null = null;
    const dirty = this.mayBeDirty(this.start, end);
    // One decode for the whole record, then substrings: when it is ASCII (decoded length equals
    // byte length) byte offsets are character offsets. Else each field is decoded on its own.
    const recordStart = this.start;
    const record = dirty ? '' : decode(buf, recordStart, end);
    const ascii = !dirty && record.length === end - recordStart;
    for (let h = 0; h < n; h++) {
      const col = headerColumns[h];
      if (col === null) continue;
      const from = this.starts[h];
      const to = this.ends[h];
      const flags = this.fieldFlags[h];
      if (from === to && flags === 0) continue;
      let s = from === to ? '' : ascii ? record.substring(from - recordStart, to - recordStart) : decode(buf, from, to);
      if (flags & F_ESCAPED) s = s.replaceAll(this.doubledQuote, this.quoteChar);
      let rule: string;
      let message: string;
      if (flags & F_BAD_QUOTE) {
        rule = 'quote';
        message = `Text follows a closing quote; quote the whole value and double any ${this.quoteChar} inside it`;
        s = buf.toString('utf8', from - 1, to);
      } else if (dirty && !this.isValidUtf8(from, to)) {
        rule = 'encoding';
        message = MSG.encoding;
      } else {
        if (s.length === 0) continue;
        if (col.plainString && s.indexOf('\u0000') === -1) {
          values[col.index] = s; // the common case, kept out of fromText
          continue;
        }
        const v = fromText(col, s, plan.separator);
        if (v !== INVALID) {
          values[col.index] = v;
          continue;
        }
        rule = failRule;
        message = failMessage;
      }
      (errors ??= []).push({ row, field: col.path, rule, message, rawValue: truncate(s) });
      (failed ??= new Uint8Array(plan.columns.length))[col.index] = 1;
    }
    this.finishRow(row, values, errors, failed);
  }

  private allEmpty(n: number): boolean {
    for (let k = 0; k < n; k++) if (this.starts[k] !== this.ends[k]) return false;
    return true;
  }

  private header(n: number): void {
    const plan = this.plan;
    const names: string[] = [];
    for (let h = 0; h < n; h++) {
      let s = this.buf.toString('utf8', this.starts[h], this.ends[h]);
      if (this.fieldFlags[h] & F_ESCAPED) s = s.replaceAll(this.doubledQuote, this.quoteChar);
      names.push(s.trim());
    }
    this.headerSeen = true;
    this.headerNames = names;
    const seen = new Map<string, number>();
    const duplicates: string[] = [];
    for (const name of names) {
      const k = (seen.get(name) ?? 0) + 1;
      seen.set(name, k);
      if (k === 2) duplicates.push(name);
    }
    if (duplicates.length > 0) {
      throw new FileError('duplicate_column', `${plan.fileLabel}the header names ${duplicates.map((d) => JSON.stringify(d)).join(', ')} more than once; every column needs its own name`, {
        duplicates,
      });
    }
    const unknown: string[] = [];
    const columns: (Column | null)[] = [];
    const target = new Map<Column, string>();
    const sameTarget: string[] = [];
    for (const name of names) {
      const col = plan.sources.get(name);
      if (col === undefined) {
        unknown.push(name);
        columns.push(null);
        continue;
      }
      columns.push(col);
      if (col === null) continue;
      const other = target.get(col);
      if (other !== undefined) sameTarget.push(`${JSON.stringify(other)} and ${JSON.stringify(name)} both map to ${col.path}`);
      target.set(col, name);
    }
    if (unknown.length > 0) {
      let hint = '';
      if (names.length === 1) {
        const found = [';', '\t', '|', ','].find((c) => c.charCodeAt(0) !== plan.delimiter && names[0].includes(c));
        if (found) hint = ` The header looks ${found === '\t' ? 'tab' : found}-separated: set the delimiter to ${JSON.stringify(found)}.`;
      }
      throw new FileError(
        'unknown_column',
        `${plan.fileLabel}no field for the column${unknown.length === 1 ? '' : 's'} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; rename the header to a field path or map it (mapping), or map it to '' to ignore it.${hint} Valid field paths: ${listPaths(plan.columns)}`,
        { unknownColumns: unknown, validFields: plan.columns.map((c) => c.path) },
      );
    }
    if (sameTarget.length > 0) {
      throw new FileError('duplicate_column', `${plan.fileLabel}${sameTarget.join('; ')}; keep one of them or map the other to ''`, { conflicts: sameTarget });
    }
    this.headerColumns = columns;
  }
}

class JsonLinesScanner extends Scanner {
  private lineNo = 0;
  /** For unknown_field messages, built once. */
  private readonly validPaths = listPaths(this.plan.columns);
  private sawRecord = false;

  protected shifted(): void {
    // Only `start`/`pos` point into the buffer, and the base class moves those.
  }

  protected scan(): void {
    const buf = this.buf;
    const len = this.len;
    let i = this.pos;
    while (i < len) {
      let nl = buf.indexOf(LF, i);
      if (nl >= len) nl = -1;
      if (nl === -1) {
        i = len;
        break;
      }
      this.lineNo++;
      if (this.skipping) this.skipping = false;
      else this.line(this.start, nl);
      i = nl + 1;
      this.start = i;
    }
    this.pos = i;
  }

  protected end(): void {
    if (this.len > this.start) {
      this.lineNo++;
      if (this.skipping) this.skipping = false;
      else this.line(this.start, this.len);
    }
    this.start = this.pos = this.len;
    if (!this.sawRecord) {
      throw new FileError('empty', `${this.plan.fileLabel}the file is empty; JSON lines files hold one JSON object per line`);
    }
  }

  protected tooLarge(): void {
    const row = this.lineNo + 1;
    this.sawRecord = true;
    this.stats.inputRows++;
    this.emitErrors(row, [
      {
        row,
        field: null,
        rule: 'record_too_large',
        message: `Line ${row} is longer than ${this.plan.maxRecordBytes} bytes; records this large are refused (a profile record holds at most about 100 KB)`,
        rawValue: this.rawText(this.start, this.len),
      },
    ]);
    this.skipping = true;
  }

  private line(from: number, to: number): void {
    const buf = this.buf;
    if (to > from && buf[to - 1] === CR) to--;
    let blank = true;
    for (let k = from; k < to; k++) {
      const c = buf[k];
      if (c !== 32 && c !== 9 && c !== CR) {
        blank = false;
        break;
      }
    }
    if (blank) return;
    this.sawRecord = true;
    const row = this.lineNo;
    this.stats.inputRows++;
    if (to - from > this.plan.maxRecordBytes) {
      this.emitErrors(row, [
        {
          row,
          field: null,
          rule: 'record_too_large',
          message: `Line ${row} is longer than ${this.plan.maxRecordBytes} bytes; records this large are refused (a profile record holds at most about 100 KB)`,
          rawValue: this.rawText(from, to),
        },
      ]);
      return;
    }
    const text = decode(buf, from, to);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      this.emitErrors(row, [
        { row, field: null, rule: 'json', message: `Line ${row} is not valid JSON (${(err as Error).message}); write one JSON object per line`, rawValue: truncate(text) },
      ]);
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      this.emitErrors(row, [
        { row, field: null, rule: 'object', message: `Line ${row} holds ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : `a ${typeof parsed}`}; each line must be one JSON object`, rawValue: truncate(text) },
      ]);
      return;
    }
    const plan = this.plan;
    const values: RowValue[] = new Array(plan.columns.length).fill(null);
    const seen = new Uint8Array(plan.columns.length);
    const ctx: JsonRowContext = { row, values, seen, errors: null, failed: null };
    this.walk(parsed as Record<string, unknown>, '', ctx);
    if (this.mayBeDirty(from, to) && !this.isValidUtf8(from, to)) this.flagEncoding(ctx);
    this.finishRow(row, values, ctx.errors, ctx.failed);
  }

  private walk(obj: Record<string, unknown>, prefix: string, ctx: JsonRowContext): void {
    const plan = this.plan;
    for (const key in obj) {
      const v = obj[key];
      if (v === undefined) continue;
      const path = prefix === '' ? key : prefix + '.' + key;
      const col = plan.sources.get(path);
      if (col === null) continue; // ignored on purpose
      if (col === undefined) {
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && plan.prefixes.has(path)) {
          this.walk(v as Record<string, unknown>, path, ctx);
        } else {
          (ctx.errors ??= []).push({
            row: ctx.row,
            field: path,
            rule: 'unknown_field',
            message: `${path} is not a field of the dataset; remove it or map it to a field path. Valid field paths: ${this.validPaths}`,
            rawValue: rawOf(v),
          });
        }
        continue;
      }
      if (ctx.seen[col.index] === 1) {
        (ctx.errors ??= []).push({
          row: ctx.row,
          field: col.path,
          rule: 'duplicate_field',
          message: `${col.path} is given twice (as a nested object and as a dotted key, or through the mapping); keep one`,
          rawValue: rawOf(v),
        });
        continue;
      }
      ctx.seen[col.index] = 1;
      const value = fromJson(col, v);
      if (value === INVALID) {
        (ctx.errors ??= []).push({ row: ctx.row, field: col.path, rule: failRule, message: failMessage, rawValue: rawOf(v) });
        (ctx.failed ??= new Uint8Array(plan.columns.length))[col.index] = 1;
      } else {
        ctx.values[col.index] = value;
      }
    }
  }

  /** The line had bad bytes: name the fields whose text shows a replacement character. */
  private flagEncoding(ctx: JsonRowContext): void {
    const columns = this.plan.columns;
    let named = false;
    for (let i = 0; i < columns.length; i++) {
      const v = ctx.values[i];
      const text = typeof v === 'string' ? v : v !== null && typeof v === 'object' ? JSON.stringify(v) : '';
      if (text.indexOf('\ufffd') === -1) continue;
      named = true;
      (ctx.errors ??= []).push({ row: ctx.row, field: columns[i].path, rule: 'encoding', message: MSG.encoding, rawValue: truncate(text) });
    }
    if (!named) (ctx.errors ??= []).push({ row: ctx.row, field: null, rule: 'encoding', message: MSG.encoding, rawValue: null });
  }
}

interface JsonRowContext {
  row: number;
  values: RowValue[];
  seen: Uint8Array;
  errors: RowError[] | null;
  failed: Uint8Array | null;
}
