/**
 * The CSV scanner: a byte-level state machine over the current slice (delimiter and quote are
 * single ASCII bytes, so no decoding is needed to find fields), the header check (unknown,
 * duplicate and doubly mapped columns), then one decode per ASCII record cut into its fields.
 */
import { fromText, INVALID, failure, truncate } from './cells';
import { MSG } from './messages';
import { Column, listPaths, Plan } from './plan';
import { CR, decode, LF, Scanner } from './scanner';
import { FileError, ReadStats, RowError, RowValue } from './types';

// CSV scanner states
const S_FIELD = 0; // at the start of a field
const S_UNQUOTED = 1;
const S_QUOTED = 2;
const S_QUOTE_SEEN = 3; // a quote inside a quoted field: closing, or the first of a doubled pair
const S_AFTER_QUOTE = 4; // text after a closing quote (malformed)

/** Field flags: quoted; with doubled quotes inside; text after its closing quote (malformed). */
export const F_QUOTED = 1;
export const F_ESCAPED = 2;
export const F_BAD_QUOTE = 4;

export class CsvScanner extends Scanner {
  private state = S_FIELD;
  /** Start of the field being scanned, and its flags. */
  private fs = 0;
  private flags = 0;
  /** Fields of the current record. */
  private n = 0;
  protected starts = new Int32Array(64);
  protected ends = new Int32Array(64);
  protected fieldFlags = new Uint8Array(64);
  /** Line number (1-based) of the byte at `pos`, and of the last opening quote. */
  private line = 1;
  private quoteLine = 0;
  private headerSeen = false;
  private rowNo = 0;
  /** Per header position: the column, or null (ignored). */
  protected headerColumns: (Column | null)[] = [];
  private headerNames: string[] = [];
  private readonly quoteChar: string;
  private readonly delimiterChar: string;
  private readonly doubledQuote: string;

  constructor(plan: Plan, stats: ReadStats) {
    super(plan, stats);
    this.quoteChar = String.fromCharCode(plan.quote);
    this.delimiterChar = String.fromCharCode(plan.delimiter);
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
        message: tooLargeMessage(row, p.maxRecordBytes),
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

  /**
   * A block of whole data records cut from a file by the splitter (split.ts), read on its own: the
   * file's header as the splitter resolved it, and rows numbered on from `firstRow`.
   */
  readBlock(block: Buffer, headerColumns: readonly (number | null)[], firstRow: number): void {
    this.headerSeen = true;
    this.headerColumns = headerColumns.map((k) => (k === null ? null : this.plan.columns[k]));
    this.rowNo = firstRow - 1;
    this.pushWhole(block);
  }

  /** Per header position, the index of its column (null: ignored); for reading blocks elsewhere. */
  get headerColumnIndexes(): (number | null)[] {
    return this.headerColumns.map((c) => (c === null ? null : c.index));
  }

  /** The record [start, end) is complete with its `n` fields. */
  private endRecord(end: number): void {
    const n = this.n;
    this.n = 0;
    if (this.skipping) {
      this.skipping = false;
      this.skippedTo(end);
      return;
    }
    if (!this.headerSeen) {
      this.header(n);
      this.headerEnded(end);
      return;
    }
    if (this.plan.skipEmptyRecords && this.allEmpty(n)) return;
    const row = ++this.rowNo;
    this.stats.inputRows++;
    this.record(row, end, n);
  }

  /** An oversized record ended at `end` (its terminator); the splitter resumes copying there. */
  protected skippedTo(_end: number): void {}

  /** The header record ended at `end`. */
  protected headerEnded(_end: number): void {}

  /** Data record `row`, bytes [start, end) with its `n` fields: converted into a row. */
  protected record(row: number, end: number, n: number): void {
    if (end - this.start > this.plan.maxRecordBytes) {
      this.emitErrors(row, [
        {
          row,
          field: null,
          rule: 'record_too_large',
          message: tooLargeMessage(row, this.plan.maxRecordBytes),
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
    // byte length) byte offsets are character offsets. Else the fields are found in the decoded
    // text by the ASCII bytes between them — an unquoted field ends at the next delimiter, a quoted
    // one without doubled quotes at the next quote — instead of decoding each field again (Korean
    // names and cities make most prospect records non-ASCII: 17 % of a load's JavaScript time);
    // after a field with doubled or stray quotes each field is decoded on its own.
    const recordStart = this.start;
    const record = dirty ? '' : decode(buf, recordStart, end);
    const ascii = !dirty && record.length === end - recordStart;
    let located = !dirty && !ascii;
    let cpos = 0;
    let bpos = recordStart;
    for (let h = 0; h < n; h++) {
      const from = this.starts[h];
      const to = this.ends[h];
      const flags = this.fieldFlags[h];
      let cs = 0;
      let ce = 0;
      if (located) {
        cs = cpos + (from - bpos);
        ce = flags === 0 ? (h === n - 1 ? record.length : record.indexOf(this.delimiterChar, cs)) : flags === F_QUOTED ? record.indexOf(this.quoteChar, cs) : -1;
        if (ce < 0) located = false;
        else {
          cpos = ce;
          bpos = to;
        }
      }
      const col = headerColumns[h];
      if (col === null) continue;
      if (from === to && flags === 0) continue;
      let s = from === to ? '' : ascii ? record.substring(from - recordStart, to - recordStart) : located ? record.substring(cs, ce) : decode(buf, from, to);
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
        rule = failure.rule;
        message = failure.message;
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

/** One message whether the record was refused while it arrived or once it was whole (that depends on how the bytes came). */
function tooLargeMessage(row: number, max: number): string {
  return `Row ${row} is longer than ${max} bytes; records this large are refused (a profile record holds at most about 100 KB). Check for a missing closing quote`;
}
