/**
 * The CSV splitter: the scanner's byte state machine run for record boundaries only, cutting a file
 * into blocks of whole data records that another thread reads on its own (CsvScanner.readBlock).
 * It numbers rows exactly as a whole-file read would (header, blank and skipped empty records,
 * quoted line breaks), so each block carries the number of its first row and its row count; the
 * records it refuses itself (longer than maxRecordBytes while still incomplete) come out as error
 * items in file order, and their bytes are never buffered.
 */
import { CsvScanner } from './csv';
import type { Plan } from './plan';
import type { ReadStats, RowError } from './types';

export type SplitItem = { kind: 'block'; bytes: Buffer; firstRow: number; rows: number } | { kind: 'errors'; row: number; errors: RowError[] };

/** Default size of a block: large enough that handing it to a thread costs little per row. */
export const BLOCK_BYTES = 512 * 1024;

export class CsvSplitter extends CsvScanner {
  /** Items cut so far, in file order; the caller takes them after every push. */
  items: SplitItem[] = [];
  private block: Buffer;
  private used = 0;
  private firstRow = 0;
  private rows = 0;
  /** Buffer offsets: bytes before `copied` are in a block (or dropped); records end by `lastEnd`. */
  private copied = 0;
  private lastEnd = 0;

  constructor(
    plan: Plan,
    stats: ReadStats,
    private readonly blockBytes = BLOCK_BYTES,
  ) {
    super(plan, stats);
    this.block = Buffer.allocUnsafe(blockBytes + 64 * 1024);
  }

  override push(chunk: Buffer): void {
    super.push(chunk);
    this.collect();
    if (this.used >= this.blockBytes) this.cut();
  }

  override finish(): void {
    super.finish();
    this.collect();
    this.cut();
  }

  protected override shifted(by: number): void {
    super.shifted(by);
    // Only bytes of an oversized record being skipped are dropped before they are copied.
    this.copied = Math.max(0, this.copied - by);
    this.lastEnd = Math.max(0, this.lastEnd - by);
  }

  protected override record(row: number, end: number): void {
    if (this.rows === 0) this.firstRow = row;
    this.rows++;
    this.lastEnd = Math.min(end + 1, this.len); // with its terminator (a CR's LF starts the next block as a blank line)
  }

  protected override headerEnded(end: number): void {
    this.copied = this.lastEnd = Math.min(end + 1, this.len);
  }

  protected override skippedTo(end: number): void {
    this.copied = this.lastEnd = end;
  }

  /** Only the oversized records refused while incomplete come here (tooLarge): a block ends before each. */
  protected override emitErrors(row: number, errors: RowError[]): void {
    this.collect();
    this.cut();
    this.items.push({ kind: 'errors', row, errors });
    this.copied = this.lastEnd = this.start; // its bytes are skipped, not copied
  }

  /** Copies the records completed since the last call into the block (before compaction drops them). */
  private collect(): void {
    const from = this.copied;
    const to = this.lastEnd;
    if (to <= from) return;
    const need = this.used + (to - from);
    if (need > this.block.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.block.length * 2));
      this.block.copy(grown, 0, 0, this.used);
      this.block = grown;
    }
    this.buf.copy(this.block, this.used, from, to);
    this.used = need;
    this.copied = to;
  }

  /** Ends the current block now (if it holds a record): the reader does so when the threads are idle. */
  cut(): void {
    if (this.rows > 0) {
      this.items.push({ kind: 'block', bytes: this.block.subarray(0, this.used), firstRow: this.firstRow, rows: this.rows });
      this.block = Buffer.allocUnsafe(this.blockBytes + 64 * 1024);
    }
    // Bytes with no record in them (blank lines, skipped empty records) need no reading.
    this.used = 0;
    this.rows = 0;
  }
}
