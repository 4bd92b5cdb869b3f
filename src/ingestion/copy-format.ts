/**
 * PostgreSQL COPY text format (the default `COPY … FROM STDIN`): one line per row, columns separated
 * by a tab, `\N` for NULL, and backslash escapes for backslash, tab, line feed and carriage return.
 * Text format rather than CSV because it needs no quoting decisions per cell: the common cell has
 * nothing to escape and is written as is, which keeps encoding cheap for million-row files.
 *
 * Arrays (`string[]` → `text[]`) are written as array literals `{"a","b"}` with every element quoted
 * (so `NULL`, empty strings, commas and braces need no special cases) and `"` / `\` escaped inside;
 * the literal is then COPY-escaped like any text. `json` values are written as JSON text.
 */
import { Transform, TransformCallback } from 'node:stream';

/** Value kinds a column can hold (src/ingestion/records/types.ts ColumnPlan.type). */
export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'date-time' | 'string[]' | 'json';
export type CopyValue = string | number | boolean | null | undefined | string[] | object;

/** Default size of the chunks written to the COPY stream: large writes, few round trips. */
export const COPY_CHUNK_BYTES = 256 * 1024;

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES = /[\\\t\n\r]/g;
const ARRAY_ELEMENT_ESCAPES = /["\\]/g;

function escapeChar(c: string): string {
  switch (c) {
    case '\\':
      return '\\\\';
    case '\t':
      return '\\t';
    case '\n':
      return '\\n';
    default:
      return '\\r';
  }
}

/** Escapes one text value for COPY text format (only when it needs it: no copy otherwise). */
export function copyEscape(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(ESCAPES, escapeChar) : s;
}

/** `['a', 'b "c"']` → `{"a","b \"c\""}` (before COPY escaping). */
export function pgArrayLiteral(items: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ',';
    const item = items[i];
    out += '"' + (item.indexOf('"') === -1 && item.indexOf('\\') === -1 ? item : item.replace(ARRAY_ELEMENT_ESCAPES, '\\$&')) + '"';
  }
  return out + '}';
}

/** One value as COPY text (escaped; `\N` for null). */
export function encodeValue(v: CopyValue, type: ColumnType | undefined): string {
  if (v === null || v === undefined) return '\\N';
  if (type === 'json') return copyEscape(JSON.stringify(v));
  // Dates and date-times from records/ are validated ISO text: nothing to escape.
  if ((type === 'date' || type === 'date-time') && typeof v === 'string') return v;
  switch (typeof v) {
    case 'string':
      return copyEscape(v);
    case 'number':
      return String(v);
    case 'boolean':
      return v ? 't' : 'f';
    default:
      if (Array.isArray(v)) return copyEscape(pgArrayLiteral(v as string[]));
      return copyEscape(JSON.stringify(v));
  }
}

/**
 * One row in COPY text format, INCLUDING the trailing line feed, so lines can simply be
 * concatenated into a chunk. `types[i]` is the kind of column i (it matters for `json`, where a
 * string or an array is JSON text rather than text or a PostgreSQL array). `prefix` and `suffix`:
 * values already encoded, with the tabs that join them to the rest (a staged row's file and row
 * before, its identity after).
 */
export function copyTextLine(values: readonly CopyValue[], types: readonly ColumnType[], prefix = '', suffix = ''): string {
  let line = prefix + (values.length > 0 ? encodeValue(values[0], types[0]) : '');
  for (let i = 1; i < values.length; i++) line += '\t' + encodeValue(values[i], types[i]);
  return line + suffix + '\n';
}

/** Buffer's own utf8Write skips write()'s argument handling (a third of the cost for a line). */
interface WritingBuffer extends Buffer {
  utf8Write(text: string, offset: number): number;
}
const HAS_UTF8_WRITE = typeof (Buffer.prototype as Partial<WritingBuffer>).utf8Write === 'function';

/**
 * Collects lines into chunks of at least `chunkBytes`, encoding each line straight into a chunk
 * buffer: many small writes to a COPY stream cost far more than the encoding, and so does
 * concatenating thousands of lines into one string (flattening it is slower than writing them).
 */
export class CopyLineBatcher {
  private buf: Buffer;
  private used = 0;
  private readonly capacity: number;

  constructor(readonly chunkBytes = COPY_CHUNK_BYTES) {
    this.capacity = chunkBytes + 64 * 1024;
    this.buf = Buffer.allocUnsafe(this.capacity);
  }

  /** Adds one line; returns a chunk when one is ready to write (at most one per call). */
  add(line: string): Buffer | null {
    const worst = line.length * 3; // UTF-8 bytes per UTF-16 unit, at most
    let out: Buffer | null = null;
    if (this.used + worst > this.buf.length) {
      if (this.used > 0) out = this.take();
      if (worst > this.buf.length) this.buf = Buffer.allocUnsafe(worst);
    }
    this.used += HAS_UTF8_WRITE ? (this.buf as WritingBuffer).utf8Write(line, this.used) : this.buf.write(line, this.used);
    if (out === null && this.used >= this.chunkBytes) out = this.take();
    return out;
  }

  /** The rest (null when empty). */
  flush(): Buffer | null {
    return this.used > 0 ? this.take() : null;
  }

  private take(): Buffer {
    const chunk = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(this.capacity);
    this.used = 0;
    return chunk;
  }
}

/**
 * Object-mode in (one `values` array per row), bytes out in large chunks: pipe it into
 * `client.query(copyFrom('COPY t (…) FROM STDIN'))`. Backpressure passes through as usual.
 */
export class CopyTextStream extends Transform {
  private readonly batcher: CopyLineBatcher;

  constructor(
    private readonly types: readonly ColumnType[],
    chunkBytes = COPY_CHUNK_BYTES,
  ) {
    super({ writableObjectMode: true, readableObjectMode: false, writableHighWaterMark: 1024 });
    this.batcher = new CopyLineBatcher(chunkBytes);
  }

  override _transform(values: CopyValue[], _enc: BufferEncoding, done: TransformCallback): void {
    let chunk: Buffer | null;
    try {
      chunk = this.batcher.add(copyTextLine(values, this.types));
    } catch (err) {
      done(err as Error);
      return;
    }
    if (chunk) this.push(chunk);
    done();
  }

  override _flush(done: TransformCallback): void {
    const chunk = this.batcher.flush();
    if (chunk) this.push(chunk);
    done();
  }
}
