import type { Knex } from 'knex';
import { ident, identPath, literal } from '../src/core/sql';

/**
 * Citus-ready keys for the ad account's data (docs/citus.md): every table of the account group
 * carries ad_account_id, and every primary key, unique constraint, unique index and foreign key
 * between two of them includes it — Citus enforces uniqueness and references only within a shard.
 *
 * - Tables whose rows belonged to an account only through a parent gain the column, filled from
 *   the parent. Rows without a parent (tables with no foreign key: snapshots, upload entries,
 *   scratch scores, multipart uploads of deleted runs) are unreachable and are dropped.
 * - ad_account_id is appended to every key that lacks it: (id) becomes (id, ad_account_id), so
 *   every lookup by id alone still uses the same index. Ids are generated (random), so no two
 *   rows shared one before; nothing the API accepts or refuses changes.
 * - Foreign keys between account tables become (x_id, ad_account_id) → parent (id, ad_account_id),
 *   with the same ON DELETE.
 * - Each dataset table (cdp_data, partitioned) and each staging table of a batch still loading
 *   gains `_cdp_account`, a constant default (no rewrite: PostgreSQL keeps the value in the catalog).
 *
 * The table lists are frozen here, as of this migration; migrations/distribution.ts declares the
 * placement of every table, later ones included.
 */
const ACCOUNT_TABLES = [
  'activation_run_uploads', 'activation_runs', 'activation_target_members', 'activations', 'ad_group_targeting', 'ad_groups',
  'ad_response_sources', 'ad_response_targets', 'audience_evaluations', 'audience_members', 'audiences', 'audit_log', 'batch_files',
  'batch_row_errors', 'batches', 'campaigns', 'connections', 'custom_labels', 'dataflow_files', 'dataflow_runs', 'dataflows',
  'dataset_columns', 'dataset_expirations', 'datasets', 'destinations', 'field_groups', 'identity_descriptors', 'label_assignments',
  'lookalike_members', 'lookalike_scores', 'lookalikes', 'marketing_actions', 'mat_link_codes', 'mat_links', 'mat_postback_ids',
  'mat_postbacks', 'mat_received', 'messages', 'namespaces', 'pixel_targets', 'policies', 'populations', 'reactions', 'schemas',
  'talk_channel_friends', 'talk_channels', 'target_upload_entries', 'target_upload_failures', 'target_uploads', 'targets',
  'universe_identities', 'universe_inbox', 'universe_people', 'universe_state',
];

/** Tables that gain ad_account_id: `column` names the `parent` row (by `parentKey`) it is taken from. */
const FILLED: { table: string; column: string; parent: string; parentKey: string }[] = [
  { table: 'dataset_columns', column: 'dataset_id', parent: 'datasets', parentKey: 'id' },
  { table: 'batch_files', column: 'batch_id', parent: 'batches', parentKey: 'id' },
  { table: 'batch_row_errors', column: 'batch_id', parent: 'batches', parentKey: 'id' },
  { table: 'dataflow_files', column: 'dataflow_id', parent: 'dataflows', parentKey: 'id' },
  { table: 'audience_members', column: 'evaluation_id', parent: 'audience_evaluations', parentKey: 'id' },
  { table: 'activation_target_members', column: 'run_id', parent: 'activation_runs', parentKey: 'id' },
  { table: 'activation_run_uploads', column: 'run_id', parent: 'activation_runs', parentKey: 'id' },
  { table: 'target_upload_entries', column: 'upload_id', parent: 'target_uploads', parentKey: 'id' },
  { table: 'target_upload_failures', column: 'upload_id', parent: 'target_uploads', parentKey: 'id' },
  { table: 'talk_channel_friends', column: 'channel_id', parent: 'talk_channels', parentKey: 'id' },
  { table: 'lookalike_members', column: 'target_id', parent: 'lookalikes', parentKey: 'target_id' },
  { table: 'lookalike_scores', column: 'target_id', parent: 'lookalikes', parentKey: 'target_id' },
  { table: 'mat_postbacks', column: 'link_code_id', parent: 'mat_link_codes', parentKey: 'id' },
  { table: 'mat_received', column: 'link_code_id', parent: 'mat_link_codes', parentKey: 'id' },
  { table: 'mat_postback_ids', column: 'link_code_id', parent: 'mat_link_codes', parentKey: 'id' },
];

/** Unique indexes that are not constraints (partial or on expressions), rebuilt with ad_account_id. */
const UNIQUE_INDEXES: { name: string; table: string; on: string }[] = [
  { name: 'identity_descriptors_one_primary', table: 'identity_descriptors', on: '(schema_id, ad_account_id) where is_primary' },
  { name: 'dataset_expirations_one_open', table: 'dataset_expirations', on: `(dataset_id, ad_account_id) where status in ('pending','executing')` },
  { name: 'ad_groups_campaign_name', table: 'ad_groups', on: '(campaign_id, lower(name), ad_account_id)' },
  { name: 'messages_ad_group_name', table: 'messages', on: '(ad_group_id, lower(name), ad_account_id)' },
];

