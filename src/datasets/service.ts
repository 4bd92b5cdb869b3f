/**
 * Datasets: isolated storage for one schema's records (layout in storage.ts), dataset-level labels,
 * one-way enable-for-profile, expiration (TTL) and clean deletion.
 *
 * Enable-for-profile is not retroactive (as in Adobe): only batches merged after the switch feed
 * prospect profiles and audiences; records loaded before stay in the dataset but are not profile
 * data until an identity is loaded again.
 */
import type { Knex } from 'knex';
import type { AuditService } from '../audit/service';
import type { Clock } from '../core/clock';
import { Db, inTransaction, Queryable, Tx } from '../core/db';
import { drainDue } from '../core/due';
import { Conflict, Duplicate, NotFound, ruleError, UnprocessableRequest } from '../core/errors';
import { newId } from '../core/ids';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '../core/pagination';
import { Caller, Page, systemCaller } from '../core/types';
import type { GovernanceService } from '../governance/service';
import type { SchemaField, SchemaService } from '../schemas/service';
import { addColumnsSql, createDataTableSql, dataTable, planColumns, qualifiedData, StoredColumn, SYS } from './storage';
import { ident } from '../core/sql';

/** Minimum lead time of an expiration (Adobe: at least 24 hours in the future). */
export const MIN_EXPIRATION_LEAD_MS = 24 * 60 * 60 * 1000;

export type ExpirationStatus = 'pending' | 'executing' | 'completed' | 'cancelled';

export interface DatasetExpiration {
  id: string;
  datasetId: string;
  datasetName: string;
  expiresAt: string;
  status: ExpirationStatus;
  createdAt: string;
  completedAt: string | null;
}

export interface Dataset {
  id: string;
  name: string;
  description: string;
  schemaId: string;
  classKind: 'prospect' | 'first_party';
  primaryIdentity: { fieldPath: string; namespaceId: string };
  profileEnabled: boolean;
  profileEnabledAt: string | null;
  labels: string[];
  /** Where the records live: `cdp_data.<table>`. */
  table: string;
  counts: { records: number; currentRecords: number; batches: number };
  expiration: DatasetExpiration | null;
  createdAt: string;
  updatedAt: string;
}

