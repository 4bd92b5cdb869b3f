/**
 * A partner file read into COPY text for a batch's table, in blocks, in file order. CSV: the
 * splitter (records/split.ts) cuts whole records on the event loop and the parse threads read them
 * (pool.ts), a window of blocks in flight so reading, parsing and COPY overlap; JSON lines: read on
 * the event loop (records/), one block per input slice. The input is pulled only as blocks are
 * taken, so memory stays bounded by the window.
 */
import type { Readable } from 'node:stream';
import { CopyLineBatcher } from '../copy-format';
import { readRecords } from '../records';
import { byteSource } from '../records/bytes';
import { compilePlan } from '../records/plan';
import { CsvSplitter, SplitItem } from '../records/split';
import type { FileFormat, ReadOptions, ReadStats } from '../records/types';
import { BlockResult, BlockSpec, ColumnSpec, columnPlans, CopyTarget, SchemaSpec } from './block';
import type { ParsePool } from './pool';
import { stagedRowLine } from './transcode';

export type CopyBlock = BlockResult;

export interface CopyReadOptions extends FileFormat {
  /** Names this load in the parse threads (e.g. the batch file's id). */
  id: string;
  columns: ColumnSpec[];
  mapping?: Record<string, string>;
  schema: SchemaSpec | null;
  /** The same schema's validator, for what is read on the event loop (JSON lines). */
  validate?: ReadOptions['validate'];
  target: CopyTarget;
  maxRecordBytes?: number;
  skipEmptyRecords?: boolean;
  fileName?: string;
}

export class CopyBlockReader {
  readonly stats: ReadStats = { inputRows: 0, okRows: 0, errorRows: 0, bytesRead: 0, bytesParsed: 0 };

  constructor(
    private readonly input: Readable,
    private readonly opts: CopyReadOptions,
    private readonly pool: ParsePool,
  ) {}

  blocks(): AsyncGenerator<CopyBlock, void, undefined> {
    return this.opts.format === 'csv' ? this.csv() : this.lines();
  }

  private async *csv(): AsyncGenerator<CopyBlock, void, undefined> {
    const o = this.opts;
    const format = { delimiter: o.delimiter, quote: o.quote, multiValueSeparator: o.multiValueSeparator, maxRecordBytes: o.maxRecordBytes, skipEmptyRecords: o.skipEmptyRecords, fileName: o.fileName };
    const splitter = new CsvSplitter(compilePlan({ ...format, format: 'csv', compression: o.compression, columns: o.columns, mapping: o.mapping }), this.stats);
    let spec: BlockSpec | null = null;
    const inFlight: { block: Promise<CopyBlock>; done: boolean }[] = [];
    const submit = (items: SplitItem[]) => {
      for (const item of items) {
        let block: Promise<CopyBlock>;
        if (item.kind === 'errors') block = Promise.resolve({ chunks: [], errors: [item.errors], input: 1, ok: 0, failed: 1 });
        else {
          spec ??= { id: o.id, format, columns: o.columns, headerColumns: splitter.headerColumnIndexes, schema: o.schema, target: o.target };
          block = this.pool.read(spec, item.bytes, item.firstRow, item.rows);
        }
        const entry = { block, done: false };
        // Awaited in order below; a reader given up on must not leave a rejection unhandled.
        block.then(
          () => (entry.done = true),
          () => (entry.done = true),
        );
        inFlight.push(entry);
      }
      splitter.items = [];
    };
    try {
      for await (const chunk of byteSource(this.input, o, this.stats)) {
        this.stats.bytesParsed += chunk.length;
        splitter.push(chunk);
        // Idle threads get what has been read so far: a slow upload's rows (and errors) flow as they
        // come, while a fast one fills whole blocks as the threads work.
        if (inFlight.every((e) => e.done)) splitter.cut();
        submit(splitter.items);
        while (inFlight.length > 0 && (inFlight[0].done || inFlight.length >= this.pool.window)) yield this.counted(await inFlight.shift()!.block);
      }
      splitter.finish();
      submit(splitter.items);
      while (inFlight.length > 0) yield this.counted(await inFlight.shift()!.block);
    } finally {
      this.pool.release(o.id);
    }
  }

  private async *lines(): AsyncGenerator<CopyBlock, void, undefined> {
    const o = this.opts;
    const reader = readRecords(this.input, { ...o, columns: columnPlans(o.columns) });
    try {
      for await (const rows of reader.batches()) {
        const block: CopyBlock = { chunks: [], errors: [], input: rows.length, ok: 0, failed: 0 };
        const batcher = new CopyLineBatcher();
        for (const row of rows) {
          if (!row.ok) {
            block.failed++;
            block.errors.push(row.errors);
            continue;
          }
          block.ok++;
          const chunk = batcher.add(stagedRowLine(o.target, row.row, row.values));
          if (chunk) block.chunks.push(chunk);
        }
        const rest = batcher.flush();
        if (rest) block.chunks.push(rest);
        yield block;
      }
    } finally {
      Object.assign(this.stats, reader.stats);
    }
  }

  /** The splitter counts every row it cuts (inputRows); the outcomes are the blocks'. */
  private counted(block: CopyBlock): CopyBlock {
    this.stats.okRows += block.ok;
    this.stats.errorRows += block.failed;
    return block;
  }
}
