/**
 * Source connections (SFTP, S3) and dataflows: a connection + folder + file pattern + format +
 * target dataset + mapping + schedule. Each run lists the folder and ingests every file version it
 * has not ingested before, one batch per file.
 *
 * Exactly once per file, across retries, crashes, overlapping runs and several workers:
 * - a file version (path + fingerprint) is claimed by one run through a unique key in
 *   dataflow_files; its loader holds the file's work lock while it loads, so a claim whose loader
 *   died is taken over by the next run at once, and one whose loader lives never (ledger.ts);
 * - the file's batch is atomic (see BatchService), and the claim records the batch id before
 *   loading, so a worker that died after the batch succeeded but before marking the file is
 *   recognised by the next run, which marks it ingested without loading it again;
 * - a transient failure (connection dropped, timeout) marks the file `retry`; the next run loads it
 *   again into a new batch (the failed one never became visible). Data problems (threshold) are final.
 */
import type { Readable } from 'node:stream';
import { ConnectorError, ConnectionTestResult, RemoteFile, SourceConnector } from '../../connectors/types';
import { baseName } from '../../connectors/util';
import type { AuditService } from '../audit/service';
import type { Clock } from '../core/clock';
import { Db, Queryable } from '../core/db';
import { drainDue } from '../core/due';
import { Conflict, NotFound, ruleError } from '../core/errors';
import { newId } from '../core/ids';
import type { JobQueue } from '../core/jobs';
import type { Logger } from '../core/log';
import { checkRemotePath } from '../core/remote-path';
import { requeueLost } from '../core/requeue';
import { nextSlot } from '../core/schedule';
import { requireCredentialsOnRetarget, type SecretBox } from '../core/secrets';
import { assertNameFree, findOwned } from '../core/tenant';
import { systemCaller, type Caller } from '../core/types';
import { requestSchemas } from '../core/validation';
import type { DatasetService } from '../datasets/service';
import type { WorkLocks } from '../core/instances';
import type { FileFormat } from '../ingestion/records';
import { checkFileFormat, type BatchService } from '../ingestion/service';
import { FilePreview, formatOfName, previewFile, UnreadableFile } from './preview';
import { checkCredentials, defaultConnector, folderKind, notFoundAt, PreviewFailure } from './connector';
import { toDataflow, toRun } from './rows';
import { FileLedger, fileLockKey, versionOf } from './ledger';
import { checkSchedule } from './schedule';
import { Connection, ConnectionInput, ConnectionRow, Dataflow, DataflowInput, DataflowOptions, DataflowRow, DataflowRun, DEFAULTS, FileClaim, RunRow } from './types';

export type { Connection, ConnectionInput, Dataflow, DataflowInput, DataflowRun } from './types';

export const RUN_JOB = 'dataflows.run';
export const TICK_JOB = 'dataflows.tick';

type FileOutcome = { status: 'skipped' | 'ingested' | 'failed' | 'retry'; input: number; output: number; failed: number; error?: string };
const SKIPPED: FileOutcome = { status: 'skipped', input: 0, output: 0, failed: 0 };

