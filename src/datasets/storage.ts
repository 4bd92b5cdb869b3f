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
import { ident, identPath } from '../core/sql';
import type { SchemaField } from '../schemas/service';

export const DATA_SCHEMA = 'cdp_data';
export const STAGING_SCHEMA = 'cdp_staging';

/** Bookkeeping columns of every dataset table. */
export const SYS = {
  rid: '_cdp_rid',
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

export function createDataTableSql(table: string, columns: readonly StoredColumn[]): string {
  const t = qualifiedData(table);
  const cols = columns.map((c) => `${ident(c.columnName)} ${c.columnType}`);
  const indexName = (suffix: string) => ident(`${table}_${suffix}`);
  return [
    `create table ${t} (
      ${ident(SYS.rid)} bigint generated always as identity primary key,
      ${ident(SYS.batch)} text not null,
      ${ident(SYS.seq)} bigint not null,
      ${ident(SYS.file)} integer not null,
      ${ident(SYS.row)} bigint not null,
      ${ident(SYS.identity)} text not null,
      ${ident(SYS.current)} boolean not null default false,
      ${ident(SYS.profile)} boolean not null default false,
      ${ident(SYS.loadedAt)} timestamptz not null default now()${cols.length ? ',\n      ' + cols.join(',\n      ') : ''}
    )`,
    `create index ${indexName('batch')} on ${t} (${ident(SYS.batch)})`,
    `create index ${indexName('identity')} on ${t} (${ident(SYS.identity)}, ${ident(SYS.seq)} desc, ${ident(SYS.rid)} desc)`,
    `create unique index ${indexName('current')} on ${t} (${ident(SYS.identity)}) where ${ident(SYS.current)}`,
  ].join(';\n');
}

export function addColumnsSql(table: string, columns: readonly StoredColumn[]): string {
  return columns.map((c) => `alter table ${qualifiedData(table)} add column if not exists ${ident(c.columnName)} ${c.columnType}`).join(';\n');
}

/** Staging holds what the parser produced: the loadable (non-system) columns plus file and row. */
export function createStagingTableSql(table: string, columns: readonly StoredColumn[]): string {
  const cols = columns.filter((c) => !c.system).map((c) => `${ident(c.columnName)} ${c.columnType}`);
  return `create unlogged table ${qualifiedStaging(table)} (
    ${ident(SYS.file)} integer not null,
    ${ident(SYS.row)} bigint not null${cols.length ? ',\n    ' + cols.join(',\n    ') : ''}
  )`;
}

/** COPY target list matching copyTextLine(values) of a file: file index, row, then loadable columns. */
export function copyIntoStagingSql(table: string, columns: readonly StoredColumn[]): string {
  const cols = [SYS.file, SYS.row, ...columns.filter((c) => !c.system).map((c) => c.columnName)].map(ident).join(', ');
  return `copy ${qualifiedStaging(table)} (${cols}) from stdin`;
}

/** What the platform fills for system fields at merge time (bindings: batch id, actor). */
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

/**
 * The one set-based merge of a batch (knex named bindings :batchId, :seq, :profile, :actor).
 * The batch's merge sequence is the dataset's highest, so its newest row per identity becomes that
 * identity's current record: first un-mark the current records of identities the batch brings
 * again, then insert the staging rows with `_cdp_current` already set on each identity's last row.
 * (Marking them with an UPDATE after the insert wrote every row twice: 43 % of a merge.)
 */
export function mergeBatchSql(data: string, staging: string, columns: readonly StoredColumn[], primaryColumn: string): string[] {
  const loadable = columns.filter((c) => !c.system);
  const system = columns.filter((c) => c.system);
  const targetCols = [SYS.batch, SYS.seq, SYS.file, SYS.row, SYS.identity, SYS.profile, SYS.current, ...loadable.map((c) => c.columnName), ...system.map((c) => c.columnName)].map(ident);
  const s = qualifiedStaging(staging);
  const [p, file, row] = [ident(primaryColumn), ident(SYS.file), ident(SYS.row)];
  // Position of a row in the batch as one number (files < 2^31, rows per file < 2^32): the last row
  // of each identity is the one at its identity's highest position. An equi-join on the identity
  // (hash or merge, never a per-row rescan of staging) finds it.
  const position = (t: string) => `((${t}.${file}::bigint << 32) + ${t}.${row})`;
  const selectCols = [':batchId', ':seq', `s.${file}`, `s.${row}`, `s.${p}`, ':profile', `${position('s')} = l.last`, ...loadable.map((c) => `s.${ident(c.columnName)}`), ...system.map(systemValue)];
  const d = qualifiedData(data);
  return [
    // Staging was just filled by COPY: without statistics the planner guesses its size. Only the
    // identity column is joined on; analysing every column cost 14 % of a merge.
    `analyze ${s} (${p})`,
    `update ${d} set ${ident(SYS.current)} = false where ${ident(SYS.current)} and ${ident(SYS.identity)} in (select ${p} from ${s})`,
    `insert into ${d} (${targetCols.join(', ')}) select ${selectCols.join(', ')}
     from ${s} s join (select x.${p} as identity, max(${position('x')}) as last from ${s} x group by x.${p}) l on l.identity = s.${p}`,
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
  return [
    `update ${d} set ${ident(SYS.current)} = false where ${ident(SYS.current)} and ${id} in (${identitiesSubquery})`,
    `update ${d} set ${ident(SYS.current)} = true where ${ident(SYS.rid)} in (
      select distinct on (${id}) ${ident(SYS.rid)} from ${d}
      where ${id} in (${identitiesSubquery})
      order by ${id}, ${ident(SYS.seq)} desc, ${ident(SYS.file)} desc, ${ident(SYS.row)} desc
    )`,
  ];
}
