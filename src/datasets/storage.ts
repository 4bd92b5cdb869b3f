/**
 * Physical layout of datasets (pure SQL builders, like pg-boss plans.ts: every statement is a
 * function of its inputs, identifiers always through ident()).
 *
 * Each dataset owns one table `cdp_data."ds_<id>"`: one typed column per schema leaf field plus
 * bookkeeping columns prefixed `_cdp_`. Third-party data never shares a table with first-party data,
 * dropping a dataset is one DROP TABLE, and audience rules compile to plain predicates over typed,
 * indexable columns of a narrow table instead of JSON lookups.
 *
 * Each record stays as loaded (the table is the dataset's record log); `_cdp_current` marks the
 * latest record per identity (last batch wins, then last row of that batch), and `_cdp_profile`
 * whether it was loaded while the dataset was enabled for profile.
 */
import { ident, identPath, literal } from '../core/sql';
import type { SchemaField } from '../schemas/service';

export const DATA_SCHEMA = 'cdp_data';
export const STAGING_SCHEMA = 'cdp_staging';

/** Bookkeeping columns of every dataset table. */
export const SYS = {
  /** The ad account, a constant default: the distribution column under Citus (docs/citus.md). */
  account: '_cdp_account',
  rid: '_cdp_rid',
  part: '_cdp_part',
  batch: '_cdp_batch_id',
  seq: '_cdp_batch_seq',
  file: '_cdp_file',
  row: '_cdp_row',
  identity: '_cdp_identity',
  current: '_cdp_current',
  profile: '_cdp_profile',
  loadedAt: '_cdp_loaded_at',
} as const;

/** Parser value kinds (src/ingestion/records/types.ts ColumnPlan.type). */
export type ValueKind = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'date-time' | 'string[]' | 'json';

export interface StoredColumn {
  fieldPath: string;
  columnName: string;
  /** PostgreSQL type. */
  columnType: string;
  kind: ValueKind;
  system: boolean;
}

const INTEGER_TYPES: Record<string, string> = { long: 'bigint', int: 'integer', short: 'smallint', byte: 'smallint' };

/** XDM ranges (anchors §2) the parser enforces before PostgreSQL would. */
export const XDM_INTEGER_RANGES: Record<string, [number, number]> = {
  long: [-9007199254740991, 9007199254740991],
  int: [-2147483648, 2147483648],
  short: [-32768, 32768],
  byte: [-128, 128],
};

export function kindOf(field: Pick<SchemaField, 'type' | 'format' | 'itemType'>): ValueKind {
  switch (field.type) {
    case 'string':
      return field.format === 'date' ? 'date' : field.format === 'date-time' ? 'date-time' : 'string';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return field.itemType === 'string' ? 'string[]' : 'json';
    default:
      return 'json';
  }
}

export function pgTypeOf(field: Pick<SchemaField, 'type' | 'format' | 'itemType' | 'xdmType'>): string {
  const kind = kindOf(field);
  switch (kind) {
    case 'string':
      return 'text';
    case 'integer':
      // Oversized XDM ranges (int ±2147483648 includes one value past int4) get the next wider type.
      return field.xdmType === 'int' ? 'bigint' : field.xdmType === 'short' || field.xdmType === 'byte' ? 'integer' : INTEGER_TYPES.long;
    case 'number':
      return 'double precision';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'date-time':
      return 'timestamptz';
    case 'string[]':
      return 'text[]';
    default:
      return 'jsonb';
  }
}

const SIMPLE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * Readable column names (`homeAddress.city` → `homeAddress__city`) so hand-written SQL and EXPLAIN
 * stay legible; anything too long, odd or colliding gets `f_<position>`.
 */
export function planColumns(fields: readonly SchemaField[], existing: readonly StoredColumn[] = []): StoredColumn[] {
  const byPath = new Map(existing.map((c) => [c.fieldPath, c]));
  const taken = new Set(existing.map((c) => c.columnName.toLowerCase()));
  const out: StoredColumn[] = [...existing];
  for (const field of fields) {
    if (byPath.has(field.path)) continue;
    let name = field.path.replace(/\./g, '__');
    const leadingUnderscore = name.startsWith('_');
    if (leadingUnderscore) name = `x${name}`; // `_id` → `x_id`: keeps `_cdp_*` ours alone
    if (!SIMPLE_NAME.test(name) || Buffer.byteLength(name) > 60 || taken.has(name.toLowerCase())) name = `f_${out.length + 1}`;
    taken.add(name.toLowerCase());
    out.push({ fieldPath: field.path, columnName: name, columnType: pgTypeOf(field), kind: kindOf(field), system: field.system });
  }
  return out;
}

