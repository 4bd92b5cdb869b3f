import type { Knex } from 'knex';
import { ident, identPath, literal } from '../src/core/sql';

/**
 * Dataset tables become partitioned by `_cdp_part` (src/datasets/storage.ts): a large batch's own
 * table is attached as a partition when it completes instead of being copied row by row into the
 * dataset. Each existing table becomes partition 0 of a new parent of the same name: its identity
 * column turns into a sequence default (partitions share it), its primary key and unique current
 * index go (nothing unique can span partitions), and the parent's indexes are created — reusing
 * the table's identity index, which has the same form; its batch index stays partition 0's own. Batches still loading keep a
 * staging table of the old shape: they fail with a reason, to be uploaded again.
 */
const DATA = 'cdp_data';
const STAGING = 'cdp_staging';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('create sequence dataset_part_seq start 1');
  await knex.raw('alter table batches add column part integer, add column partitioned boolean not null default false');

  const loading: { id: string }[] = await knex('batches').where({ status: 'loading' }).select('id');
  for (const b of loading) await knex.raw(`drop table if exists ${identPath(STAGING, `b_${b.id.replace(/^batch_/, '')}`)}`);
  await knex('batches')
    .where({ status: 'loading' })
    .update({
      status: 'failed',
      failure_reason: 'The service was upgraded while this batch was loading (dataset storage changed); nothing was merged. Upload the files again in a new batch.',
      completed_at: knex.fn.now(),
      updated_at: knex.fn.now(),
    });
  await knex('batch_files').where({ status: 'loading' }).update({ status: 'failed', failure_reason: 'the service was upgraded while the file loaded' });

  const datasets: { table_name: string }[] = await knex('datasets').select('table_name');
  for (const { table_name: table } of datasets) await partition(knex, table);
}

/** Exported for its test (test/migration-partitioned-datasets.test.ts). */
export async function partition(knex: Knex, table: string): Promise<void> {
  const t = identPath(DATA, table);
  const p0 = `${table}_p0`;
  const seq = identPath(DATA, `${table}_rid_seq`);
  // The old primary key and unique current index go; the identity index is renamed so the
  // parent's index of that name and form adopts it, the batch index stays partition 0's own.
  const constraints: { conname: string }[] = (
    await knex.raw(`select conname from pg_constraint where conrelid = ?::regclass and contype = 'p'`, [`${DATA}.${table}`])
  ).rows;
  for (const c of constraints) await knex.raw(`alter table ${t} drop constraint ${ident(c.conname)}`);
  await knex.raw(`drop index if exists ${identPath(DATA, `${table}_current`)}`);
  await knex.raw(`alter index if exists ${identPath(DATA, `${table}_batch`)} rename to ${ident(`${p0}_batch`)}`);
  await knex.raw(`alter index if exists ${identPath(DATA, `${table}_identity`)} rename to ${ident(`${p0}_identity`)}`);
  await knex.raw(`alter table ${t} rename to ${ident(p0)}`);
  const old = identPath(DATA, p0);

  const [{ next }] = (await knex.raw(`select coalesce(max("_cdp_rid"), 0) + 1 as next from ${old}`)).rows;
  await knex.raw(`alter table ${old} alter column "_cdp_rid" drop identity if exists`);
  await knex.raw(`create sequence ${seq} start ${literal(Number(next))}`);
  await knex.raw(`alter table ${old} alter column "_cdp_rid" set default nextval(${literal(`${DATA}.${table}_rid_seq`)}::regclass)`);
  await knex.raw(`alter table ${old} add column "_cdp_part" integer not null default 0`);

  await knex.raw(`create table ${t} (like ${old} including defaults) partition by range ("_cdp_part")`);
  await knex.raw(`alter sequence ${seq} owned by ${t}."_cdp_rid"`);
  await knex.raw(`alter table ${t} attach partition ${old} for values from (0) to (1)`);
  const indexes: [string, string][] = [
    ['rid', '("_cdp_rid")'],
    ['identity', '("_cdp_identity", "_cdp_batch_seq" desc, "_cdp_rid" desc)'],
    ['current', '("_cdp_identity") where "_cdp_current"'],
  ];
  for (const [suffix, on] of indexes) await knex.raw(`create index ${ident(`${table}_${suffix}`)} on ${t} ${on}`);
}

export async function down(): Promise<void> {
  throw new Error('20261202_018_partitioned_datasets cannot be undone: restore a backup taken before it');
}