const ON_DELETE: Record<string, string> = { a: 'no action', r: 'restrict', c: 'cascade' };

interface ForeignKey {
  name: string;
  table: string;
  columns: string[];
  parent: string;
  parentColumns: string[];
  onDelete: string;
}

export async function up(knex: Knex): Promise<void> {
  for (const f of FILLED) {
    const t = ident(f.table);
    await knex.raw(`alter table ${t} add column ad_account_id text`);
    await knex.raw(`update ${t} c set ad_account_id = p.ad_account_id from ${ident(f.parent)} p where p.${ident(f.parentKey)} = c.${ident(f.column)}`);
    await knex.raw(`delete from ${t} where ad_account_id is null`);
    await knex.raw(`alter table ${t} alter column ad_account_id set not null`);
  }

  // Foreign keys between account tables go first (they hold on to the keys rebuilt below).
  const fks: ForeignKey[] = (
    await knex.raw(
      `select c.conname as name, t.relname as table, p.relname as parent, c.confdeltype as on_delete,
         array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i) as columns,
         array(select a.attname::text from unnest(c.confkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i) as parent_columns
       from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_class p on p.oid = c.confrelid
       where c.contype = 'f' and t.relnamespace = 'public'::regnamespace and t.relname = any(?) and p.relname = any(?)
       order by 1`,
      [ACCOUNT_TABLES, ACCOUNT_TABLES],
    )
  ).rows.map((r: { name: string; table: string; parent: string; on_delete: string; columns: string[]; parent_columns: string[] }) => {
    const onDelete = ON_DELETE[r.on_delete];
    if (!onDelete) throw new Error(`foreign key ${r.name}: ON DELETE ${r.on_delete} is not carried over by this migration`);
    return { name: r.name, table: r.table, columns: r.columns, parent: r.parent, parentColumns: r.parent_columns, onDelete };
  });
  for (const fk of fks) await knex.raw(`alter table ${ident(fk.table)} drop constraint ${ident(fk.name)}`);

  // Primary keys and unique constraints: ad_account_id appended where it is missing.
  const keys: { name: string; table: string; kind: string; columns: string[] }[] = (
    await knex.raw(
      `select c.conname as name, t.relname as table, c.contype as kind,
         array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i) as columns
       from pg_constraint c join pg_class t on t.oid = c.conrelid
       where c.contype in ('p', 'u') and t.relnamespace = 'public'::regnamespace and t.relname = any(?)
       order by 1`,
      [ACCOUNT_TABLES],
    )
  ).rows;
  for (const k of keys.filter((k) => !k.columns.includes('ad_account_id'))) {
    const kind = k.kind === 'p' ? 'primary key' : 'unique';
    const columns = [...k.columns, 'ad_account_id'].map(ident).join(', ');
    await knex.raw(`alter table ${ident(k.table)} drop constraint ${ident(k.name)}, add constraint ${ident(k.name)} ${kind} (${columns})`);
  }
  for (const i of UNIQUE_INDEXES) {
    await knex.raw(`drop index ${ident(i.name)}`);
    await knex.raw(`create unique index ${ident(i.name)} on ${ident(i.table)} ${i.on}`);
  }

  for (const fk of fks) {
    const columns = [...fk.columns, 'ad_account_id'].map(ident).join(', ');
    const parentColumns = [...fk.parentColumns, 'ad_account_id'].map(ident).join(', ');
    await knex.raw(
      `alter table ${ident(fk.table)} add constraint ${ident(fk.name)} foreign key (${columns}) references ${ident(fk.parent)} (${parentColumns}) on delete ${fk.onDelete}`,
    );
  }

  // Dataset tables (partitioned: the parent's column reaches every partition) and the staging
  // tables of batches still loading, which become partitions when they complete.
  const datasets: { table_name: string; ad_account_id: string }[] = await knex('datasets').select('table_name', 'ad_account_id');
  for (const d of datasets) await addAccountColumn(knex, 'cdp_data', d.table_name, d.ad_account_id);
  const staging: { relname: string; ad_account_id: string }[] = (
    await knex.raw(
      `select c.relname, b.ad_account_id from pg_class c join batches b on 'b_' || regexp_replace(b.id, '^batch_', '') = c.relname
       where c.relnamespace = 'cdp_staging'::regnamespace and c.relkind = 'r'`,
    )
  ).rows;
  for (const s of staging) await addAccountColumn(knex, 'cdp_staging', s.relname, s.ad_account_id);
}

/** A dataset or staging table's `_cdp_account`. Exported for its test (test/migration-account-keys.test.ts). */
export async function addAccountColumn(knex: Knex, schema: string, table: string, adAccountId: string): Promise<void> {
  await knex.raw(`alter table ${identPath(schema, table)} add column "_cdp_account" text not null default ${literal(adAccountId)}`);
}

export async function down(): Promise<void> {
  throw new Error('20261203_020_account_keys cannot be undone: restore a backup taken before it');
}