export function dataTable(datasetId: string): string {
  return `ds_${datasetId.replace(/^ds_/, '')}`;
}

export function stagingTable(batchId: string): string {
  return `b_${batchId.replace(/^batch_/, '')}`;
}

export function qualifiedData(table: string): string {
  return identPath(DATA_SCHEMA, table);
}

export function qualifiedStaging(table: string): string {
  return identPath(STAGING_SCHEMA, table);
}

/**
 * The dataset's table is partitioned by `_cdp_part` (RANGE, one value per partition): partition 0
 * holds the batches merged row by row (small ones), and a large batch's own table — COPYed into
 * and indexed once — becomes a partition when it completes (attachBatchSql). Nothing unique spans
 * partitions (PostgreSQL requires the partition key in every unique index): one current record
 * per identity is kept by the merges, which the dataset row's lock serialises. A batch's rows are
 * found by partition and batch id (batchRowsSql): only partition 0 indexes the batch id.
 */
export const MAIN_PART = 0;

function ridSequence(table: string): string {
  return identPath(DATA_SCHEMA, `${table}_rid_seq`);
}

/**
 * The parent's indexes, which every partition must hold in the same form (attach reuses them).
 * None on the row id: no reader finds a record by it (re-marking goes through the identity index),
 * and its build was a sixth of a large batch's completion.
 */
function dataIndexes(table: string): { name: string; on: string }[] {
  const [identity, current] = [ident(SYS.identity), ident(SYS.current)];
  return [
    { name: `${table}_identity`, on: `(${identity}, ${ident(SYS.seq)} desc, ${ident(SYS.rid)} desc)` },
    { name: `${table}_current`, on: `(${identity}) where ${current}` },
  ];
}

export function createDataTableSql(table: string, adAccountId: string, columns: readonly StoredColumn[]): string {
  const t = qualifiedData(table);
  const cols = columns.map((c) => `${ident(c.columnName)} ${c.columnType}`);
  const seq = ridSequence(table);
  return [
    `create sequence ${seq}`,
    `create table ${t} (
      ${ident(SYS.account)} text not null default ${literal(adAccountId)},
      ${ident(SYS.rid)} bigint not null default nextval('${seq.replace(/'/g, "''")}'::regclass),
      ${ident(SYS.part)} integer not null default ${MAIN_PART},
      ${ident(SYS.batch)} text not null,
      ${ident(SYS.seq)} bigint not null,
      ${ident(SYS.file)} integer not null,
      ${ident(SYS.row)} bigint not null,
      ${ident(SYS.identity)} text not null,
      ${ident(SYS.current)} boolean not null default false,
      ${ident(SYS.profile)} boolean not null default false,
      ${ident(SYS.loadedAt)} timestamptz not null default now()${cols.length ? ',\n      ' + cols.join(',\n      ') : ''}
    ) partition by range (${ident(SYS.part)})`,
    `alter sequence ${seq} owned by ${t}.${ident(SYS.rid)}`,
    `create table ${qualifiedData(mainPartition(table))} partition of ${t} for values from (${MAIN_PART}) to (${MAIN_PART + 1})`,
    ...dataIndexes(table).map((i) => `create index ${ident(i.name)} on ${t} ${i.on}`),
    // Partition 0 holds many batches; a batch's own partition needs no index to find its rows.
    `create index ${ident(`${mainPartition(table)}_batch`)} on ${qualifiedData(mainPartition(table))} (${ident(SYS.batch)})`,
  ].join(';\n');
}

export function mainPartition(table: string): string {
  return `${table}_p0`;
}

/** Where a batch's rows are (its partition, or partition 0 by batch id): the one way to address them. */
export function batchRowsSql(batch: { id: string; part: number }): { sql: string; bindings: [number, string] } {
  return { sql: `${ident(SYS.part)} = ? and ${ident(SYS.batch)} = ?`, bindings: [batch.part, batch.id] };
}

export function addColumnsSql(table: string, columns: readonly StoredColumn[]): string {
  return columns.map((c) => `alter table ${qualifiedData(table)} add column if not exists ${ident(c.columnName)} ${c.columnType}`).join(';\n');
}

