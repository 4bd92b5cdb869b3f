/**
 * Migration 018 turns a dataset table of the earlier layout (one table, identity column, primary
 * key, unique current index) into partition 0 of a partitioned parent of the same name: every row
 * stays, row ids continue after the highest, the parent has its indexes (migration 022 then drops
 * the row-id one), and a large batch can then be attached beside it with no row-id index of its own.
 */
import { openTestDatabase } from './helpers/harness';
import { partition } from '../migrations/20261202_018_partitioned_datasets';
import { addAccountColumn } from '../migrations/20261203_020_account_keys';
import { dropRidIndex } from '../migrations/20261204_022_dataset_rid_index';
import { attachBatchSql, createStagingTableSql, type StoredColumn } from '../src/datasets/storage';

type TestDb = Awaited<ReturnType<typeof openTestDatabase>>;
let database: TestDb;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => database.close());

const table = 'ds_legacy0000000000000000000';
const columns: StoredColumn[] = [
  { fieldPath: 'partnerID', columnName: 'partnerID', columnType: 'text', kind: 'string', system: false },
  { fieldPath: 'homeAddress.city', columnName: 'homeAddress__city', columnType: 'text', kind: 'string', system: false },
];

/** The dataset table as storage.ts created it before migration 018. */
async function legacyTable(): Promise<void> {
  const t = `cdp_data."${table}"`;
  await database.db.raw(`create table ${t} (
    "_cdp_rid" bigint generated always as identity primary key,
    "_cdp_batch_id" text not null, "_cdp_batch_seq" bigint not null, "_cdp_file" integer not null, "_cdp_row" bigint not null,
    "_cdp_identity" text not null, "_cdp_current" boolean not null default false, "_cdp_profile" boolean not null default false,
    "_cdp_loaded_at" timestamptz not null default now(), "partnerID" text, "homeAddress__city" text)`);
  await database.db.raw(`create index "${table}_batch" on ${t} ("_cdp_batch_id")`);
  await database.db.raw(`create index "${table}_identity" on ${t} ("_cdp_identity", "_cdp_batch_seq" desc, "_cdp_rid" desc)`);
  await database.db.raw(`create unique index "${table}_current" on ${t} ("_cdp_identity") where "_cdp_current"`);
  await database.db.raw(
    `insert into ${t} ("_cdp_batch_id", "_cdp_batch_seq", "_cdp_file", "_cdp_row", "_cdp_identity", "_cdp_current", "_cdp_profile", "partnerID", "homeAddress__city")
     values ('batch_a', 1, 1, 1, 'L1', false, true, 'L1', 'Seoul'), ('batch_b', 2, 1, 1, 'L1', true, true, 'L1', 'Busan'), ('batch_b', 2, 1, 2, 'L2', true, true, 'L2', 'Jeju')`,
  );
}

it('keeps every row in partition 0, continues row ids and lets a batch be attached beside it', async () => {
  await legacyTable();
  await database.db.transaction((tx) => partition(tx, table));
  // …and migration 020 gives it its account, as it does every dataset table; 022 drops the row-id index.
  await addAccountColumn(database.db, 'cdp_data', table, 'act_legacy');
  await dropRidIndex(database.db, table);

  const parts = (await database.db.raw(`select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = ?::regclass`, [`cdp_data.${table}`])).rows;
  expect(parts.map((r: { relname: string }) => r.relname)).toEqual([`${table}_p0`]);
  const rows = (await database.db.raw(`select "_cdp_rid"::int as rid, "_cdp_part" as part, "_cdp_identity" as identity, "_cdp_current" as current from cdp_data.?? order by 1`, [table])).rows;
  expect(rows).toEqual([
    { rid: 1, part: 0, identity: 'L1', current: false },
    { rid: 2, part: 0, identity: 'L1', current: true },
    { rid: 3, part: 0, identity: 'L2', current: true },
  ]);
  const indexes = (await database.db.raw(`select indexname from pg_indexes where schemaname = 'cdp_data' and tablename = ? order by 1`, [table])).rows;
  expect(indexes.map((r: { indexname: string }) => r.indexname)).toEqual([`${table}_current`, `${table}_identity`]);
  const local = (await database.db.raw(`select indexname from pg_indexes where schemaname = 'cdp_data' and tablename = ? order by 1`, [`${table}_p0`])).rows;
  // Partition 0 keeps its batch and identity indexes and gains the current one the parent built on it.
  expect(local.map((r: { indexname: string }) => r.indexname)).toEqual(expect.arrayContaining([`${table}_p0_batch`, `${table}_p0_identity`]));
  expect(local).toHaveLength(3);

  // A row merged the way small batches are continues the ids.
  await database.db.raw(
    `insert into cdp_data.?? ("_cdp_batch_id", "_cdp_batch_seq", "_cdp_file", "_cdp_row", "_cdp_identity", "_cdp_current", "partnerID") values ('batch_c', 3, 1, 1, 'L3', true, 'L3') returning "_cdp_rid"`,
    [table],
  );
  expect(Number((await database.db.raw(`select max("_cdp_rid") as m from cdp_data.??`, [table])).rows[0].m)).toBe(4);

  // A large batch attached as partition 7: L1's record in partition 0 stops being current.
  const staging = 'b_legacytest';
  await database.db.raw(createStagingTableSql(staging, { table, adAccountId: 'act_legacy' }, 'batch_d', 7, columns));
  await database.db.raw(`insert into cdp_staging.?? ("_cdp_file", "_cdp_row", "_cdp_identity", "partnerID", "homeAddress__city") values (1, 1, 'L1', 'L1', 'Daegu'), (1, 2, 'L9', 'L9', null)`, [staging]);
  await database.db.transaction(async (tx) => {
    for (const sql of attachBatchSql(table, staging, 7, columns, [], { batchId: 'batch_d', seq: 4, profile: true, actor: null })) await tx.raw(sql);
  });
  const current = (await database.db.raw(`select "_cdp_identity" as identity, "homeAddress__city" as city, "_cdp_part" as part, "_cdp_batch_seq"::int as seq from cdp_data.?? where "_cdp_current" order by 1`, [table])).rows;
  expect(current).toEqual([
    { identity: 'L1', city: 'Daegu', part: 7, seq: 4 },
    { identity: 'L2', city: 'Jeju', part: 0, seq: 2 },
    { identity: 'L3', city: null, part: 0, seq: 3 },
    { identity: 'L9', city: null, part: 7, seq: 4 },
  ]);
  const attached = (await database.db.raw(`select indexname from pg_indexes where schemaname = 'cdp_data' and tablename = ? order by 1`, [staging])).rows;
  expect(attached.map((r: { indexname: string }) => r.indexname)).toEqual([`${staging}_current`, `${staging}_identity`]);
});
