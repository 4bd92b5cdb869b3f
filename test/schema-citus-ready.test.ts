/**
 * The schema keeps the Citus plan of docs/citus.md possible: every table is placed in
 * migrations/distribution.ts, every distributed table carries its group's column (one type and
 * collation per group: Citus co-locates nothing else), every primary key and unique index includes
 * it, and every foreign key stays within a group (with the column) or points at a reference table.
 * Read from the catalog of a migrated database with a dataset and a batch loading, so the tables
 * the service creates at run time are checked too.
 */
import { distributionSql, placementOf, TABLES, type Placement } from '../migrations/distribution';
import { startTestApi, type TestApi } from './helpers/harness';
import { prospectCsv, setUpProspects } from './helpers/prospects';

let api: TestApi;

interface Table {
  oid: number;
  schema: string;
  name: string;
  placement: Placement | undefined;
}

let tables: Table[];

beforeAll(async () => {
  api = await startTestApi();
  const p = await setUpProspects(api, 'Citus');
  const batch = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv' }).expect(201);
  await api.as(p.token).put(`/v1/batches/${batch.body.id}/files/a.csv`).set('Content-Type', 'text/csv').send(prospectCsv([{ id: 'C1' }])).expect(200);
  const rows: { oid: number; schema: string; name: string }[] = (
    await api.db.raw(
      `select c.oid::int as oid, n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'p') and not c.relispartition and n.nspname in ('public', 'cdp_data', 'cdp_staging') order by 2, 3`,
    )
  ).rows;
  tables = rows.map((r) => ({ ...r, placement: placementOf(r.schema, r.name) }));
}, 60_000);
afterAll(async () => api.close());

const label = (t: Pick<Table, 'schema' | 'name'>) => (t.schema === 'public' ? t.name : `${t.schema}.${t.name}`);
const distributed = () => tables.filter((t) => t.placement?.kind === 'distributed');
const columnOf = (t: Table) => (t.placement?.kind === 'distributed' ? t.placement.column : '');

it('the catalog read holds the tables the service creates at run time', () => {
  expect(tables.some((t) => t.schema === 'cdp_data')).toBe(true);
  expect(tables.some((t) => t.schema === 'cdp_staging')).toBe(true);
});

it('places every table, and places no table that is gone', () => {
  const unplaced = tables.filter((t) => !t.placement).map((t) => `${label(t)}: not placed. Decide where it goes under Citus (docs/citus.md) and add it to migrations/distribution.ts: distributed with its group's column, reference, or local`);
  const names = new Set(tables.filter((t) => t.schema === 'public').map((t) => t.name));
  const gone = Object.keys(TABLES).filter((n) => !names.has(n)).map((n) => `${n}: placed but no migration creates it; remove it from migrations/distribution.ts`);
  expect([...unplaced, ...gone]).toEqual([]);
});

it("gives every distributed table its group's column: not null, of one type and collation per group", async () => {
  const problems: string[] = [];
  const kinds = new Map<string, string>();
  for (const t of distributed()) {
    const column = columnOf(t);
    const [c] = (
      await api.db.raw(
        `select format_type(a.atttypid, a.atttypmod) as type, coalesce(nullif(a.attcollation, 0)::regcollation::text, '') as collation, a.attnotnull as not_null
         from pg_attribute a where a.attrelid = ? and a.attname = ? and not a.attisdropped`,
        [t.oid, column],
      )
    ).rows as { type: string; collation: string; not_null: boolean }[];
    if (!c) {
      problems.push(`${label(t)}: no ${column}. Add it in a migration, filled from the parent row (docs/citus.md), or place the table otherwise in migrations/distribution.ts`);
      continue;
    }
    if (!c.not_null) problems.push(`${label(t)}.${column} may be null; Citus places no row without it`);
    const group = t.placement!.kind === 'distributed' ? t.placement!.group : '';
    const kind = `${c.type} collate ${c.collation}`;
    const first = kinds.get(group);
    if (first === undefined) kinds.set(group, kind);
    else if (first !== kind) problems.push(`${label(t)}.${column} is ${kind}, other tables of group ${group} have ${first}; Citus co-locates only one type and collation`);
  }
  expect(problems).toEqual([]);
});