/**
 * A batch's own table: what the parser produced (the loadable columns, file, row, the identity)
 * plus what partition `part` of dataset table `data` needs from the start — its rid sequence,
 * account, batch id and part as defaults, and the CHECK that lets ATTACH skip its validation scan. Each
 * row starts current; completing the batch un-marks the earlier rows of identities it repeats.
 * Logged, as the dataset is: a partition cannot be made logged later without writing it again.
 */
export function createStagingTableSql(
  table: string,
  data: { table: string; adAccountId: string },
  batchId: string,
  part: number,
  columns: readonly StoredColumn[],
): string {
  const cols = columns.filter((c) => !c.system).map((c) => `${ident(c.columnName)} ${c.columnType}`);
  const seq = ridSequence(data.table);
  const p = ident(SYS.part);
  return `create table ${qualifiedStaging(table)} (
    ${ident(SYS.account)} text not null default ${literal(data.adAccountId)},
    ${ident(SYS.rid)} bigint not null default nextval(${literal(seq)}::regclass),
    ${ident(SYS.batch)} text not null default ${literal(batchId)},
    ${p} integer not null default ${literal(part)} check (${p} >= ${literal(part)} and ${p} < ${literal(part + 1)}),
    ${ident(SYS.current)} boolean not null default true,
    ${ident(SYS.file)} integer not null,
    ${ident(SYS.row)} bigint not null,
    ${ident(SYS.identity)} text not null${cols.length ? ',\n    ' + cols.join(',\n    ') : ''}
  )`;
}

/**
 * COPY target list of a batch file's rows (src/ingestion/parse): file index, row, the loadable
 * columns, then the identity (last: a row is written as it is read, and its identity is known once
 * its columns are).
 */
export function copyIntoStagingSql(table: string, columns: readonly StoredColumn[], freeze: boolean): string {
  const cols = [SYS.file, SYS.row, ...columns.filter((c) => !c.system).map((c) => c.columnName), SYS.identity].map(ident).join(', ');
  return `copy ${qualifiedStaging(table)} (${cols}) from stdin${freeze ? ' (freeze)' : ''}`;
}

/** What the platform fills for system fields at merge time (knex bindings :batchId, :actor). */
function systemValue(c: StoredColumn): string {
  switch (c.fieldPath) {
    case '_repo.createDate':
    case '_repo.modifyDate':
      return 'now()';
    case 'createdByBatchID':
    case 'modifiedByBatchID':
      return ':batchId';
    case 'repositoryCreatedBy':
    case 'repositoryLastModifiedBy':
      return ':actor';
    default:
      return 'null';
  }
}

/** systemValue as a DDL constant (attachBatchSql adds system fields as columns with a default). */
function systemLiteral(c: StoredColumn, batchId: string, actor: string | null): string {
  const v = systemValue(c);
  return v === ':batchId' ? literal(batchId) : v === ':actor' ? literal(actor) : v;
}

/** Position of a row in the batch as one number (files < 2^31, rows per file < 2^32). */
function position(t: string): string {
  return `((${t}.${ident(SYS.file)}::bigint << 32) + ${t}.${ident(SYS.row)})`;
}

/** The identities a batch brings again: their current records elsewhere in the dataset stop being current. */
function unmarkEarlierSql(data: string, staging: string): string {
  return `update ${qualifiedData(data)} set ${ident(SYS.current)} = false where ${ident(SYS.current)} and ${ident(SYS.identity)} in (select ${ident(SYS.identity)} from ${qualifiedStaging(staging)})`;
}

/**
 * The row-by-row merge of a small batch into partition 0 (knex named bindings :batchId, :seq,
 * :profile, :actor). The batch's merge sequence is the dataset's highest, so its newest row per
 * identity becomes that identity's current record: first un-mark the current records of identities
 * the batch brings again, then insert the staging rows with `_cdp_current` already set on each
 * identity's last row (found by an equi-join on the identity, never a per-row rescan of staging).
 */
