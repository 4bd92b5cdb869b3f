/**
 * Batch ingestion: create a batch → upload one or more files → complete (or one-step "add data").
 *
 * Each file streams through the parser (records/) straight into the batch's own table with COPY;
 * bad rows become row errors. Completing the batch checks the error threshold and then, in ONE
 * transaction, either attaches that table as a partition of the dataset (a large batch: indexed
 * once, never copied; storage.ts attachBatchSql) or merges its rows into partition 0 (a small one;
 * mergeBatchSql). So a batch is all or nothing: a crash before that commit leaves nothing visible,
 * and a batch already merged is never merged again (the batch row is locked and its status checked
 * inside the merge transaction).
 */
import { Slots, streamSlots } from '../core/slots';
import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { AuditService } from '../audit/service';
import { copyIn, type CopyIn } from '../core/copy';
import { Db, Queryable, Tx } from '../core/db';
import { Conflict, NotFound, ruleError } from '../core/errors';
import { newId } from '../core/ids';
import type { Logger } from '../core/log';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '../core/pagination';
import type { Caller, Page } from '../core/types';
import type { DatasetService, DatasetStorage } from '../datasets/service';
import { attachBatchSql, batchRowsSql, MAIN_PART, copyIntoStagingSql, createStagingTableSql, mergeBatchSql, qualifiedData, qualifiedStaging, refreshCurrentSql, stagingTable, SYS } from '../datasets/storage';
import { ident } from '../core/sql';
import type { SchemaService } from '../schemas/service';
import { loadPlan } from './load';
import { checkBatchOptions } from './options';
import { CopyBlockReader } from './parse/copy-blocks';
import { ParsePool } from './parse/pool';
import { FileError } from './records';
import { ROW_ERRORS_STORED, RowErrorLog } from './row-errors';
import type { Batch, BatchFile, BatchOptions, BatchRow, BatchStatus, FileRow } from './types';

export { checkBatchOptions, checkFileFormat } from './options';
export { ROW_ERRORS_STORED } from './row-errors';
export type { Batch, BatchFile, BatchOptions, BatchStatus } from './types';

/** How often a load looks whether its batch was aborted (possibly by another process). */
const STATUS_CHECK_MS = 500;

/** The batch stopped being loadable while a file streamed (aborted, or failed by another file). */
class BatchStopped extends Error {}

/** `batch.part`: the partition holding the batch's rows (batchRowsSql). */
type MergeHook = (tx: Tx, storage: DatasetStorage, batch: { id: string; part: number }) => Promise<void>;
/** Rows of a file whose load ended: `ok` staged for the batch (none when the file failed), `failed` refused with a row error. */
export type RowsListener = (rows: { ok: number; failed: number }) => void;

export interface BatchSettings {
  /** A batch of at least this many rows becomes a partition of its dataset. */
  partitionRows: number;
  /** Partitions a dataset may hold (every query over it locks each one); larger batches beyond are merged. */
  maxPartitions: number;
  /** Threads that read CSV files into COPY text (0: on the event loop). */
  parseThreads: number;
}

export class BatchService {
  private readonly loadSlots: Slots;
  private readonly mergeHooks: MergeHook[] = [];
  private readonly rowsListeners: RowsListener[] = [];
  private settings: BatchSettings = { partitionRows: 100_000, maxPartitions: 32, parseThreads: 0 };
  private parsePool = new ParsePool(0);

  configure(settings: Partial<BatchSettings>): void {
    this.settings = { ...this.settings, ...settings };
    if (this.settings.parseThreads !== this.parsePool.size) {
      void this.parsePool.close();
      this.parsePool = new ParsePool(this.settings.parseThreads);
    }
  }

  /** Stops the parse threads (after the last load: the runtime closes this after jobs and requests). */
  stop(): Promise<void> {
    return this.parsePool.close();
  }

  /** Runs inside the merge transaction after a batch's rows are in the dataset (e.g. the universe). */
  onMerged(hook: MergeHook): void {
    this.mergeHooks.push(hook);
  }

