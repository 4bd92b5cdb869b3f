/**
 * What both scanners share: a growable window over the bytes of the current record (a record may
 * span slices), UTF-8 checked once per chunk, the record size guard, and turning a finished record
 * into a ParsedRow (required fields, then the record validator).
 */
import { isUtf8 } from 'node:buffer';
import { rawOf, truncate } from './cells';
import type { Plan } from './plan';
import { ParsedRow, RAW_VALUE_MAX_CHARS, ReadStats, RowError, RowValue, SLICE_BYTES } from './types';

export const LF = 10;
export const CR = 13;

/**
 * Buffer's own utf8Slice skips the argument handling of toString(), which costs as much as the
 * decoding itself for short fields; toString() where it is missing.
 */
interface SlicingBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
}
const HAS_UTF8_SLICE = typeof (Buffer.prototype as Partial<SlicingBuffer>).utf8Slice === 'function';

export function decode(buf: Buffer, from: number, to: number): string {
  return HAS_UTF8_SLICE ? (buf as SlicingBuffer).utf8Slice(from, to) : buf.toString('utf8', from, to);
}

/**
 * Shared by both formats: a growable window over the bytes of the current record, UTF-8 checking
 * per chunk, the record size guard and turning a finished record into a ParsedRow.
 */
export abstract class Scanner {
  out: ParsedRow[] = [];
  protected buf: Buffer = Buffer.allocUnsafe(SLICE_BYTES * 2);
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

  /**
   * A block of whole records (it ends at a record's end) read at once: its buffer is scanned in
   * place, and no size guard runs across it — the splitter already bounded every record in it.
   */
  protected pushWhole(block: Buffer): void {
    this.buf = block;
    this.len = block.length;
    this.start = this.pos = 0;
    this.bomChecked = true;
    this.validate(block.length);
    this.scan();
    this.end();
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
