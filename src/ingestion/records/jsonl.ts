/**
 * The JSON lines scanner: one JSON object per line (nested objects or dotted keys reach nested
 * fields), each value already of its field's JSON type; bad bytes are named per field.
 */
import { failure, fromJson, INVALID, rawOf, truncate } from './cells';
import { MSG } from './messages';
import { listPaths } from './plan';
import { CR, decode, LF, Scanner } from './scanner';
import { FileError, RowError, RowValue } from './types';

export class JsonLinesScanner extends Scanner {
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
        (ctx.errors ??= []).push({ row: ctx.row, field: col.path, rule: failure.rule, message: failure.message, rawValue: rawOf(v) });
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
