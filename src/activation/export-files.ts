/**
 * An export's files: rows leave PostgreSQL as `COPY … TO STDOUT` bytes (copy-export.ts) — or, for
 * settings COPY cannot write, one by one through the row encoder — and stream through gzip into
 * parts of at most `partRows` rows, each written under a temporary name and published only when
 * complete. A retried run finds the parts an earlier attempt published and writes them no more.
 */
import { once } from 'node:events';
import { Duplex, PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { to as copyTo } from 'pg-copy-streams';
import type { DestinationPart, DestinationWriter, PublishedFile, UploadJournal } from '../../connectors/destination-types';
import {
  createCsvEncoder,
  createJsonLinesEncoder,
  CsvDelimiter,
  fileNameFromTemplate,
  liveRampFileName,
  liveRampSegmentColumn,
  LIVERAMP_MAX_ROWS_PER_FILE,
  partName,
  validateLiveRampFileName,
} from '../../connectors/export-format';
import { withConnection } from '../core/copy';
import { cellsSql, csvCopyOptions, CsvFileFormat, csvHeader, JSON_LINES_COPY_OPTIONS, RowScanner } from './copy-export';
import { openWriter } from './destinations';
import { exportRows, type ExportRows, targetExportRows } from './export-sql';
import type { ActivationContext, ExportPlan, Pins, RunCounts } from './types';

type CopyToStreamQuery = ReturnType<typeof copyTo>;

/** What a file looks like: CSV (settings of the destination) or JSON lines, gzip or not. */
interface FileFormat extends CsvFileFormat {
  gzip: boolean;
  format: 'csv' | 'jsonl';
  /** Line breaks in cells and column names become spaces (LiveRamp). */
  singleLine?: boolean;
}

export class ExportFiles {
  constructor(private readonly ctx: ActivationContext) {}

  /** The file names of a run at `at` with `rows` rows (a dry-run's estimate of the parts). */
  fileNames(plan: ExportPlan, at: Date, rows: number): string[] {
    const s = plan.destination.settings;
    if (plan.destination.kind === 'liveramp') {
      return [liveRampFileName({ org: String(s.org), destination: String(s.destinationName ?? plan.destination.name), instanceId: String(s.instanceId ?? plan.destination.id), at })];
    }
    const partRows = Number(s.partRows ?? this.ctx.options.partRows);
    const names: string[] = [];
    // One file (in parts) per audience and per target, in that order.
    const segments = [...plan.audiences, ...plan.targets];
    for (const a of segments) {
      const base = this.s3FileName(plan, a, at);
      const parts = Math.max(1, Math.ceil(rows / segments.length / partRows));
      for (let i = 1; i <= parts; i++) names.push(partName(base, i));
    }
    return names;
  }

  /** Two runs in the same second would share file names: the first second from `at` whose names are free. */
  async freeRunTime(plan: ExportPlan, at: Date): Promise<Date> {
    const writer = openWriter(this.ctx, plan.destination);
    try {
      let t = at;
      for (let i = 0; i < 120; i++) {
        const [first] = this.fileNames(plan, t, 1);
        if (!(await writer.exists(first))) return t;
        t = new Date(t.getTime() + 1000);
      }
      return t;
    } finally {
      await writer.close().catch(() => undefined);
    }
  }

  /** `<audienceId>` / `<audienceName>` name the segment: an audience or a first-party target. */
  private s3FileName(plan: ExportPlan, a: { id: string; name: string }, at: Date): string {
    const s = plan.destination.settings;
    const gzip = s.compression === 'gzip';
    const ext = s.format === 'jsonl' ? '.jsonl' : '.csv';
    const template = typeof s.fileNameTemplate === 'string' ? s.fileNameTemplate : `<destination>_segment<audienceId>_<yyyymmddHHMMss>${ext}`;
    const name = fileNameFromTemplate(template, { destination: plan.destination.name, audienceId: a.id, audienceName: a.name, destinationInstance: plan.destination.id, at, customText: String(s.customText ?? '') });
    return gzip && !name.endsWith('.gz') ? `${name}.gz` : name;
  }

  /**
   * Writes a run's files: one per audience and per target (S3, in parts) or one LiveRamp file,
   * each part published only when complete; returns the run's counts and the published files.
   */
  async write(plan: ExportPlan, pins: Pins, at: Date, runId: string): Promise<{ counts: RunCounts; files: PublishedFile[] }> {
    const writer = openWriter(this.ctx, plan.destination, this.uploadJournal(plan.destination.ad_account_id, runId));
    // Uploads an earlier attempt started and never ended (it was killed): abort them first.
    const left = await this.ctx.db('activation_run_uploads').where({ run_id: runId }).select('key', 'upload_id as uploadId');
    if (left.length) {
      await writer.abandon(left);
      await this.ctx.db('activation_run_uploads').where({ run_id: runId }).delete();
    }
    const counts: RunCounts = { received: 0, activated: 0, excludedMandatory: 0, excludedDuplicates: 0, failed: 0 };
    const files: PublishedFile[] = [];
    const targets = plan.targets.length ? { runId, ids: plan.targets.map((t) => t.id) } : undefined;
    try {
      if (plan.destination.kind === 'liveramp') {
        const name = this.fileNames(plan, at, 0)[0];
        validateLiveRampFileName(name);
        const segments = [...plan.audiences, ...plan.targets];
        const segmentColumns = segments.map((a) => liveRampSegmentColumn(plan.namespace.code, a.id));
        // The mapping's identity column names the identifier, as in Adobe's LiveRamp destination (plan refuses attributes).
        const columns = [plan.identityColumn, ...plan.attributes.map((a) => a.column), ...segmentColumns];
        // LiveRamp reads a line as a record whatever the quoting: no cell may hold a line break.
        const format: FileFormat = { gzip: false, delimiter: ',', quote: '"', nullOutput: '', format: 'csv', singleLine: true };
        const rows = exportRows(plan, plan.audiences.map((a) => pins[a.id]), true, targets, cellsSql(format));
        const toCells = (r: Record<string, unknown>) => [r.identity, ...plan.attributes.map((_a, i) => r[`a${i}`]), ...segments.map((_a, i) => r[`s${i}`] ?? '')];
        files.push(...(await this.writeFile(writer, name, columns, rows, counts, LIVERAMP_MAX_ROWS_PER_FILE, toCells, format)));
      } else {
        const s = plan.destination.settings;
        const columns = [plan.identityColumn, ...plan.attributes.map((a) => a.column)];
        const format: FileFormat = {
          gzip: s.compression === 'gzip',
          delimiter: typeof s.delimiter === 'string' ? s.delimiter : ',',
          quote: typeof s.quote === 'string' ? s.quote : '"',
          nullOutput: typeof s.nullOutput === 'string' ? s.nullOutput : '',
          format: s.format === 'jsonl' ? 'jsonl' : 'csv',
        };
        const partRows = Number(s.partRows ?? this.ctx.options.partRows);
        const toCells = (r: Record<string, unknown>) => [r.identity, ...plan.attributes.map((_x, i) => r[`a${i}`])];
        for (const a of plan.audiences) {
          const rows = exportRows(plan, [pins[a.id]], false, undefined, cellsSql(format));
          files.push(...(await this.writeFile(writer, this.s3FileName(plan, a, at), columns, rows, counts, partRows, toCells, format)));
        }
        for (const t of plan.targets) {
          const rows = targetExportRows(plan, runId, t.id, cellsSql(format));
          files.push(...(await this.writeFile(writer, this.s3FileName(plan, t, at), columns, rows, counts, partRows, toCells, format)));
        }
      }
    } finally {
      await writer.close().catch(() => undefined);
    }
    counts.activated = counts.received - counts.excludedMandatory - counts.excludedDuplicates - counts.failed;
    return { counts, files };
  }

  /**
   * Writes one file (in parts of at most `partRows` rows, each published atomically) and adds its
   * counts. PostgreSQL writes the bytes (COPY); settings COPY cannot express keep the row encoder.
   */
  private async writeFile(
    writer: DestinationWriter,
    base: string,
    columns: string[],
    rows: ExportRows,
    counts: RunCounts,
    partRows: number,
    toCells: (r: Record<string, unknown>) => unknown[],
    format: FileFormat,
  ): Promise<PublishedFile[]> {
    const literal = (v: string) => this.ctx.db.raw('?', [v]).toQuery();
    const options = format.format === 'jsonl' ? JSON_LINES_COPY_OPTIONS : csvCopyOptions(format, literal);
    if (options === null) return this.writeParts(writer, [base], columns, rows.legacy.sql, rows.legacy.bindings, counts, partRows, toCells, format);
    const header = format.format === 'jsonl' ? null : await csvHeader(columns, format);
    const copy = `copy (${this.ctx.db.raw(rows.sql, rows.bindings as never[]).toQuery()}) to stdout (${options})`;
    const count = this.ctx.db.raw(rows.countSql, rows.countBindings as never[]).toSQL().toNative();
    const { files, written, tally } = await this.copyParts(writer, base, copy, count, header, format.format === 'jsonl' ? null : format.quote, partRows, format.gzip);
    const received = Number(tally.received);
    const mandatory = tally.mandatory === null ? received - written - Number(tally.duplicates) : Number(tally.mandatory);
    const duplicates = tally.duplicates === null ? received - written - mandatory : Number(tally.duplicates);
    if (received - mandatory - duplicates !== written) throw new Error(`export of ${base}: wrote ${written} rows, but ${received} received less ${mandatory} + ${duplicates} excluded`);
    counts.received += received;
    counts.excludedMandatory += mandatory;
    counts.excludedDuplicates += duplicates;
    return files;
  }

  /**
   * Streams `COPY … TO STDOUT` bytes through gzip into parts: rows are counted in the bytes (not
   * one by one in JavaScript) and a part is cut at a row end. The file and its counts are read in
   * one snapshot. Backpressure runs from the destination back to PostgreSQL's socket.
   */
  private async copyParts(
    writer: DestinationWriter,
    base: string,
    copySql: string,
    count: { sql: string; bindings: readonly unknown[] },
    header: Buffer | null,
    quote: string | null,
    partRows: number,
    gzip: boolean,
  ): Promise<{ files: PublishedFile[]; written: number; tally: { received: string; mandatory: string | null; duplicates: string | null } }> {
    const published: PublishedFile[] = [];
    let part: { sink: DestinationPart; input: Writable; piped: Promise<void>; rows: number; index: number } | undefined;
    let index = 0;
    let written = 0;
    const open = async () => {
      index += 1;
      const name = partName(base, index);
      // Published by an earlier attempt of this run (same pins, same rows): keep it, write nothing.
      const sink = (await writer.exists(name)) ? publishedPart(name) : await writer.openPart(name);
      const input: Duplex = gzip ? createGzip() : new PassThrough();
      // Ending the part's stream does not publish it (only commit() does), so errors travel both ways.
      const piped = pipeline(input, sink.stream);
      piped.catch(() => undefined);
      if (header) input.write(header);
      return { sink, input, piped, rows: 0, index };
    };
    const close = async () => {
      if (!part) return;
      const p = part;
      p.input.end();
      await p.piped;
      published.push(await p.sink.commit(p.rows));
      part = undefined; // only now: a failed flush or commit is aborted by the catch below
    };
    const crashAfter = this.ctx.options.crashAfterRows;
    try {
      return await withConnection(this.ctx.db, async (connection) => {
        let stream: CopyToStreamQuery | undefined;
        try {
          await connection.query('begin isolation level repeatable read, read only');
          stream = connection.query(copyTo(copySql)) as CopyToStreamQuery;
          const scanner = new RowScanner(quote);
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            for (let at = 0; at < chunk.length; ) {
              const current = part ?? (part = await open());
              if (crashAfter !== undefined && current.rows >= crashAfter) throw new Error(`injected crash after ${current.rows} rows of ${partName(base, current.index)}`);
              const { end, rows } = scanner.scan(chunk, at, Math.min(partRows, crashAfter ?? Infinity) - current.rows);
              if (!current.input.write(chunk.subarray(at, end))) await Promise.race([once(current.input, 'drain'), current.piped]);
              current.rows += rows;
              written += rows;
              at = end;
              if (current.rows >= partRows) await close();
            }
          }
          if (!part && published.length === 0) part = await open(); // an empty audience still gets its (header-only) file
          await close();
          const tally = (await connection.query(count.sql, count.bindings)).rows[0];
          await connection.query('commit');
          // The server's own count of the rows it sent (known once the COPY's completion was read).
          if (stream.rowCount !== written) throw new Error(`export of ${base}: PostgreSQL sent ${stream.rowCount} rows, ${written} were counted`);
          return { files: published, written, tally };
        } catch (err) {
          // pg may still report the dropped COPY's end to it: nobody listens any more. The
          // connection may be mid-COPY or in a failed transaction: withConnection closes it.
          stream?.on('error', () => undefined).destroy();
          throw err;
        }
      });
    } catch (err) {
      if (part) await part.sink.abort().catch(() => undefined);
      throw err;
    }
  }

  /** Encodes the query's rows one by one into parts of at most `partRows` rows; each part is published atomically. */
  private async writeParts(
    writer: DestinationWriter,
    [base]: string[],
    columns: string[],
    sql: string,
    bindings: unknown[],
    counts: RunCounts,
    partRows: number,
    toCells: (r: Record<string, unknown>) => unknown[],
    format: { gzip: boolean; delimiter: string; quote?: string; nullOutput?: string; format?: 'csv' | 'jsonl'; singleLine?: boolean },
  ): Promise<PublishedFile[]> {
    const published: PublishedFile[] = [];
    const stream = this.ctx.db.raw(sql, bindings as never[]).stream() as unknown as Readable;
    let part: { sink: DestinationPart; encoder: Duplex; piped: Promise<void>; rows: number; index: number } | undefined;
    let index = 0;
    const open = async () => {
      index += 1;
      const name = partName(base, index);
      // Published by an earlier attempt of this run (same pins, same rows): keep it, write nothing.
      const sink = (await writer.exists(name)) ? publishedPart(name) : await writer.openPart(name);
      const encoder =
        format.format === 'jsonl'
          ? createJsonLinesEncoder({ gzip: format.gzip })
          : createCsvEncoder({ columns, delimiter: format.delimiter as CsvDelimiter, quote: format.quote ?? '"', nullOutput: format.nullOutput ?? '', header: true, singleLine: format.singleLine, gzip: format.gzip });
      // Ending the part's stream does not publish it (only commit() does), so errors travel both ways.
      const piped = pipeline(encoder, sink.stream);
      piped.catch(() => undefined);
      return { sink, encoder, piped, rows: 0, index };
    };
    const close = async () => {
      if (!part) return;
      const p = part;
      p.encoder.end();
      await p.piped;
      published.push(await p.sink.commit(p.rows));
      part = undefined; // only now: a failed flush or commit is aborted by the catch below
    };
    try {
      for await (const r of stream as AsyncIterable<Record<string, unknown>>) {
        counts.received += 1;
        if (!r.mandatory_ok) {
          counts.excludedMandatory += 1;
          continue;
        }
        if (Number(r.dup) > 1) {
          counts.excludedDuplicates += 1;
          continue;
        }
        const current = part ?? (part = await open());
        if (this.ctx.options.crashAfterRows !== undefined && current.rows >= this.ctx.options.crashAfterRows) {
          throw new Error(`injected crash after ${current.rows} rows of ${partName(base, current.index)}`);
        }
        if (!current.encoder.write(toCells(r))) await Promise.race([once(current.encoder, 'drain'), current.piped]);
        current.rows += 1;
        if (current.rows >= partRows) await close();
      }
      if (!part && published.length === 0) part = await open(); // an empty audience still gets its (header-only) file
      await close();
      return published;
    } catch (err) {
      (stream as Readable).destroy();
      if (part) await part.sink.abort().catch(() => undefined);
      throw err;
    }
  }

  /** The run's list of S3 multipart uploads in flight (activation_run_uploads). */
  private uploadJournal(adAccountId: string, runId: string): UploadJournal {
    return {
      started: async (u) => {
        await this.ctx
          .db('activation_run_uploads')
          .insert({ ad_account_id: adAccountId, run_id: runId, key: u.key, upload_id: u.uploadId })
          .onConflict(['run_id', 'upload_id', 'ad_account_id'])
          .ignore();
      },
      ended: async (u) => {
        await this.ctx.db('activation_run_uploads').where({ run_id: runId, upload_id: u.uploadId }).delete();
      },
    };
  }
}

/** A part that an earlier attempt already published: rows pass through uncounted in bytes. */
function publishedPart(name: string): DestinationPart {
  const stream = new Writable({ write: (_chunk, _enc, cb) => cb() });
  return {
    stream,
    commit: async (rows) => {
      if (!stream.writableEnded) stream.end();
      return { name, path: name, rows, bytes: 0 };
    },
    abort: async () => undefined,
  };
}

