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
 * Parts: bytes.ts (decompression, slices) → scanner.ts (the record window shared by) csv.ts and
 * jsonl.ts → cells.ts (one value per cell; messages.ts) under the plan.ts compiled from the options
 * (types.ts).
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
import type { Readable } from 'node:stream';
import { byteSource } from './bytes';
import { CsvScanner } from './csv';
import { JsonLinesScanner } from './jsonl';
import { compilePlan } from './plan';
import type { Scanner } from './scanner';
import type { ParsedRow, ReadOptions, ReadStats } from './types';

export { multiValueSeparatorProblem } from './plan';
export { DEFAULT_MAX_RECORD_BYTES, FileError, RAW_VALUE_MAX_CHARS } from './types';
export type { ColumnPlan, ColumnType, FileFormat, ParsedRow, ReadOptions, ReadStats, RowError, RowValue, ValidateResult } from './types';

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
