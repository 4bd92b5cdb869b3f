import type { Knex } from 'knex';
import { ident, identPath } from '../src/core/sql';

/**
 * Dataset tables lose their row-id index (src/datasets/storage.ts): no reader finds a record by
 * its row id, and building it was a sixth of a large batch's completion (every small batch's merge
 * kept it up to date row by row). Dropping the parent's index drops each partition's index
 * attached to it. Batches still loading need nothing: their indexes are built when they complete.
 */
export async function up(knex: Knex): Promise<void> {
  const datasets: { table_name: string }[] = await knex('datasets').select('table_name');
  for (const { table_name: table } of datasets) await dropRidIndex(knex, table);
}

/** Exported for its test (test/migration-partitioned-datasets.test.ts). */
export async function dropRidIndex(knex: Knex, table: string): Promise<void> {
  await knex.raw(`drop index if exists ${identPath('cdp_data', `${table}_rid`)}`);
}

export async function down(knex: Knex): Promise<void> {
  const datasets: { table_name: string }[] = await knex('datasets').select('table_name');
  for (const { table_name: table } of datasets) {
    await knex.raw(`create index if not exists ${ident(`${table}_rid`)} on ${identPath('cdp_data', table)} ("_cdp_rid")`);
  }
}
