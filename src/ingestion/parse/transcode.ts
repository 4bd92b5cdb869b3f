/**
 * CSV records straight to COPY text. A record that is certainly good is written as it is read:
 * plain text cells are copied byte for byte (escaped for COPY), no string made; the other cells are
 * converted as the reader converts them and checked against their own field schema (leaves.ts).
 * Anything else — a cell that does not convert or check, a missing required value, invalid UTF-8, a
 * wrong field count, an oversized record, a schema that needs the whole record — is read by the
 * record reader as it always is (CsvScanner.record: row errors, messages, the schema validator),
 * and its row written from the values it made. So both ways give the same bytes and the same errors
 * (test/ingestion-transcode.test.ts compares them), and the common row costs a third of the work.
 */
import { daysInMonth, fromText, INVALID } from '../records/cells';
import { CsvScanner, F_BAD_QUOTE, F_ESCAPED } from '../records/csv';
import { K_BOOLEAN, K_DATE, K_INTEGER, K_NUMBER, K_STRING, K_STRING_ARRAY, Plan } from '../records/plan';
import { decode } from '../records/scanner';
import type { ReadStats, RowError, RowValue } from '../records/types';
import { copyEscape, copyTextLine, encodeValue } from '../copy-format';
import type { CopyTarget } from './types';

/** How the transcoder treats a column: its bytes copied as they are, else its value checked by `check` (when set). */
export interface FastColumn {
  raw: boolean;
  check: ((value: unknown) => boolean) | null;
}

/** A staged row as the reader made it, in the staging COPY order: file, row, the columns, the identity. */
export function stagedRowLine(target: CopyTarget, row: number, values: readonly RowValue[]): string {
  return copyTextLine(values, target.kinds, `${target.fileIndex}\t${row}\t`, `\t${copyEscape(values[target.identityIndex] as string)}`);
}

const TAB = 9;
const LF = 10;
const BACKSLASH = 92;
const QUOTE = 34;
const COMMA = 44;
const LBRACKET = 91;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;

/** Buffer's own utf8Write skips write()'s argument handling. */
interface WritingBuffer extends Buffer {
  utf8Write(text: string, offset: number): number;
}

export class CopyTranscoder extends CsvScanner {
  /** Row errors of the block, in row order. */
  readonly errors: RowError[][] = [];
  private dest: WritingBuffer;
  private used = 0;
  /** Per plan column: its field's position in the record, or -1 when the file has no such column. */
  private fieldOf = new Int32Array(0);
  private readonly filePrefix: string;
  private readonly dq: string;
  private readonly q: string;

  constructor(
    plan: Plan,
    stats: ReadStats,
    private readonly target: CopyTarget,
    /** Per plan column; null: every record goes the reader's way (the schema needs whole records). */
    private readonly fast: FastColumn[] | null,
    sizeHint: number,
  ) {
    super(plan, stats);
    this.dest = Buffer.allocUnsafe(Math.max(64 * 1024, Math.ceil(sizeHint * 1.25))) as WritingBuffer;
    this.filePrefix = `${target.fileIndex}\t`;
    this.q = String.fromCharCode(plan.quote);
    this.dq = this.q + this.q;
  }

  override readBlock(block: Buffer, headerColumns: readonly (number | null)[], firstRow: number): void {
    this.fieldOf = new Int32Array(this.plan.columns.length).fill(-1);
    headerColumns.forEach((k, h) => {
      if (k !== null) this.fieldOf[k] = h;
    });
    super.readBlock(block, headerColumns, firstRow);
  }

  /** The block's COPY text (its own memory: transferable). */
  output(): Buffer {
    return this.dest.subarray(0, this.used);
  }

  protected override record(row: number, end: number, n: number): void {
    if (this.fast !== null && this.transcode(row, end, n)) {
      this.stats.okRows++;
      return;
    }
    super.record(row, end, n); // the reader's way: it leaves exactly one row in `out`
    const r = this.out.pop()!;
    if (!r.ok) {
      this.errors.push(r.errors);
      return;
    }
    this.write(stagedRowLine(this.target, row, r.values));
  }