interface DatasetRow {
  id: string;
  ad_account_id: string;
  name: string;
  description: string;
  schema_id: string;
  class_kind: 'prospect' | 'first_party';
  table_name: string;
  primary_field: string;
  primary_namespace_id: string;
  profile_enabled: boolean;
  profile_enabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface ExpirationRow {
  id: string;
  ad_account_id: string;
  dataset_id: string;
  dataset_name: string;
  expires_at: Date;
  status: ExpirationStatus;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

/** What ingestion needs to load a batch into a dataset. */
export interface DatasetStorage {
  dataset: DatasetRow;
  columns: StoredColumn[];
  fields: SchemaField[];
  primaryColumn: string;
}

/** SQL of one row `(records, batches)` for a dataset: the batch ledger is ingestion's. */
export type BatchCounts = (datasetId: string) => { sql: string; bindings: readonly Knex.RawBinding[] };
/** Runs in the transaction deleting a dataset, before its table and row go (ingestion forgets its batches). */
export type DeleteHook = (tx: Tx, caller: Caller, datasetId: string) => Promise<void>;

const toExpiration = (r: ExpirationRow): DatasetExpiration => ({
  id: r.id,
  datasetId: r.dataset_id,
  datasetName: r.dataset_name,
  expiresAt: r.expires_at.toISOString(),
  status: r.status,
  createdAt: r.created_at.toISOString(),
  completedAt: r.completed_at?.toISOString() ?? null,
});

export class DatasetService {
  private readonly deleteHooks: DeleteHook[] = [];
  private batchCounts: BatchCounts = () => ({ sql: 'select 0::bigint as records, 0::bigint as batches', bindings: [] });

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly schemas: SchemaService,
    private readonly governance: GovernanceService,
    private readonly clock: Clock,
  ) {}

  /** What else goes with a deleted (or expired) dataset: its batches and their staging tables. */
  onDelete(hook: DeleteHook): void {
    this.deleteHooks.push(hook);
  }

  /** Where a dataset's record and batch counts come from (the batch ledger). */
  useBatchCounts(counts: BatchCounts): void {
    this.batchCounts = counts;
  }

  async create(caller: Caller, input: { name: string; description?: string; schemaId: string; labels?: string[] }): Promise<Dataset> {
    const summary = await this.schemas.getSummary(caller, input.schemaId).catch((err) => {
      if (err instanceof NotFound) throw ruleError('/schemaId', 'exists', `Schema ${input.schemaId} does not exist in this ad account`);
      throw err;
    });
    const fields = await this.schemas.leafFields(caller, input.schemaId);
    const primary = fields.find((f) => f.identity?.primary);
    if (!primary?.identity) {
      throw ruleError('/schemaId', 'primary-identity', `Schema ${input.schemaId} has no primary identity; add one (POST /v1/schemas/${input.schemaId}/identities) so records can be keyed`);
    }
    const id = newId('ds');
    const table = dataTable(id);
    const columns = planColumns(fields);
    return this.db.transaction(async (tx) => {
      await this.assertNameFree(tx, caller, input.name);
      await tx('datasets').insert({
        id,
        ad_account_id: caller.adAccountId,
        name: input.name,
        description: input.description ?? '',
        schema_id: input.schemaId,
        class_kind: summary.kind,
        table_name: table,
        primary_field: primary.path,
        primary_namespace_id: primary.identity!.namespaceId,
        created_by: caller.keyId,
      });
      await this.saveColumns(tx, caller.adAccountId, id, columns);
      await tx.raw(createDataTableSql(table, caller.adAccountId, columns));
      if (input.labels?.length) await this.governance.setDatasetLabels(caller, id, input.labels, tx);
      const dataset = await this.load(tx, caller, id);
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'dataset', resourceId: id, after: dataset });
      return dataset;
    });
  }

  async list(caller: Caller, query: { schemaId?: string; limit?: number; cursor?: string } = {}): Promise<Page<Dataset>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const cursor = decodeCursor(query.cursor);
    const q = this.db<DatasetRow>('datasets').where('ad_account_id', caller.adAccountId);
    if (query.schemaId) q.where('schema_id', query.schemaId);
    if (cursor) q.where('id', '>', cursor);
    const rows = await q.orderBy('id').limit(limit + 1);
    const page = toPage(rows, limit, (r) => r.id);
    return { items: await Promise.all(page.items.map((r) => this.toDataset(this.db, caller, r))), nextCursor: page.nextCursor };
  }

  async get(caller: Caller, id: string): Promise<Dataset> {
    return this.load(this.db, caller, id);
  }

  /** Throws NotFound unless the caller's account has this dataset: no counts (get() counts current records). */
  async assertExists(caller: Caller, id: string): Promise<void> {
    await this.findRow(this.db, caller, id);
  }

  async update(caller: Caller, id: string, patch: { name?: string; description?: string }): Promise<Dataset> {
    return this.db.transaction(async (tx) => {
      const before = await this.load(tx, caller, id, true);
      if (patch.name !== undefined && patch.name.toLowerCase() !== before.name.toLowerCase()) await this.assertNameFree(tx, caller, patch.name);
      await tx('datasets')
        .where({ id, ad_account_id: caller.adAccountId })
        .update({ ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.description !== undefined ? { description: patch.description } : {}), updated_at: tx.fn.now() });
      const after = await this.load(tx, caller, id);
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'dataset', resourceId: id, before, after });
      return after;
    });
  }

  /** One-way. The schema must be enabled for profile first (as in Adobe). */
  async enableProfile(caller: Caller, id: string, input: { enabled?: boolean } = {}): Promise<Dataset> {
    if (input.enabled === false) throw ruleError('/enabled', 'one-way', 'Enable-for-profile is one-way: a dataset cannot be disabled for profile; delete it instead');
    return this.db.transaction(async (tx) => {
      const before = await this.load(tx, caller, id, true);
      if (before.profileEnabled) return before;
      const schema = await this.schemas.getSummary(caller, before.schemaId);
      if (!schema.profileEnabled) {
        throw ruleError('', 'schema-not-enabled', `Schema ${before.schemaId} is not enabled for profile; enable it first (POST /v1/schemas/${before.schemaId}/enable-profile)`);
      }
      await tx('datasets').where({ id }).update({ profile_enabled: true, profile_enabled_at: this.clock.now(), updated_at: tx.fn.now() });
      const after = await this.load(tx, caller, id);
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'dataset', resourceId: id, before, after });
      return after;
    });
  }

  async setLabels(caller: Caller, id: string, labels: string[]): Promise<Dataset> {
    return this.db.transaction(async (tx) => {
      const before = await this.load(tx, caller, id, true);
      await this.governance.setDatasetLabels(caller, id, labels, tx);
      return { ...before, labels: await this.governance.labelsOfDataset(caller, id, tx) };
    });
  }

  /** Removes the dataset's records, batches, row errors, staging tables and labels. */
  async delete(caller: Caller, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const before = await this.load(tx, caller, id, true);
      await this.dropEverything(tx, caller, before);
      await tx('dataset_expirations').where({ dataset_id: id, status: 'pending' }).update({ status: 'cancelled', updated_at: tx.fn.now() });
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'dataset', resourceId: id, before });
    });
  }

  // ---- expiration ------------------------------------------------------------------------------

  async getExpiration(caller: Caller, id: string): Promise<DatasetExpiration> {
    await this.load(this.db, caller, id);
    const row = await this.openExpiration(this.db, id);
    if (!row) throw new NotFound(`Dataset ${id} has no pending expiration`);
    return toExpiration(row);
  }

  async listExpirations(caller: Caller, query: { status?: ExpirationStatus } = {}): Promise<DatasetExpiration[]> {
    const q = this.db<ExpirationRow>('dataset_expirations').where('ad_account_id', caller.adAccountId);
    if (query.status) q.where('status', query.status);
    return (await q.orderBy('expires_at')).map(toExpiration);
  }

  async setExpiration(caller: Caller, id: string, input: { expiresAt: string }): Promise<DatasetExpiration> {
    const at = new Date(input.expiresAt);
    if (Number.isNaN(at.getTime())) throw ruleError('/expiresAt', 'date-time', 'expiresAt must be an ISO 8601 date-time');
    if (at.getTime() - this.clock.now().getTime() < MIN_EXPIRATION_LEAD_MS) {
      throw ruleError('/expiresAt', 'min-lead-time', `expiresAt must be at least 24 hours in the future (after ${new Date(this.clock.now().getTime() + MIN_EXPIRATION_LEAD_MS).toISOString()})`);
    }
    return this.db.transaction(async (tx) => {
      const dataset = await this.load(tx, caller, id, true);
      const open = await this.openExpiration(tx, id);
      if (open) {
        throw new Conflict(`Dataset ${id} already has an expiration (${open.status}, ${open.expires_at.toISOString()}); cancel it first (DELETE /v1/datasets/${id}/expiration)`);
      }
      const [row] = await tx<ExpirationRow>('dataset_expirations')
        .insert({ id: newId('exp'), ad_account_id: caller.adAccountId, dataset_id: id, dataset_name: dataset.name, expires_at: at, status: 'pending', created_by: caller.keyId })
        .returning('*');
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'dataset_expiration', resourceId: row.id, after: toExpiration(row) });
      return toExpiration(row);
    });
  }

  /** Only a pending expiration can be cancelled. */
  async cancelExpiration(caller: Caller, id: string): Promise<DatasetExpiration> {
    return this.db.transaction(async (tx) => {
      await this.load(tx, caller, id, true);
      const open = await this.openExpiration(tx, id, true);
      if (!open) throw new NotFound(`Dataset ${id} has no pending expiration`);
      if (open.status !== 'pending') throw new Conflict(`The expiration of dataset ${id} is ${open.status}; only a pending expiration can be cancelled`);
      const [row] = await tx<ExpirationRow>('dataset_expirations').where({ id: open.id }).update({ status: 'cancelled', updated_at: tx.fn.now() }).returning('*');
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'dataset_expiration', resourceId: row.id, before: toExpiration(open), after: toExpiration(row) });
      return toExpiration(row);
    });
  }

  /**
   * Executes due expirations (the scheduled job calls this every minute). Each one is claimed with
   * SKIP LOCKED, so several workers never delete the same dataset twice; an expiration left
   * `executing` by a crashed worker is picked up again and finishes idempotently.
   */
  async runDueExpirations(): Promise<number> {
    return drainDue<ExpirationRow, void>(
      this.db,
      () => this.clock.now(),
      {
        table: 'dataset_expirations',
        due: 'expires_at',
        where: (q) => q.whereIn('status', ['pending', 'executing']),
        key: (row) => ({ id: row.id }),
        advance: () => ({ status: 'executing', updated_at: this.db.fn.now() }),
        orderBy: 'expires_at',
      },
      async () => true,
      async (tx, row) => {
        const dataset = await tx<DatasetRow>('datasets').where({ id: row.dataset_id }).forUpdate().first();
        const system = systemCaller(row.ad_account_id, 'admin', 'expiration');
        if (dataset) {
          const before = await this.toDataset(tx, system, dataset);
          await this.dropEverything(tx, system, before);
          await this.audit.record(tx, system, { action: 'delete', resourceType: 'dataset', resourceId: dataset.id, before });
        }
        await tx('dataset_expirations').where({ id: row.id }).update({ status: 'completed', completed_at: this.clock.now(), updated_at: tx.fn.now() });
      },
    );
  }

  // ---- for ingestion and profiles --------------------------------------------------------------

  /**
   * The dataset's storage as it is: its stored columns (a field the schema gained since the last
   * batch has none yet), the schema's fields and the primary identity's column. Never writes. A
   * field whose type changed is refused: its stored values would no longer fit.
   */
  async storage(caller: Caller, id: string, q: Queryable = this.db): Promise<DatasetStorage> {
    return (await this.storagePlan(q, caller, id)).storage;
  }

  /**
   * The write: adds columns for the fields the schema gained since (additive schema evolution),
   * then answers as storage() does. A new batch calls it, so the batch stages every field.
   */
  async extendStorage(caller: Caller, id: string, q: Queryable = this.db): Promise<DatasetStorage> {
    const { storage, added } = await this.storagePlan(q, caller, id);
    if (added.length === 0) return storage;
    await inTransaction(q, async (tx) => {
      await tx.raw(addColumnsSql(storage.dataset.table_name, added));
      await this.saveColumns(tx, storage.dataset.ad_account_id, id, added, storage.columns.length);
    });
    return toStorage(storage.dataset, storage.fields, [...storage.columns, ...added]);
  }

  /** Row of a dataset of the caller's account, or 404. */
  async findRow(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<DatasetRow> {
    const query = q<DatasetRow>('datasets').where({ id, ad_account_id: caller.adAccountId });
    if (forUpdate) query.forUpdate();
    const row = await query.first();
    if (!row) throw new NotFound(`Dataset ${id} not found`);
    return row;
  }

  async columnsOf(q: Queryable, id: string): Promise<StoredColumn[]> {
    const rows = await q('dataset_columns').where({ dataset_id: id }).orderBy('position');
    return rows.map((r: { field_path: string; column_name: string; column_type: string; value_kind: StoredColumn['kind']; system: boolean }) => ({
      fieldPath: r.field_path,
      columnName: r.column_name,
      columnType: r.column_type,
      kind: r.value_kind,
      system: r.system,
    }));
  }

  /** For schemas.onDelete: a schema with datasets cannot be deleted, its datasets would lose their definition. */
  async assertSchemaUnused(q: Queryable, caller: Caller, schemaId: string): Promise<void> {
    const used = await q('datasets').where({ ad_account_id: caller.adAccountId, schema_id: schemaId }).select('id');
    if (used.length > 0) throw new Conflict(`Schema ${schemaId} is used by datasets ${used.map((d: { id: string }) => d.id).join(', ')}; delete them first`);
  }

  /** Profile-enabled datasets of the account (optionally of one class kind). */
  async profileDatasets(caller: Caller, kind?: 'prospect' | 'first_party'): Promise<DatasetRow[]> {
    const q = this.db<DatasetRow>('datasets').where({ ad_account_id: caller.adAccountId, profile_enabled: true });
    if (kind) q.where('class_kind', kind);
    return q.orderBy('id');
  }

  // ---- internals -------------------------------------------------------------------------------

  private async dropEverything(tx: Tx, caller: Caller, dataset: Dataset): Promise<void> {
    for (const hook of this.deleteHooks) await hook(tx, caller, dataset.id);
    await tx.raw(`drop table ${qualifiedData(dataTable(dataset.id))}`);
    await this.governance.forgetDatasetLabels(tx, caller, dataset.id);
    await tx('datasets').where({ id: dataset.id }).delete(); // cascades to dataset_columns
  }

  /** The stored columns against the schema's fields now: the storage as stored, and the columns to add. */
  private async storagePlan(q: Queryable, caller: Caller, id: string): Promise<{ storage: DatasetStorage; added: StoredColumn[] }> {
    const dataset = await this.findRow(q, caller, id);
    const fields = await this.schemas.leafFields(caller, dataset.schema_id);
    const columns = await this.columnsOf(q, id);
    const planned = planColumns(fields, columns);
    for (const field of fields) {
      const stored = columns.find((c) => c.fieldPath === field.path);
      const wanted = planColumns([field])[0];
      if (stored && stored.columnType !== wanted.columnType) {
        throw new UnprocessableRequest(
          `Field ${field.path} of schema ${dataset.schema_id} is now ${wanted.columnType} but dataset ${id} stores ${stored.columnType}; create a new dataset for the changed schema`,
        );
      }
    }
    return { storage: toStorage(dataset, fields, columns), added: planned.slice(columns.length) };
  }

  private async saveColumns(tx: Tx, adAccountId: string, id: string, columns: readonly StoredColumn[], offset = 0): Promise<void> {
    if (columns.length === 0) return;
    await tx('dataset_columns').insert(
      columns.map((c, i) => ({
        dataset_id: id,
        ad_account_id: adAccountId,
        position: offset + i + 1,
        field_path: c.fieldPath,
        column_name: c.columnName,
        column_type: c.columnType,
        value_kind: c.kind,
        system: c.system,
      })),
    );
  }

  private async openExpiration(q: Queryable, datasetId: string, forUpdate = false): Promise<ExpirationRow | undefined> {
    const query = q<ExpirationRow>('dataset_expirations').where({ dataset_id: datasetId }).whereIn('status', ['pending', 'executing']);
    if (forUpdate) query.forUpdate();
    return query.first();
  }

  private async assertNameFree(q: Queryable, caller: Caller, name: string): Promise<void> {
    const clash = await q('datasets').where({ ad_account_id: caller.adAccountId }).whereRaw('lower(name) = lower(?)', [name]).first();
    if (clash) throw new Duplicate(`A dataset named "${name}" already exists`, { errors: [{ pointer: '/name', rule: 'unique', message: 'is already used by another dataset' }] });
  }

  private async load(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<Dataset> {
    return this.toDataset(q, caller, await this.findRow(q, caller, id, forUpdate));
  }

  private async toDataset(q: Queryable, caller: Caller, r: DatasetRow): Promise<Dataset> {
    const t = qualifiedData(r.table_name);
    // Records and batches come from the batch ledger (no scan of a large table); current records
    // are counted on the partial unique index of current rows (an index-only scan).
    const ledger = this.batchCounts(r.id);
    const [counts] = (
      await q.raw(`select l.records, l.batches, (select count(*) from ${t} where ${ident(SYS.current)})::bigint as current from (${ledger.sql}) l`, [...ledger.bindings])
    ).rows;
    const expiration = await this.openExpiration(q, r.id);
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      schemaId: r.schema_id,
      classKind: r.class_kind,
      primaryIdentity: { fieldPath: r.primary_field, namespaceId: r.primary_namespace_id },
      profileEnabled: r.profile_enabled,
      profileEnabledAt: r.profile_enabled_at?.toISOString() ?? null,
      labels: await this.governance.labelsOfDataset(caller, r.id, q),
      table: `cdp_data.${r.table_name}`,
      counts: { records: Number(counts.records), currentRecords: Number(counts.current), batches: Number(counts.batches) },
      expiration: expiration ? toExpiration(expiration) : null,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    };
  }
}

/** The primary identity always has its column: it is stored from the dataset's creation. */
function toStorage(dataset: DatasetRow, fields: SchemaField[], columns: StoredColumn[]): DatasetStorage {
  const primaryColumn = columns.find((c) => c.fieldPath === dataset.primary_field)?.columnName;
  if (!primaryColumn) throw new Error(`dataset ${dataset.id}: primary field ${dataset.primary_field} has no column`);
  return { dataset, columns, fields, primaryColumn };
}