export function mergeBatchSql(data: string, staging: string, columns: readonly StoredColumn[]): string[] {
  const loadable = columns.filter((c) => !c.system);
  const system = columns.filter((c) => c.system);
  const targetCols = [SYS.batch, SYS.seq, SYS.file, SYS.row, SYS.identity, SYS.profile, SYS.current, ...loadable.map((c) => c.columnName), ...system.map((c) => c.columnName)].map(ident);
  const s = qualifiedStaging(staging);
  const id = ident(SYS.identity);
  const selectCols = [':batchId', ':seq', `s.${ident(SYS.file)}`, `s.${ident(SYS.row)}`, `s.${id}`, ':profile', `${position('s')} = l.last`, ...loadable.map((c) => `s.${ident(c.columnName)}`), ...system.map(systemValue)];
  return [
    // Staging was just filled by COPY: without statistics the planner guesses its size. Only the
    // identity column is joined on; analysing every column cost 14 % of a merge.
    `analyze ${s} (${id})`,
    unmarkEarlierSql(data, staging),
    `insert into ${qualifiedData(data)} (${targetCols.join(', ')}) select ${selectCols.join(', ')}
     from ${s} s join (select x.${id} as identity, max(${position('x')}) as last from ${s} x group by x.${id}) l on l.identity = s.${id}`,
  ];
}

/**
 * A large batch's table becomes partition `part` of the dataset, in the completing transaction:
 * the columns fixed at completion are added with a constant default (no rewrite: PostgreSQL keeps
 * the value in the catalog for existing rows), as are fields the schema gained while it loaded;
 * the earlier rows of identities the batch repeats stop being current; the parent's indexes are
 * built once over the loaded rows (sorted, not row by row) so ATTACH reuses them, and its CHECK
 * constraint spares ATTACH the validation scan. The partition's statistics are left to autovacuum,
 * as partition 0's are (a full ANALYZE of 23 columns was a quarter of a completion).
 */
export function attachBatchSql(
  data: string,
  staging: string,
  part: number,
  columns: readonly StoredColumn[],
  missing: readonly StoredColumn[],
  fixed: { batchId: string; seq: number; profile: boolean; actor: string | null },
): string[] {
  const s = qualifiedStaging(staging);
  const id = ident(SYS.identity);
  const add = (name: string, type: string, value: string) => `alter table ${s} add column ${ident(name)} ${type} not null default ${value}`;
  return [
    // Sorting for the index builds in memory rather than in temporary files (the default is 64 MB).
    `set local maintenance_work_mem = '256MB'`,
    add(SYS.seq, 'bigint', literal(fixed.seq)),
    add(SYS.profile, 'boolean', literal(fixed.profile)),
    add(SYS.loadedAt, 'timestamptz', 'now()'),
    ...columns.filter((c) => c.system).map((c) => `alter table ${s} add column ${ident(c.columnName)} ${c.columnType} default ${systemLiteral(c, fixed.batchId, fixed.actor)}`),
    ...missing.map((c) => `alter table ${s} add column ${ident(c.columnName)} ${c.columnType}`),
    // Indexes first: the frozen table's identity index then answers which identities recur by
    // an ordered index-only scan instead of a hash of every identity.
    ...dataIndexes(staging).map((i) => `create index ${ident(i.name)} on ${s} ${i.on}`),
    `analyze ${s} (${id})`,
    // Within the batch the last row of an identity wins; most identities come once, so only the
    // few rows of identities that recur are written again.
    `update ${s} t set ${ident(SYS.current)} = false from (
       select x.${id} as identity, max(${position('x')}) as last from ${s} x
       where x.${id} in (select y.${id} from ${s} y group by y.${id} having count(*) > 1) group by x.${id}
     ) d where t.${id} = d.identity and ${position('t')} <> d.last`,
    unmarkEarlierSql(data, staging),
    `alter table ${s} set schema ${ident(DATA_SCHEMA)}`,
    `alter table ${qualifiedData(data)} attach partition ${qualifiedData(staging)} for values from (${literal(part)}) to (${literal(part + 1)})`,
  ];
}

/**
 * Re-mark the newest record per identity for the identities the subquery yields. Two statements,
 * in this order, because the partial unique index allows one current record per identity at all
 * times.
 */
export function refreshCurrentSql(data: string, identitiesSubquery: string): string[] {
  const d = qualifiedData(data);
  const id = ident(SYS.identity);
  const key = [SYS.seq, SYS.file, SYS.row].map(ident);
  return [
    `update ${d} set ${ident(SYS.current)} = false where ${ident(SYS.current)} and ${id} in (${identitiesSubquery})`,
    // A record is named by its identity, batch sequence, file and row: found on the identity index.
    `update ${d} t set ${ident(SYS.current)} = true from (
      select distinct on (${id}) ${id} as identity, ${key.join(', ')} from ${d}
      where ${id} in (${identitiesSubquery})
      order by ${id}, ${key.map((k) => `${k} desc`).join(', ')}
    ) n where t.${id} = n.identity and ${key.map((k) => `t.${k} = n.${k}`).join(' and ')}`,
  ];
}