  /** Writes the record if it is certainly good; false (nothing written) otherwise. */
  private transcode(row: number, end: number, n: number): boolean {
    const plan = this.plan;
    if (n !== this.headerColumns.length || end - this.start > plan.maxRecordBytes) return false;
    // A block holding invalid UTF-8 somewhere is checked record by record (the reader checks per chunk).
    if (this.mayBeDirty(this.start, end) && !this.isValidUtf8(this.start, end)) return false;
    const mark = this.used;
    // Worst case of the raw cells: every byte escaped; the converted cells ensure their own room.
    this.ensure(2 * (end - this.start) + 4 * plan.columns.length + 32);
    this.latin(this.filePrefix);
    this.latin(`${row}\t`);
    const columns = plan.columns;
    const fast = this.fast!;
    const { identityIndex, kinds } = this.target;
    let identity: string | null = null;
    for (let k = 0; k < columns.length; k++) {
      if (k > 0) this.dest[this.used++] = TAB;
      const col = columns[k];
      const h = this.fieldOf[k];
      const from = h < 0 ? 0 : this.starts[h];
      const to = h < 0 ? 0 : this.ends[h];
      const flags = h < 0 ? 0 : this.fieldFlags[h];
      if (flags & F_BAD_QUOTE) return this.undo(mark);
      if (from === to) {
        if (col.required) return this.undo(mark);
        this.nullValue();
        continue;
      }
      if (fast[k].raw) {
        if (!this.copyRaw(from, to, (flags & F_ESCAPED) !== 0)) return this.undo(mark);
        continue;
      }
      const check = fast[k].check;
      if (col.kind === K_STRING_ARRAY && check === null && !col.normalize && plan.separator === '' && plan.quote === QUOTE && this.copyList(from, to, (flags & F_ESCAPED) !== 0)) continue;
      // Cells whose text is already their COPY text, recognised from the bytes: plain digits, true /
      // false, an ISO date. Any other spelling is converted below.
      if (!col.normalize && flags === 0) {
        const kind = col.kind;
        if (kind === K_INTEGER || kind === K_NUMBER) {
          const v = digitsOf(this.buf, from, to);
          if (v >= 0) {
            if (v < col.min || v > col.max || (check !== null && !check(v))) return this.undo(mark);
            this.copyAscii(from, to);
            continue;
          }
        } else if (kind === K_BOOLEAN) {
          const v = booleanOf(this.buf, from, to);
          if (v !== null) {
            if (check !== null && !check(v)) return this.undo(mark);
            this.dest[this.used++] = v ? 116 : 102; // t, f
            continue;
          }
        } else if (kind === K_DATE && check === null && isDateBytes(this.buf, from, to)) {
          this.copyAscii(from, to);
          continue;
        }
      }
      let s = decode(this.buf, from, to);
      if (flags & F_ESCAPED) s = s.replaceAll(this.dq, this.q);
      const v = col.kind === K_STRING && !col.normalize ? (s.indexOf('\u0000') === -1 ? s : INVALID) : fromText(col, s, plan.separator);
      if (v === INVALID) return this.undo(mark);
      if (v === null) {
        if (col.required) return this.undo(mark);
        this.nullValue();
        continue;
      }
      if (check !== null && !check(v)) return this.undo(mark);
      if (k === identityIndex) identity = v as string;
      if (typeof v === 'string' && kinds[k] !== 'json') this.writeText(v);
      else this.writeText(encodeValue(v, kinds[k]), false);
    }
    if (identity === null) return this.undo(mark);
    this.ensure(1);
    this.dest[this.used++] = TAB;
    this.writeText(identity);
    this.ensure(1);
    this.dest[this.used++] = LF;
    return true;
  }

  private undo(mark: number): false {
    this.used = mark;
    return false;
  }

  private nullValue(): void {
    this.dest[this.used++] = BACKSLASH;
    this.dest[this.used++] = 78; // N
  }

  /** A plain text cell's bytes, COPY-escaped, doubled quotes made one; false at a NUL (the reader reports it). */
  private copyRaw(from: number, to: number, doubled: boolean): boolean {
    const b = this.buf;
    const o = this.dest;
    const q = this.plan.quote;
    let u = this.used;
    for (let i = from; i < to; i++) {
      const c = b[i];
      if (c >= 32 && c !== BACKSLASH && c !== q) {
        o[u++] = c;
      } else if (c === BACKSLASH) {
        o[u++] = BACKSLASH;
        o[u++] = BACKSLASH;
      } else if (c === TAB) {
        o[u++] = BACKSLASH;
        o[u++] = 116; // t
      } else if (c === LF) {
        o[u++] = BACKSLASH;
        o[u++] = 110; // n
      } else if (c === 13) {
        o[u++] = BACKSLASH;
        o[u++] = 114; // r
      } else if (c === 0) {
        return false;
      } else {
        o[u++] = c;
        if (c === q && doubled) i++; // the second quote of a doubled pair
      }
    }
    this.used = u;
    return true;
  }