export class DataflowService {
  private readonly options: DataflowOptions;
  private readonly ledger: FileLedger;
  private locks: WorkLocks | undefined;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly datasets: DatasetService,
    private readonly batches: BatchService,
    private readonly jobs: JobQueue,
    private readonly secrets: () => SecretBox,
    private readonly clock: Clock,
    private readonly log: Logger,
    options: Partial<DataflowOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.ledger = new FileLedger(db);
  }

  /** Tests tune retries. */
  configure(options: Partial<DataflowOptions>): void {
    Object.assign(this.options, options);
  }

  /** A file is loaded under its work lock, which dies with this process (core/instances.ts). */
  useInstance(locks: WorkLocks): void {
    this.locks = locks;
  }

  // ---- connections -----------------------------------------------------------------------------

  async createConnection(caller: Caller, input: ConnectionInput): Promise<Connection> {
    checkCredentials(input.kind, input.credentials as Record<string, unknown>);
    const id = newId('conn');
    return this.db.transaction(async (tx) => {
      await this.assertFree(tx, 'connections', caller, input.name);
      const [row] = await tx('connections')
        .insert({
          id,
          ad_account_id: caller.adAccountId,
          name: input.name,
          kind: input.kind,
          settings: JSON.stringify({ ...input.settings, ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}) }),
          secret: this.secrets().seal(input.credentials),
          created_by: caller.keyId,
        })
        .returning('*');
      const dto = this.toConnection(row);
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'connection', resourceId: id, after: dto });
      return dto;
    });
  }

  async listConnections(caller: Caller): Promise<Connection[]> {
    const rows = await this.db<ConnectionRow>('connections').where({ ad_account_id: caller.adAccountId }).orderBy('id');
    return rows.map((r) => this.toConnection(r));
  }

  async getConnection(caller: Caller, id: string): Promise<Connection> {
    return this.toConnection(await this.connectionRow(this.db, caller, id));
  }

  async updateConnection(caller: Caller, id: string, patch: Partial<Omit<ConnectionInput, 'kind'>>): Promise<Connection> {
    return this.db.transaction(async (tx) => {
      const row = await this.connectionRow(tx, caller, id, true);
      const before = this.toConnection(row);
      if (patch.name !== undefined && patch.name.toLowerCase() !== row.name.toLowerCase()) await this.assertFree(tx, 'connections', caller, patch.name);
      const settings: Record<string, unknown> = { ...row.settings, ...(patch.settings ?? {}) };
      const { timeoutMs: _t, ...plain } = settings;
      requestSchemas().check(row.kind === 'sftp' ? 'connection-sftp-settings' : 'connection-s3-settings', plain, 'body', '/settings');
      // Stored credentials never follow the connection to another server.
      requireCredentialsOnRetarget(row.settings, settings, patch.credentials as Record<string, unknown> | undefined, ['host', 'port', 'username', 'endpoint', 'bucket', 'region']);
      const credentials = patch.credentials
        ? { ...this.secrets().open<Record<string, unknown>>(row.secret), ...patch.credentials }
        : undefined;
      if (credentials) checkCredentials(row.kind, credentials);
      const [updated] = await tx('connections')
        .where({ id })
        .update({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.settings !== undefined || patch.timeoutMs !== undefined
            ? { settings: JSON.stringify({ ...row.settings, ...(patch.settings ?? {}), ...(patch.timeoutMs ? { timeoutMs: patch.timeoutMs } : {}) }) }
            : {}),
          ...(credentials ? { secret: this.secrets().seal(credentials) } : {}),
          updated_at: tx.fn.now(),
        })
        .returning('*');
      const after = this.toConnection(updated);
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'connection', resourceId: id, before, after });
      return after;
    });
  }

  async deleteConnection(caller: Caller, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.connectionRow(tx, caller, id, true);
      const flows = await tx('dataflows').where({ connection_id: id }).select('id');
      if (flows.length) throw new Conflict(`Connection ${id} is used by dataflows ${flows.map((f: { id: string }) => f.id).join(', ')}; delete them first`);
      await tx('connections').where({ id }).delete();
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'connection', resourceId: id, before: this.toConnection(row) });
    });
  }

  /** Reachability, credentials and the folder, with a clear reason on failure. Never throws for remote problems. */
  async testConnection(caller: Caller, id: string, folder = '/'): Promise<ConnectionTestResult> {
    const row = await this.connectionRow(this.db, caller, id);
    checkRemotePath(folder, '/folder', folderKind(row.kind));
    const connector = this.open(row);
    try {
      return await connector.test(folder);
    } finally {
      await connector.close().catch(() => undefined);
    }
  }

  /**
   * The first rows of one remote file (the wizard's preview), read through the same connector a run
   * uses. Connector failures and unreadable files are answers ({ ok: false, reason }), as in the test.
   */
  async previewFile(caller: Caller, id: string, path: string, format?: FileFormat): Promise<FilePreview | PreviewFailure> {
    const row = await this.connectionRow(this.db, caller, id);
    checkRemotePath(path, '/path', folderKind(row.kind));
    if (path.endsWith('/')) throw ruleError('/path', 'file', 'The path names a folder: pick a file inside it (the connection test lists them)');
    const fileFormat = format ?? { format: formatOfName(path) };
    checkFileFormat(fileFormat, '/format');
    const connector = this.open(row);
    try {
      const stream = await connector.open({ path, size: 0, modifiedAt: new Date(0), fingerprint: '' });
      return await previewFile(stream, path, fileFormat);
    } catch (err) {
      if (err instanceof ConnectorError) return { ok: false, reason: err.reason, message: err.message };
      if (err instanceof UnreadableFile) return { ok: false, reason: 'unreadable', message: `${baseName(path)}: ${err.message}` };
      throw err;
    } finally {
      await connector.close().catch(() => undefined);
    }
  }

  // ---- dataflows -------------------------------------------------------------------------------

  async createDataflow(caller: Caller, input: DataflowInput): Promise<Dataflow> {
    checkSchedule(input.schedule);
    checkFileFormat(input.format, '/format'); // here, not at the first run
    checkRemotePath(input.pattern, '/pattern', 'file-pattern');
    const connection = await this.connectionRow(this.db, caller, input.connectionId).catch(notFoundAt('/connectionId'));
    checkRemotePath(input.folder, '/folder', folderKind(connection.kind));
    await this.datasets.findRow(this.db, caller, input.datasetId).catch(notFoundAt('/datasetId'));
    const id = newId('flow');
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      await this.assertFree(tx, 'dataflows', caller, input.name);
      const [row] = await tx('dataflows')
        .insert({
          id,
          ad_account_id: caller.adAccountId,
          name: input.name,
          connection_id: input.connectionId,
          dataset_id: input.datasetId,
          folder: input.folder,
          pattern: input.pattern ?? '*',
          format: JSON.stringify(input.format),
          mapping: input.mapping ? JSON.stringify(input.mapping) : null,
          error_threshold: input.errorThreshold ?? 5,
          schedule: JSON.stringify(input.schedule),
          backfill: input.backfill ?? false,
          enabled: input.enabled ?? true,
          next_run_at: input.enabled === false ? null : nextSlot(input.schedule, now, null),
          created_by: caller.keyId,
          created_at: now,
        })
        .returning('*');
      const dto = toDataflow(row);
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'dataflow', resourceId: id, after: dto });
      return dto;
    });
  }

  async listDataflows(caller: Caller, query: { datasetId?: string } = {}): Promise<Dataflow[]> {
    const q = this.db<DataflowRow>('dataflows').where({ ad_account_id: caller.adAccountId });
    if (query.datasetId) q.where('dataset_id', query.datasetId);
    return (await q.orderBy('id')).map(toDataflow);
  }

  async getDataflow(caller: Caller, id: string): Promise<Dataflow> {
    return toDataflow(await this.dataflowRow(this.db, caller, id));
  }

  async updateDataflow(caller: Caller, id: string, patch: Partial<Pick<DataflowInput, 'name' | 'pattern' | 'folder' | 'schedule' | 'enabled' | 'errorThreshold' | 'mapping' | 'format'>>): Promise<Dataflow> {
    if (patch.schedule) checkSchedule(patch.schedule);
    if (patch.format) checkFileFormat(patch.format, '/format');
    checkRemotePath(patch.pattern, '/pattern', 'file-pattern');
    return this.db.transaction(async (tx) => {
      const row = await this.dataflowRow(tx, caller, id, true);
      if (patch.folder !== undefined) checkRemotePath(patch.folder, '/folder', folderKind((await this.connectionRow(tx, caller, row.connection_id)).kind));
      if (patch.name !== undefined && patch.name.toLowerCase() !== row.name.toLowerCase()) await this.assertFree(tx, 'dataflows', caller, patch.name);
      const schedule = patch.schedule ?? row.schedule;
      const enabled = patch.enabled ?? row.enabled;
      const [updated] = await tx('dataflows')
        .where({ id })
        .update({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.pattern !== undefined ? { pattern: patch.pattern } : {}),
          ...(patch.folder !== undefined ? { folder: patch.folder } : {}),
          ...(patch.errorThreshold !== undefined ? { error_threshold: patch.errorThreshold } : {}),
          ...(patch.mapping !== undefined ? { mapping: JSON.stringify(patch.mapping) } : {}),
          ...(patch.format !== undefined ? { format: JSON.stringify(patch.format) } : {}),
          schedule: JSON.stringify(schedule),
          enabled,
          next_run_at: enabled ? (patch.schedule || (patch.enabled && !row.enabled) ? nextSlot(schedule, row.created_at, this.clock.now()) : row.next_run_at) : null,
          updated_at: tx.fn.now(),
        })
        .returning('*');
      const after = toDataflow(updated);
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'dataflow', resourceId: id, before: toDataflow(row), after });
      return after;
    });
  }

  async deleteDataflow(caller: Caller, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.dataflowRow(tx, caller, id, true);
      await tx('dataflows').where({ id }).delete();
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'dataflow', resourceId: id, before: toDataflow(row) });
    });
  }

  // ---- runs ------------------------------------------------------------------------------------

  /**
   * Queues a run now (the API's "run now") and answers it as queued: read back after enqueueing, a
   * worker that is quick may already have moved it on.
   */
  async triggerRun(caller: Caller, dataflowId: string): Promise<DataflowRun> {
    const flow = await this.dataflowRow(this.db, caller, dataflowId);
    const run = await this.queueRun(flow, 'manual');
    return { ...toRun(run), files: [] };
  }

  async listRuns(caller: Caller, dataflowId: string): Promise<DataflowRun[]> {
    await this.dataflowRow(this.db, caller, dataflowId);
    const rows = await this.db<RunRow>('dataflow_runs').where({ dataflow_id: dataflowId }).orderBy('id', 'desc').limit(100);
    return rows.map(toRun);
  }

  async getRun(caller: Caller, dataflowId: string, runId: string): Promise<DataflowRun> {
    await this.dataflowRow(this.db, caller, dataflowId);
    const row = await this.db<RunRow>('dataflow_runs').where({ id: runId, dataflow_id: dataflowId }).first();
    if (!row) throw new NotFound(`Run ${runId} not found`);
    const files = await this.db('dataflow_files').where({ dataflow_id: dataflowId, run_id: runId }).orderBy('id');
    return {
      ...toRun(row),
      files: files.map((f: any) => ({ path: f.path, fingerprint: f.fingerprint, size: Number(f.size), status: f.status, batchId: f.batch_id, attempts: f.attempts, error: f.error })),
    };
  }

  /** The scheduler tick: queue a run for every enabled dataflow that is due. Safe on several workers. */
  async queueDueRuns(): Promise<number> {
    return drainDue<DataflowRow>(
      this.db,
      () => this.clock.now(),
      {
        table: 'dataflows',
        due: 'next_run_at',
        where: (q) => q.where('enabled', true),
        key: (row) => ({ id: row.id }),
        advance: (row, now) => ({ next_run_at: nextSlot(row.schedule, row.created_at, now) }),
      },
      async (flow) => {
        await this.queueRun(flow, 'schedule');
      },
    );
  }

  /** Queued runs whose job the queue lost (core/requeue.ts), queued again; `since` null → all of them. */
  requeueLostRuns(since: Date | null): Promise<number> {
    return requeueLost(this.db, this.jobs, { table: 'dataflow_runs', idPrefix: 'run', inFlight: 'processing', job: RUN_JOB, enqueue: (runId) => this.enqueueRun(runId) }, since);
  }

  private async queueRun(flow: DataflowRow, trigger: 'schedule' | 'manual'): Promise<RunRow> {
    const [run] = await this.db<RunRow>('dataflow_runs')
      .insert({ id: newId('run'), ad_account_id: flow.ad_account_id, dataflow_id: flow.id, status: 'queued', trigger })
      .returning('*');
    await this.enqueueRun(run.id);
    return run;
  }

  private enqueueRun(runId: string): Promise<string> {
    return this.jobs.enqueue(RUN_JOB, { runId }, { jobId: runId, attempts: 3, backoffMs: this.options.retryBaseMs });
  }

  /** Job handler. Idempotent: a finished run is left alone; an interrupted one continues. */
  async executeRun(runId: string): Promise<DataflowRun | null> {
    const run = await this.db<RunRow>('dataflow_runs').where({ id: runId }).first();
    if (!run || run.status === 'success' || run.status === 'failed') return run ? toRun(run) : null;
    const flow = await this.db<DataflowRow>('dataflows').where({ id: run.dataflow_id }).first();
    if (!flow) {
      await this.db('dataflow_runs').where({ id: runId }).update({ status: 'failed', error: 'the dataflow was deleted', finished_at: this.clock.now() });
      return null;
    }
    const caller = systemCaller(flow.ad_account_id, 'data_engineer', `dataflow:${flow.id}`);
    await this.db('dataflow_runs').where({ id: runId }).update({ status: 'processing', started_at: this.clock.now() });
    const totals = { found: 0, ingested: 0, failed: 0, input: 0, output: 0, rowsFailed: 0 };
    let error: string | null = null;
    let connector: SourceConnector | undefined;
    try {
      connector = this.open(await this.connectionRow(this.db, caller, flow.connection_id));
      const source = connector;
      let files = await this.withRetries(() => source.list(flow.folder, { pattern: flow.pattern }), this.options.listAttempts);
      // Without backfill, only files that arrive after the dataflow was created (as in Adobe).
      if (!flow.backfill) files = files.filter((f) => f.modifiedAt.getTime() >= flow.created_at.getTime() - 1000);
      totals.found = files.length;
      // Files done for good are passed over without taking their locks.
      const settled = await this.ledger.settled(flow, files);
      for (const file of files) {
        if (settled.has(versionOf(file))) continue;
        const outcome = await this.ingestFile(caller, flow, runId, source, file);
        if (outcome.status === 'ingested') totals.ingested += 1;
        if (outcome.status === 'failed' || outcome.status === 'retry') totals.failed += 1;
        totals.input += outcome.input;
        totals.output += outcome.output;
        totals.rowsFailed += outcome.failed;
        if (outcome.status !== 'skipped' && outcome.status !== 'ingested' && !error) error = outcome.error ?? null;
      }
    } catch (err) {
      error = err instanceof ConnectorError ? `${err.reason}: ${err.message}` : (err as Error).message;
      this.log.warn({ runId, dataflowId: flow.id, err: error }, 'dataflow run failed');
    } finally {
      await connector?.close().catch(() => undefined);
    }
    const [done] = await this.db('dataflow_runs')
      .where({ id: runId })
      .update({
        status: error ? 'failed' : 'success',
        files_found: totals.found,
        files_ingested: totals.ingested,
        files_failed: totals.failed,
        input_count: totals.input,
        output_count: totals.output,
        failed_count: totals.rowsFailed,
        error,
        finished_at: this.clock.now(),
      })
      .returning('*');
    return toRun(done);
  }

  private async ingestFile(caller: Caller, flow: DataflowRow, runId: string, connector: SourceConnector, file: RemoteFile): Promise<FileOutcome> {
    if (!this.locks) throw new Error('dataflow runs need this process\'s instance for their file locks (runtime.ts calls useInstance)');
    const key = fileLockKey(flow.id, file);
    // Held from before the claim until it is settled: while a loader holds it, it is alive.
    if (!(await this.locks.hold(key))) return SKIPPED;
    try {
      const claim = await this.ledger.claim(flow, runId, file, this.options.maxFileAttempts);
      if (!claim) return SKIPPED;
      return await this.load(caller, flow, connector, file, claim);
    } finally {
      await this.locks.release(key);
    }
  }

  private async load(caller: Caller, flow: DataflowRow, connector: SourceConnector, file: RemoteFile, claim: FileClaim): Promise<FileOutcome> {
    // A previous loader of this claim is gone; it may have finished the batch before marking the file.
    if (claim.batch_id) {
      let previous = await this.batches.get(caller, claim.batch_id).catch(() => null);
      if (previous?.status === 'loading') {
        await this.batches.abort(caller, previous.id).catch(() => undefined);
        // Abort and merge both lock the batch row: what it says now is final.
        previous = await this.batches.get(caller, claim.batch_id).catch(() => null);
      }
      if (previous?.status === 'success') {
        await this.ledger.settle(claim, 'ingested', null);
        return { status: 'ingested', input: 0, output: 0, failed: 0 };
      }
    }
    try {
      const batch = await this.batches.create(caller, flow.dataset_id, { ...flow.format, mapping: flow.mapping ?? undefined, errorThreshold: Number(flow.error_threshold) }, 'dataflow');
      if (!(await this.ledger.recordBatch(claim, batch.id))) {
        await this.batches.abort(caller, batch.id).catch(() => undefined);
        return SKIPPED; // another run took the file over
      }
      let transient: ConnectorError | undefined;
      let stream: Readable;
      try {
        stream = await this.withRetries(() => connector.open(file), 2);
      } catch (err) {
        await this.batches.abort(caller, batch.id).catch(() => undefined);
        throw err;
      }
      stream.on('error', (err) => {
        if (err instanceof ConnectorError) transient = err;
      });
      const loaded = await this.batches.uploadFile(caller, batch.id, baseName(file.path), stream).finally(() => stream.destroy());
      if (loaded.status === 'failed' && transient?.retryable) {
        const final = claim.attempts >= this.options.maxFileAttempts;
        const error = `${transient.reason}: ${transient.message}`;
        await this.ledger.settle(claim, final ? 'failed' : 'retry', error);
        return { status: final ? 'failed' : 'retry', input: 0, output: 0, failed: 0, error: `${file.path}: ${error}` };
      }
      const result = loaded.status === 'failed' ? await this.batches.get(caller, batch.id) : await this.batches.complete(caller, batch.id);
      const ok = result.status === 'success';
      await this.ledger.settle(claim, ok ? 'ingested' : 'failed', ok ? null : result.failureReason);
      return {
        status: ok ? 'ingested' : 'failed',
        input: result.counts.input,
        output: result.counts.output,
        failed: result.counts.failed,
        error: ok ? undefined : `${file.path}: ${result.failureReason}`,
      };
    } catch (err) {
      const retryable = err instanceof ConnectorError && err.retryable;
      const final = !retryable || claim.attempts >= this.options.maxFileAttempts;
      const error = err instanceof ConnectorError ? `${err.reason}: ${err.message}` : (err as Error).message;
      await this.ledger.settle(claim, final ? 'failed' : 'retry', error);
      return { status: final ? 'failed' : 'retry', input: 0, output: 0, failed: 0, error: `${file.path}: ${error}` };
    }
  }

  private async withRetries<T>(fn: () => Promise<T>, attempts: number): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof ConnectorError) || !err.retryable || i >= attempts) throw err;
        await new Promise((r) => setTimeout(r, this.options.retryBaseMs * 2 ** (i - 1)));
      }
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  private open(row: ConnectionRow): SourceConnector {
    const credentials = this.secrets().open<Record<string, unknown>>(row.secret);
    const timeoutMs = typeof row.settings.timeoutMs === 'number' ? row.settings.timeoutMs : undefined;
    if (this.options.connectorFor) return this.options.connectorFor(row.kind, row.settings, credentials, timeoutMs);
    return defaultConnector(row.kind, row.settings, credentials, timeoutMs);
  }

  private toConnection(r: ConnectionRow): Connection {
    const { timeoutMs: _t, ...settings } = r.settings;
    const credentialsSet = this.secrets().namesIn(r.secret);
    return { id: r.id, name: r.name, kind: r.kind, settings, credentialsSet, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString() };
  }

  private connectionRow(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<ConnectionRow> {
    return findOwned<ConnectionRow>(q, 'connections', caller, id, 'Connection', forUpdate);
  }

  private dataflowRow(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<DataflowRow> {
    return findOwned<DataflowRow>(q, 'dataflows', caller, id, 'Dataflow', forUpdate);
  }

  private assertFree(q: Queryable, table: 'connections' | 'dataflows', caller: Caller, name: string): Promise<void> {
    return assertNameFree(q, table, caller, name, table === 'connections' ? 'connection' : 'dataflow');
  }
}