  /** Told once per file whose load ended, with its row counts (metrics; services.ts wires it). */
  onRows(listener: RowsListener): void {
    this.rowsListeners.push(listener);
  }

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly datasets: DatasetService,
    private readonly schemas: SchemaService,
    private readonly log: Logger,
  ) {
    this.loadSlots = streamSlots(db);
  }

  async create(caller: Caller, datasetId: string, options: BatchOptions, source = 'upload'): Promise<Batch> {
    checkBatchOptions(options, '');
    const { id } = await this.open(caller, datasetId, options, source);
    return this.get(caller, id);
  }

  async get(caller: Caller, id: string, q: Queryable = this.db): Promise<Batch> {
    const row = await this.findRow(q, caller, id);
    const files = await q<FileRow>('batch_files').where({ batch_id: id }).orderBy('file_index');
    return toBatch(row, files);
  }

  async list(caller: Caller, datasetId: string, query: { status?: BatchStatus; limit?: number; cursor?: string } = {}): Promise<Page<Batch>> {
    await this.datasets.findRow(this.db, caller, datasetId);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const cursor = decodeCursor(query.cursor);
    const q = this.db<BatchRow>('batches').where({ ad_account_id: caller.adAccountId, dataset_id: datasetId });
    if (query.status) q.where('status', query.status);
    if (cursor) q.where('id', '<', cursor);
    const rows = await q.orderBy('id', 'desc').limit(limit + 1);
    const page = toPage(rows, limit, (r) => r.id);
    const files = page.items.length
      ? await this.db<FileRow>('batch_files').whereIn('batch_id', page.items.map((r) => r.id)).orderBy('file_index')
      : [];
    return { items: page.items.map((r) => toBatch(r, files.filter((f) => f.batch_id === r.id))), nextCursor: page.nextCursor };
  }

  /**
   * Streams one file into the batch's staging table. Row errors are stored; a file that cannot be
   * read at all (FileError) fails the whole batch with its reason.
   */
  async uploadFile(caller: Caller, batchId: string, name: string, input: Readable): Promise<BatchFile> {
    return this.loadFile(caller, batchId, name, input);
  }

  /** Checks the error threshold, then merges staging into the dataset in one transaction. */
  async complete(caller: Caller, batchId: string): Promise<Batch> {
    return this.merge(caller, batchId);
  }

  /**
   * Marks the batch aborted and returns at once. A file still streaming sees the status within
   * STATUS_CHECK_MS and stops; its staging table is dropped by whoever finishes last. (Dropping it
   * here while a load's COPY held it — and holding the batch row FOR UPDATE, which blocks the
   * load's row-error inserts through their foreign key — was a lock cycle through the application
   * that PostgreSQL could not detect.)
   */
  async abort(caller: Caller, batchId: string): Promise<Batch> {
    const changed = await this.db.transaction(async (tx) => {
      const batch = await this.findRow(tx, caller, batchId, 'no key update');
      if (batch.status === 'aborted') return false;
      if (batch.status !== 'loading') throw new Conflict(`Batch ${batchId} is ${batch.status}; only a loading batch can be aborted`);
      await tx('batches').where({ id: batchId }).update({ status: 'aborted', completed_at: tx.fn.now(), updated_at: tx.fn.now() });
      return true;
    });
    if (changed) await this.dropStagingIfIdle(batchId);
    return this.get(caller, batchId);
  }

  /**
   * Fails the loads left behind: files marked loading by a process that is gone, or by this one
   * when its load already ended but could not record that (the database was away). Their batches
   * fail with the reason and lose their staging tables. Returns the files failed.
   */
  async recoverLoads(aliveInstances: readonly number[], me: number): Promise<number> {
    const files = await this.db<FileRow & { loader: number | null }>('batch_files')
      .where({ status: 'loading' })
      .where((q) => q.whereNull('loader').orWhereNot((n) => n.whereIn('loader', aliveInstances)).orWhere((m) => m.where('loader', me).whereNotIn('id', [...this.loading])))
      .select('id', 'batch_id', 'name', 'loader');
    for (const f of files) {
      const reason = `${f.name}: the load stopped before the end of the file (the service restarted or lost its database connection); nothing was merged. Upload the files again in a new batch.`;
      await this.db.transaction(async (tx) => {
        const updated = await tx('batch_files').where({ id: f.id, status: 'loading' }).update({ status: 'failed', failure_reason: reason });
        if (updated) await this.failBatch(tx, f.batch_id, reason);
      });
      await this.dropStagingIfIdle(f.batch_id);
    }
    // Staging tables of batches that ended while a file still held them.
    const leftovers = await this.db('batches').whereIn('status', ['failed', 'aborted']).whereRaw('completed_at > now() - interval \'1 day\'').select('id');
    for (const b of leftovers) await this.dropStagingIfIdle(b.id);
    return files.length;
  }

  /** Removes what a successful batch contributed; earlier records of the same identities become current again. */
  async delete(caller: Caller, batchId: string): Promise<Batch> {
    await this.db.transaction(async (tx) => {
      const batch = await this.findRow(tx, caller, batchId, true);
      if (batch.status === 'deleted') return;
      if (batch.status === 'loading') throw new Conflict(`Batch ${batchId} is still loading; abort it instead (POST /v1/batches/${batchId}/abort)`);
      if (batch.status === 'success') {
        const dataset = await this.datasets.findRow(tx, caller, batch.dataset_id, true);
        // A batch with a partition of its own goes with it; one merged into partition 0 row by row.
        const t = qualifiedData(dataset.table_name);
        const rows = batchRowsSql({ id: batchId, part: partOf(batch) });
        await tx.raw(`create temporary table cdp_touched on commit drop as select distinct ${ident(SYS.identity)} as identity from ${t} where ${rows.sql}`, rows.bindings);
        if (batch.partitioned) await tx.raw(`drop table ${qualifiedData(stagingTable(batchId))}`);
        else await tx.raw(`delete from ${t} where ${rows.sql}`, rows.bindings);
        for (const sql of refreshCurrentSql(dataset.table_name, 'select identity from cdp_touched')) await tx.raw(sql);
      }
      await tx('batch_row_errors').where({ batch_id: batchId }).delete();
      await tx('batches').where({ id: batchId }).update({ status: 'deleted', updated_at: tx.fn.now() });
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'batch', resourceId: batchId, before: { status: batch.status } });
    });
    return this.get(caller, batchId);
  }

  /**
   * create + upload + complete. The options come from the query string (errors point into it). The
   * dataset's storage is read once, when the batch is created, and serves the file and the merge.
   */
  async addData(caller: Caller, datasetId: string, options: BatchOptions, fileName: string, input: Readable): Promise<Batch> {
    try {
      checkBatchOptions(options, '/query');
    } catch (err) {
      input.resume();
      throw err;
    }
    const { id, storage } = await this.open(caller, datasetId, options, 'upload');
    const file = await this.loadFile(caller, id, fileName, input, storage);
    if (file.status === 'failed') return this.get(caller, id);
    return this.merge(caller, id, storage);
  }

  /** Row errors, oldest first, for streaming downloads. */
  errorRows(caller: Caller, batchId: string) {
    return this.findRow(this.db, caller, batchId).then(() =>
      this.db('batch_row_errors')
        .where({ batch_id: batchId })
        .orderBy('id')
        .select('file_name as file', 'row_number as row', 'field', 'rule', 'message', 'raw_value as rawValue')
        .stream(),
    );
  }

  // ---- for datasets (wired in services.ts: datasets cannot import ingestion) ---------------------

  /**
   * SQL of one row `(records, batches)` for a dataset: rows merged by its successful batches (the
   * ledger: no scan of a large table) and its batches of any status.
   */
  datasetCounts(datasetId: string): { sql: string; bindings: readonly Knex.RawBinding[] } {
    return {
      sql: `select (select coalesce(sum(output_count), 0) from batches where dataset_id = ? and status = 'success')::bigint as records,
                   (select count(*) from batches where dataset_id = ?)::bigint as batches`,
      bindings: [datasetId, datasetId],
    };
  }

  /** In the transaction deleting a dataset: its batches' staging tables, the batches, their files and row errors. */
  async forgetDataset(tx: Tx, caller: Caller, datasetId: string): Promise<void> {
    const batches: { id: string }[] = await tx('batches').where({ ad_account_id: caller.adAccountId, dataset_id: datasetId }).select('id');
    for (const b of batches) await tx.raw(`drop table if exists ${qualifiedStaging(stagingTable(b.id))}`);
    await tx('batches').where({ ad_account_id: caller.adAccountId, dataset_id: datasetId }).delete(); // cascades to files and row errors
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Files this process is streaming now (recoverLoads leaves them alone). */
  private readonly loading = new Set<string>();
  private instance: () => number | null = () => null;

  /** Files are marked with the id of the process loading them (core/instances.ts). */
  useInstance(id: () => number): void {
    this.instance = id;
  }

  /** Inserts the batch and its staging table. Creating a batch is where the dataset's table grows to the schema's new fields. */
  private async open(caller: Caller, datasetId: string, options: BatchOptions, source: string): Promise<{ id: string; storage: DatasetStorage }> {
    const storage = await this.datasets.extendStorage(caller, datasetId);
    const id = newId('batch');
    const staging = stagingTable(id);
    const stagingColumns = storage.columns.filter((c) => !c.system).map((c) => c.columnName);
    await this.db.transaction(async (tx) => {
      const [{ part }] = (await tx.raw(`select nextval('dataset_part_seq')::integer as part`)).rows;
      await tx('batches').insert({
        id,
        part,
        ad_account_id: caller.adAccountId,
        dataset_id: datasetId,
        status: 'loading',
        format: JSON.stringify({
          format: options.format,
          delimiter: options.delimiter,
          quote: options.quote,
          compression: options.compression ?? 'auto',
          multiValueSeparator: options.multiValueSeparator,
          stagingColumns,
        }),
        mapping: options.mapping ? JSON.stringify(options.mapping) : null,
        error_threshold: options.errorThreshold ?? 5,
        source,
        created_by: caller.keyId,
      });
      await tx.raw(createStagingTableSql(staging, { table: storage.dataset.table_name, adAccountId: storage.dataset.ad_account_id }, id, part, storage.columns));
    });
    return { id, storage };
  }

  /** uploadFile; `storage` when the caller already read it (addData). */
  private async loadFile(caller: Caller, batchId: string, name: string, input: Readable, storage?: DatasetStorage): Promise<BatchFile> {
    const batch = await this.findRow(this.db, caller, batchId);
    if (batch.status !== 'loading') {
      input.resume();
      throw new Conflict(`Batch ${batchId} is ${batch.status}; files can only be added while it is loading`);
    }
    let plan: ReturnType<typeof loadPlan>;
    let fileIndex: number;
    const fileId = newId('bf');
    try {
      const stored = storage ?? (await this.datasets.storage(caller, batch.dataset_id));
      plan = loadPlan(stored, batch.format.stagingColumns ?? [], await this.schemas.validator(caller, stored.dataset.schema_id));
      fileIndex = await this.fileSlot(batchId, fileId, name);
    } catch (err) {
      input.resume(); // drain what the client or the remote server is still sending
      throw err;
    }
    const records = new CopyBlockReader(
      input,
      {
        id: fileId,
        format: batch.format.format,
        delimiter: batch.format.delimiter,
        quote: batch.format.quote,
        compression: batch.format.compression,
        multiValueSeparator: batch.format.multiValueSeparator,
        columns: plan.specs,
        mapping: batch.mapping ?? undefined,
        schema: plan.schema,
        validate: plan.validate,
        target: { fileIndex, identityIndex: plan.identityIndex, kinds: plan.kinds },
        fileName: name,
      },
      this.parsePool,
    );
    const threshold = Number(batch.error_threshold);
    let input_ = 0;
    let ok = 0;
    let failed = 0;
    const errors = new RowErrorLog(this.db, batch.ad_account_id, batchId, fileIndex, name);

    // Each load holds one connection for its COPY and briefly needs a second (row errors, status):
    // at most half the pool loads at once, so loads can never take every connection and wait forever.
    await this.loadSlots.acquire();
    this.loading.add(fileId);
    try {
      // Counts of the batch's earlier files, for the threshold and the stored-error cap.
      const earlier = await this.db('batches').where({ id: batchId }).first('input_count', 'failed_count');
      const [{ stored }] = await this.db('batch_row_errors').where({ batch_id: batchId }).count('* as stored');
      errors.storable = Math.max(0, ROW_ERRORS_STORED - Number(stored));
      const feed = async (copy: Pick<CopyIn, 'write'>) => {
        let checkedAt = Date.now();
        // Blocks of COPY text, read off the event loop (parse/): one await per block, not per row.
        for await (const block of records.blocks()) {
          for (const chunk of block.chunks) await copy.write(chunk);
          input_ += block.input;
          ok += block.ok;
          failed += block.failed;
          for (const e of block.errors) errors.add(e);
          if (errors.due) await errors.flush();
          const batchFailed = Number(earlier.failed_count) + failed;
          const batchInput = Number(earlier.input_count) + input_;
          if (batchFailed >= ROW_ERRORS_STORED && (batchFailed / batchInput) * 100 > threshold) {
            // Bounded work for any input: past the cap and the threshold, reading on cannot help.
            throw new FileError(
              'error-threshold',
              `stopped reading at row ${input_}: ${batchFailed} of ${batchInput} rows failed (${((batchFailed / batchInput) * 100).toFixed(1)}%), above the error threshold of ${threshold}%; nothing was loaded. Download the row errors (the first ${ROW_ERRORS_STORED} are kept: GET /v1/batches/${batchId}/errors), fix the file and load it again.`,
            );
          }
          if (Date.now() - checkedAt >= STATUS_CHECK_MS) {
            checkedAt = Date.now();
            const now = await this.db('batches').where({ id: batchId }).first('status');
            if (now?.status !== 'loading') throw new BatchStopped(`the batch was ${now?.status ?? 'deleted'} while ${name} was loading`);
          }
        }
      };
      // The batch's first file loads frozen (COPY FREEZE needs the table emptied in the same
      // transaction): no later reader has to set hint bits on every page and write them to the WAL
      // again (54 % of a 1M-row completion). It holds the table alone meanwhile, and empties it only
      // if no other file of the batch committed rows first. Later files load as they are.
      if (fileIndex === 1) {
        await this.db.transaction(async (tx) => {
          const t = qualifiedStaging(stagingTable(batchId));
          await tx.raw(`lock table ${t} in access exclusive mode`);
          const { rows } = await tx.raw(`select exists (select from ${t}) as taken`);
          if (!rows[0].taken) await tx.raw(`truncate ${t}`);
          await copyIn(tx, copyIntoStagingSql(stagingTable(batchId), plan.columns, !rows[0].taken), feed);
        });
      } else {
        await copyIn(this.db, copyIntoStagingSql(stagingTable(batchId), plan.columns, false), feed);
      }
      await errors.flush();
    } catch (err) {
      input.resume();
      const stopped = err instanceof BatchStopped;
      const reason = err instanceof FileError || stopped ? `${name}: ${err.message}` : `${name}: could not be loaded (${(err as Error).message})`;
      if (!(err instanceof FileError) && !stopped) this.log.warn({ batchId, file: name, err: (err as Error).message }, 'file load failed');
      await errors.flush().catch(() => undefined);
      // If the database itself is gone this fails too; the file is then failed by recoverLoads once
      // it is back (this process no longer lists it as loading).
      await this.db.transaction(async (tx) => {
        await tx('batch_files').where({ id: fileId }).update({ status: 'failed', failure_reason: reason, input_count: input_, failed_count: failed });
        if (!stopped) await this.failBatch(tx, batchId, reason);
      });
      this.loading.delete(fileId);
      for (const l of this.rowsListeners) l({ ok: 0, failed });
      await this.dropStagingIfIdle(batchId);
      if (stopped) throw new Conflict(`Batch ${batchId}: ${err.message}; the file was not loaded`);
      return (await this.get(caller, batchId)).files.find((f) => f.index === fileIndex)!;
    } finally {
      this.loading.delete(fileId);
      this.loadSlots.release();
    }

    const bytes = records.stats.bytesRead;
    await this.db.transaction(async (tx) => {
      await tx('batch_files').where({ id: fileId }).update({ status: 'loaded', bytes, input_count: input_, output_count: ok, failed_count: failed });
      await tx('batches')
        .where({ id: batchId })
        .update({
          input_count: tx.raw('input_count + ?', [input_]),
          failed_count: tx.raw('failed_count + ?', [failed]),
          updated_at: tx.fn.now(),
        });
    });
    for (const l of this.rowsListeners) l({ ok, failed });
    // Aborted while this file's last rows were committed: its staging table goes now.
    await this.dropStagingIfIdle(batchId);
    return (await this.get(caller, batchId)).files.find((f) => f.index === fileIndex)!;
  }

  /** complete; `storage` when the caller already read it (addData). */
  private async merge(caller: Caller, batchId: string, storage?: DatasetStorage): Promise<Batch> {
    await this.db.transaction(async (tx) => {
      const batch = await this.findRow(tx, caller, batchId, true);
      if (batch.status === 'success') return; // completing twice is harmless and merges nothing
      if (batch.status !== 'loading') throw new Conflict(`Batch ${batchId} is ${batch.status}; only a loading batch can be completed`);
      const files = await tx<FileRow>('batch_files').where({ batch_id: batchId });
      if (files.length === 0) throw ruleError('', 'no-files', `Batch ${batchId} has no files; upload at least one (PUT /v1/batches/${batchId}/files/{name}) before completing it`);
      if (files.some((f) => f.status === 'loading')) throw new Conflict(`Batch ${batchId} still has a file being uploaded`);
      const input = Number(batch.input_count);
      const failedCount = Number(batch.failed_count);
      const threshold = Number(batch.error_threshold);
      const failedPercent = input === 0 ? 0 : (failedCount / input) * 100;
      if (failedPercent > threshold) {
        await this.failBatch(
          tx,
          batchId,
          `${failedCount} of ${input} rows failed (${failedPercent.toFixed(1)}%), above the error threshold of ${threshold}%; nothing was loaded. Download the row errors (GET /v1/batches/${batchId}/errors), fix the file and load it again.`,
        );
        return;
      }
      const dataset = await this.datasets.findRow(tx, caller, batch.dataset_id, true); // serialises merges per dataset
      // The row as locked: whether the dataset is enabled for profile is decided now.
      const stored = storage ? { ...storage, dataset } : await this.datasets.storage(caller, batch.dataset_id, tx);
      const stagingColumns = new Set(batch.format.stagingColumns ?? []);
      const columns = stored.columns.filter((c) => c.system || stagingColumns.has(c.columnName));
      const [{ seq }] = (await tx.raw(`select nextval('batch_merge_seq') as seq`)).rows;
      // Each file's rows were committed with its counts; the batch's table is logged like the dataset.
      const rows = input - failedCount;
      const partitioned = batch.part !== null && rows >= this.settings.partitionRows && (await this.partitions(tx, batch.dataset_id)) < this.settings.maxPartitions;
      const fixed = { batchId, seq: Number(seq), profile: dataset.profile_enabled, actor: caller.keyId ?? null };
      if (partitioned) {
        const missing = stored.columns.filter((c) => !c.system && !stagingColumns.has(c.columnName));
        for (const sql of attachBatchSql(dataset.table_name, stagingTable(batchId), batch.part!, stored.columns, missing, fixed)) await tx.raw(sql);
      } else {
        for (const sql of mergeBatchSql(dataset.table_name, stagingTable(batchId), columns)) await tx.raw(sql, fixed);
        await tx.raw(`drop table if exists ${qualifiedStaging(stagingTable(batchId))}`);
      }
      for (const hook of this.mergeHooks) await hook(tx, stored, { id: batchId, part: partitioned ? batch.part! : MAIN_PART });
      await tx('batches')
        .where({ id: batchId })
        .update({ status: 'success', seq, partitioned, output_count: rows, completed_at: tx.fn.now(), updated_at: tx.fn.now() });
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'batch', resourceId: batchId, after: { status: 'success', rows } });
    });
    return this.get(caller, batchId);
  }

  /** Batches of a dataset whose tables are partitions of it now. */
  private async partitions(q: Queryable, datasetId: string): Promise<number> {
    const [{ n }] = await q('batches').where({ dataset_id: datasetId, status: 'success', partitioned: true }).count('* as n');
    return Number(n);
  }

  /** Drops the staging table of a batch that no longer loads, once no file streams into it. */
  private async dropStagingIfIdle(batchId: string): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        // Never wait behind a COPY that is still unwinding: a later recoverLoads drops it instead.
        await tx.raw(`set local lock_timeout = '2s'`);
        const batch = await tx('batches').where({ id: batchId }).first('status');
        if (!batch || batch.status === 'loading' || batch.status === 'staged') return;
        const busy = await tx('batch_files').where({ batch_id: batchId, status: 'loading' }).first('id');
        if (busy) return;
        await tx.raw(`drop table if exists ${qualifiedStaging(stagingTable(batchId))}`);
      });
    } catch (err) {
      this.log.debug({ batchId, err: (err as Error).message }, 'staging table left for the next recovery');
    }
  }

  /** Registers the next file of a loading batch. */
  private async fileSlot(batchId: string, fileId: string, name: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      // Checked again under the lock: a concurrent complete() may have merged the batch meanwhile.
      const locked = await tx('batches').where({ id: batchId }).forUpdate().first();
      if (locked?.status !== 'loading') throw new Conflict(`Batch ${batchId} is ${locked?.status}; files can only be added while it is loading`);
      const [{ next }] = (await tx.raw('select coalesce(max(file_index), 0) + 1 as next from batch_files where batch_id = ?', [batchId])).rows;
      await tx('batch_files').insert({ id: fileId, ad_account_id: locked.ad_account_id, batch_id: batchId, file_index: next, name, status: 'loading', loader: this.instance() });
      return Number(next);
    });
  }

  /**
   * Only a loading batch can fail: one that was merged meanwhile keeps its success. Its staging
   * table is dropped here only when no file streams into it (another file may; see abort).
   */
  private async failBatch(q: Queryable, batchId: string, reason: string): Promise<void> {
    const failed = await q('batches')
      .where({ id: batchId, status: 'loading' })
      .update({ status: 'failed', failure_reason: reason, completed_at: q.fn.now(), updated_at: q.fn.now() });
    if (!failed) return;
    const busy = await q('batch_files').where({ batch_id: batchId, status: 'loading' }).first('id');
    if (!busy) await q.raw(`drop table if exists ${qualifiedStaging(stagingTable(batchId))}`);
  }

  private async findRow(q: Queryable, caller: Caller, id: string, lock: boolean | 'no key update' = false): Promise<BatchRow> {
    const query = q<BatchRow>('batches').where({ id, ad_account_id: caller.adAccountId });
    if (lock === 'no key update') query.forNoKeyUpdate();
    else if (lock) query.forUpdate();
    const row = await query.first();
    if (!row) throw new NotFound(`Batch ${id} not found`);
    return row;
  }
}

/** The partition holding a merged batch's rows. */
function partOf(r: BatchRow): number {
  return r.partitioned ? r.part! : MAIN_PART;
}

function toBatch(r: BatchRow, files: FileRow[]): Batch {
  const { stagingColumns: _s, ...format } = r.format;
  return {
    id: r.id,
    datasetId: r.dataset_id,
    status: r.status,
    format,
    mapping: r.mapping,
    errorThreshold: Number(r.error_threshold),
    counts: { input: Number(r.input_count), output: Number(r.output_count), failed: Number(r.failed_count) },
    failureReason: r.failure_reason,
    files: files.map((f) => ({
      index: f.file_index,
      name: f.name,
      bytes: Number(f.bytes),
      status: f.status,
      counts: { input: Number(f.input_count), output: Number(f.output_count), failed: Number(f.failed_count) },
      failureReason: f.failure_reason,
    })),
    source: r.source,
    createdAt: r.created_at.toISOString(),
    completedAt: r.completed_at?.toISOString() ?? null,
  };
}