it('includes the distribution column in every primary key and unique index', async () => {
  const problems: string[] = [];
  for (const t of distributed()) {
    const column = columnOf(t);
    const indexes: { name: string; def: string; includes: boolean }[] = (
      await api.db.raw(
        `select i.relname as name, pg_get_indexdef(x.indexrelid) as def,
           exists (select 1 from pg_attribute a where a.attrelid = x.indrelid and a.attname = ? and a.attnum = any(x.indkey)) as includes
         from pg_index x join pg_class i on i.oid = x.indexrelid
         where x.indrelid = ? and (x.indisunique or x.indisprimary)`,
        [column, t.oid],
      )
    ).rows;
    for (const i of indexes.filter((i) => !i.includes)) {
      problems.push(`${label(t)}: unique index ${i.name} lacks ${column} (${i.def}). Add ${column} to the key in a migration: Citus keeps uniqueness only within a shard (docs/citus.md)`);
    }
  }
  expect(problems).toEqual([]);
});

it('keeps every foreign key within a group, on the distribution column, or pointed at a reference table', async () => {
  const byOid = new Map(tables.map((t) => [t.oid, t]));
  const fks: { name: string; child: number; parent: number; pairs: { child: string; parent: string }[] }[] = (
    await api.db.raw(
      `select c.conname as name, c.conrelid::int as child, c.confrelid::int as parent,
         array(select json_build_object('child', ca.attname, 'parent', pa.attname)
               from unnest(c.conkey, c.confkey) as k(ck, pk)
               join pg_attribute ca on ca.attrelid = c.conrelid and ca.attnum = k.ck
               join pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = k.pk) as pairs
       from pg_constraint c where c.contype = 'f' and c.conparentid = 0`,
    )
  ).rows;
  const problems: string[] = [];
  for (const fk of fks) {
    const child = byOid.get(fk.child);
    const parent = byOid.get(fk.parent);
    if (!child?.placement || !parent?.placement) continue; // unplaced: reported above
    const where = `${label(child)} → ${label(parent)} (${fk.name})`;
    const c = child.placement;
    const p = parent.placement;
    if (p.kind === 'reference') {
      if (c.kind === 'local') problems.push(`${where}: a local table references a reference table; keep local tables apart`);
      continue;
    }
    if (c.kind === 'reference' || c.kind === 'local' || p.kind === 'local') {
      problems.push(`${where}: only distributed tables may reference distributed ones, and nothing references a local table`);
      continue;
    }
    if (c.kind === 'distributed' && p.kind === 'distributed') {
      if (c.group !== p.group) {
        problems.push(`${where}: crosses from group ${c.group} to ${p.group}; Citus refuses it. Drop it and keep the rule in the service (or a trigger)`);
      } else if (!fk.pairs.some((x) => x.child === c.column && x.parent === p.column)) {
        problems.push(`${where}: does not include ${c.column}. Make it (…, ${c.column}) → (…, ${p.column}) in a migration (docs/citus.md)`);
      }
    }
  }
  expect(problems).toEqual([]);
});


it('lists every parent before the tables referencing it, so distributionSql() runs in its order', async () => {
  const order = Object.keys(TABLES);
  const fks: { name: string; child: string; parent: string }[] = (
    await api.db.raw(
      `select c.conname as name, t.relname as child, p.relname as parent from pg_constraint c
       join pg_class t on t.oid = c.conrelid join pg_class p on p.oid = c.confrelid
       where c.contype = 'f' and t.relnamespace = 'public'::regnamespace and c.conrelid <> c.confrelid`,
    )
  ).rows;
  const late = fks
    .filter((fk) => order.includes(fk.child) && order.includes(fk.parent) && order.indexOf(fk.parent) > order.indexOf(fk.child))
    .map((fk) => `${fk.child} → ${fk.parent} (${fk.name}): move ${fk.parent} above ${fk.child} in migrations/distribution.ts`);
  expect(late).toEqual([]);
  const sql = distributionSql();
  expect(sql[0]).toBe(`select create_reference_table('organizations');`);
  expect(sql).toContain(`select create_distributed_table('namespaces', 'ad_account_id', colocate_with => 'none');`);
  expect(sql).toContain(`select create_distributed_table('audience_members', 'ad_account_id', colocate_with => 'namespaces');`);
  expect(sql).toContain(`select create_distributed_table('tracker_event_ids', 'tracker_id', colocate_with => 'tracker_events');`);
  expect(sql.some((s) => /schedules|local_jobs/.test(s))).toBe(false);
});