  /**
   * A list cell spelled as the plainest JSON — `["a","b"]`, no spaces, items without a backslash or a
   * control character — written from its bytes as the array literal `{"a","b"}` the reader writes
   * for it (nothing in it to escape); false, with nothing written, for any other spelling, which is
   * converted the usual way. `doubled`: the cell was quoted, so each of its quotes is two.
   */
  private copyList(from: number, to: number, doubled: boolean): boolean {
    const b = this.buf;
    const o = this.dest;
    const step = doubled ? 2 : 1;
    const end = to - 1;
    if (to - from < 2 || b[from] !== LBRACKET || b[end] !== RBRACKET) return false;
    let u = this.used;
    o[u++] = LBRACE;
    let i = from + 1;
    while (i < end) {
      if (b[i] !== QUOTE || (doubled && b[i + 1] !== QUOTE)) return false;
      i += step;
      o[u++] = QUOTE;
      for (;;) {
        if (i >= end) return false;
        const c = b[i];
        if (c === QUOTE) break;
        if (c < 32 || c === BACKSLASH) return false;
        o[u++] = c;
        i++;
      }
      if (doubled && b[i + 1] !== QUOTE) return false;
      i += step;
      o[u++] = QUOTE;
      if (i === end) break;
      if (b[i] !== COMMA || i + 1 === end) return false;
      o[u++] = COMMA;
      i++;
    }
    o[u++] = RBRACE;
    this.used = u;
    return true;
  }

  /** Bytes known to be ASCII with nothing to escape (digits, a date). */
  private copyAscii(from: number, to: number): void {
    const b = this.buf;
    const o = this.dest;
    let u = this.used;
    for (let i = from; i < to; i++) o[u++] = b[i];
    this.used = u;
  }

  private latin(s: string): void {
    for (let i = 0; i < s.length; i++) this.dest[this.used++] = s.charCodeAt(i);
  }

  /** COPY text as it is (a whole line). */
  private write(s: string): void {
    this.ensure(s.length * 3);
    this.used += this.dest.utf8Write(s, this.used);
  }

  /**
   * A converted value: short and ASCII mostly, so written here rather than by a native call, and
   * COPY-escaped in the same pass when `escape` (text; encodeValue's output is escaped already).
   */
  private writeText(s: string, escape = true): void {
    const n = s.length;
    this.ensure(n * 3);
    const o = this.dest;
    let u = this.used;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128 || (escape && (c === BACKSLASH || c === TAB || c === LF || c === 13))) {
        this.used = u;
        const rest = escape ? copyEscape(s.slice(i)) : s.slice(i);
        this.ensure(rest.length * 3);
        this.used += this.dest.utf8Write(rest, this.used);
        return;
      }
      o[u++] = c;
    }
    this.used = u;
  }

  private ensure(bytes: number): void {
    if (this.used + bytes <= this.dest.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.used + bytes, this.dest.length * 2)) as WritingBuffer;
    this.dest.copy(grown, 0, 0, this.used);
    this.dest = grown;
  }
}

/** `1`–`9` then digits (≤ 15: exact as a double), or `0`: the value; -1 for any other text. */
function digitsOf(b: Buffer, from: number, to: number): number {
  const len = to - from;
  const first = b[from];
  if (len > 15 || first < 48 || first > 57 || (first === 48 && len > 1)) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = b[i] - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** `true`, `false`, `1`, `0` exactly; null for any other spelling (the reader knows them all). */
function booleanOf(b: Buffer, from: number, to: number): boolean | null {
  const len = to - from;
  if (len === 1) return b[from] === 49 ? true : b[from] === 48 ? false : null;
  if (len === 4 && b[from] === 116 && b[from + 1] === 114 && b[from + 2] === 117 && b[from + 3] === 101) return true;
  if (len === 5 && b[from] === 102 && b[from + 1] === 97 && b[from + 2] === 108 && b[from + 3] === 115 && b[from + 4] === 101) return false;
  return null;
}

/** `YYYY-MM-DD`, a real day of year ≥ 1 (the reader's date rule). */
function isDateBytes(b: Buffer, from: number, to: number): boolean {
  if (to - from !== 10 || b[from + 4] !== 45 || b[from + 7] !== 45) return false;
  const y = num(b, from, 4);
  const m = num(b, from + 5, 2);
  const d = num(b, from + 8, 2);
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

function num(b: Buffer, at: number, len: number): number {
  let v = 0;
  for (let i = at; i < at + len; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
