/**
 * Migrations 020 and 021 (Citus-ready keys, docs/citus.md) on a database that has data: every row
 * stays (but those no parent reached, from tables without a foreign key), the added ad_account_id
 * and organization_id are the parent's, dataset and staging tables carry their account, and the
 * keys, foreign keys and cascades are in place.
 */
import { randomBytes } from 'node:crypto';
import { migrations } from '../migrations';
import { createKnex, type Db } from '../src/core/db';

const adminUrl = () => process.env.CDP_TEST_PG_URL!;
const name = `t_${randomBytes(6).toString('hex')}`;
let db: Db;

beforeAll(async () => {
  const admin = createKnex(adminUrl(), 1);
  await admin.raw(`create database ${name}`); // generated name; empty, not the migrated template
  await admin.destroy();
  db = createKnex(adminUrl().replace(/\/postgres$/, `/${name}`), 2);
  const upTo = migrations.findIndex((m) => m.name === '20261203_020_account_keys');
  for (const m of migrations.slice(0, upTo)) await db.transaction((tx) => m.up(tx));
}, 60_000);

afterAll(async () => {
  await db?.destroy();
  const admin = createKnex(adminUrl(), 1);
  await admin.raw(`drop database if exists ${name} with (force)`);
  await admin.destroy();
});

/** Two accounts of one organisation, each with a row in every table the migrations change. */
async function seed(): Promise<void> {
  await db.raw(`insert into organizations (id, name) values ('org_1', 'Org')`);
  await db.raw(`insert into ad_accounts (id, organization_id, name) values ('act_a', 'org_1', 'A'), ('act_b', 'org_1', 'B')`);
  for (const a of ['a', 'b']) {
    const act = `act_${a}`;
    const sql = `
      insert into namespaces (id, ad_account_id, name, code, type) values ('ns_${a}', '${act}', 'Partner', 'partner', 'partner_id');
      insert into schemas (id, ad_account_id, title, class_id) values ('sch_${a}', '${act}', 'Prospects', 'xdm:individual-prospect-profile');
      insert into identity_descriptors (id, ad_account_id, schema_id, field_path, namespace_id, is_primary) values ('idd_${a}', '${act}', 'sch_${a}', 'partnerID', 'ns_${a}', true);
      insert into label_assignments (ad_account_id, target_kind, target_id, field_path, label) values ('${act}', 'dataset', 'ds_${a}', '', 'C1');
      insert into datasets (id, ad_account_id, name, schema_id, class_kind, table_name, primary_field, primary_namespace_id)
        values ('ds_${a}', '${act}', 'Prospects', 'sch_${a}', 'prospect', 'ds_${a}', 'partnerID', 'ns_${a}');
      insert into dataset_columns (dataset_id, position, field_path, column_name, column_type, value_kind) values ('ds_${a}', 1, 'partnerID', 'partnerID', 'text', 'string');
      insert into dataset_expirations (id, ad_account_id, dataset_id, dataset_name, expires_at, status) values ('dse_${a}', '${act}', 'ds_${a}', 'Prospects', now() + interval '1 day', 'pending');
      insert into batches (id, ad_account_id, dataset_id, status, format) values ('batch_${a}', '${act}', 'ds_${a}', 'loading', '{}');
      insert into batch_files (id, batch_id, file_index, name, status) values ('bf_${a}', 'batch_${a}', 1, 'a.csv', 'loading');
      insert into batch_row_errors (batch_id, file_index, file_name, row_number, rule, message) values ('batch_${a}', 1, 'a.csv', 2, 'type', 'not a number');
      create table cdp_data.ds_${a} ("_cdp_rid" bigint not null, "_cdp_part" integer not null default 0, "_cdp_identity" text not null, "partnerID" text) partition by range ("_cdp_part");
      create table cdp_data.ds_${a}_p0 partition of cdp_data.ds_${a} for values from (0) to (1);
      insert into cdp_data.ds_${a} values (1, 0, 'P1', 'P1');
      create table cdp_staging.b_${a} ("_cdp_rid" bigint, "_cdp_identity" text not null);
      insert into connections (id, ad_account_id, name, kind, settings, secret) values ('con_${a}', '${act}', 'SFTP', 'sftp', '{}', 'x');
      insert into dataflows (id, ad_account_id, name, connection_id, dataset_id, folder, format, schedule) values ('df_${a}', '${act}', 'Daily', 'con_${a}', 'ds_${a}', '/in', '{}', '{}');
      insert into dataflow_runs (id, ad_account_id, dataflow_id, status, trigger) values ('dfr_${a}', '${act}', 'df_${a}', 'success', 'manual');
      insert into dataflow_files (dataflow_id, path, fingerprint, size, modified_at, status) values ('df_${a}', '/in/a.csv', 'f1', 10, now(), 'ingested');
      insert into audiences (id, ad_account_id, name, status, rule_text, rule) values ('aud_${a}', '${act}', 'All', 'published', 'true', '{}');
      insert into audience_evaluations (id, ad_account_id, audience_id, status, trigger, rule_text) values ('ev_${a}', '${act}', 'aud_${a}', 'success', 'manual', 'true');
      insert into audience_members (evaluation_id, namespace_id, identity) values ('ev_${a}', 'ns_${a}', 'P1'), ('ev_${a}', 'ns_${a}', 'P2');
      insert into destinations (id, ad_account_id, name, kind, settings, secret, marketing_actions) values ('dst_${a}', '${act}', 'S3', 's3', '{}', 'x', '{}');
      insert into activations (id, ad_account_id, name, destination_id, audience_ids, schedule, mapping) values ('acv_${a}', '${act}', 'Export', 'dst_${a}', '{aud_${a}}', '{}', '{}');
      insert into activation_runs (id, ad_account_id, activation_id, status, trigger, run_at) values ('run_${a}', '${act}', 'acv_${a}', 'processing', 'manual', now());
      insert into targets (id, ad_account_id, kind, name) values ('tgt_${a}', '${act}', 'customer_file', 'File'), ('pix_${a}', '${act}', 'pixel', 'Pixel'), ('lal_${a}', '${act}', 'lookalike', 'Like');
      insert into activation_target_members (run_id, target_id, person_id, identity) values ('run_${a}', 'tgt_${a}', 1, 'adid:1');
      insert into activation_run_uploads (run_id, key, upload_id) values ('run_${a}', 'out/a.csv', 'up1');
      insert into target_uploads (id, ad_account_id, kind, identifier_type, status, target_id) values ('tup_${a}', '${act}', 'customer_file', 'adid', 'saved', 'tgt_${a}');
      insert into target_upload_entries (upload_id, node) values ('tup_${a}', 'adid:1'), ('tup_${a}', 'adid:2');
      insert into target_upload_failures (upload_id, row_number, value, rule, message) values ('tup_${a}', 3, 'x', 'format', 'not an ADID');
      insert into talk_channels (id, ad_account_id, name, search_id) values ('tch_${a}', '${act}', 'Shop', '@shop');
      insert into talk_channel_friends (channel_id, node) values ('tch_${a}', 'phone:+821000000001');
      insert into lookalikes (target_id, ad_account_id, seed_type, seed_kind, seed_id, seed_name, seed_population, size, status)
        values ('lal_${a}', '${act}', 'CUSTOMER_FILE', 'customer_file', 'tgt_${a}', 'File', 2, 1, 'AVAILABLE');
      insert into lookalike_members (target_id, node) values ('lal_${a}', 'adid:9');
      insert into lookalike_scores (target_id, person_id, score) values ('lal_${a}', 9, 0.5);
      insert into mat_link_codes (id, ad_account_id, name, code) values ('mlc_${a}', '${act}', 'Code', 'code_${a}');
      insert into mat_postbacks (link_code_id, vendor, event, adid, occurred_at, received_at) values ('mlc_${a}', 'appsflyer', 'install', 'adid-1', now(), now());
      insert into mat_received (link_code_id, vendor, event, first_collected_at, last_collected_at, count) values ('mlc_${a}', 'appsflyer', 'install', now(), now(), 1);
      insert into mat_postback_ids (link_code_id, vendor, postback_key, received_at) values ('mlc_${a}', 'appsflyer', 'k1', now());
      insert into campaigns (id, ad_account_id, name, type) values ('cmp_${a}', '${act}', 'Display', 'DISPLAY');
      insert into ad_groups (id, ad_account_id, campaign_id, name) values ('adg_${a}', '${act}', 'cmp_${a}', 'Group');
      insert into ad_group_targeting (ad_group_id, target_id, ad_account_id, role, position) values ('adg_${a}', 'tgt_${a}', '${act}', 'include', 0);
    `;
    await db.raw(sql);
  }
  await db.raw(`
    insert into trackers (id, organization_id, track_id, name) values ('trk_1', 'org_1', '1000000000000000001', 'Pixel');
    insert into tracker_rights (id, tracker_id, ad_account_id, role) values ('tkr_a', 'trk_1', 'act_a', 'MASTER'), ('tkr_b', 'trk_1', 'act_b', 'MEMBER');
    insert into tracker_events (tracker_id, event, cookie_id, occurred_at, received_at) values ('trk_1', 'pageView', 'ck1', now(), now());
    insert into tracker_event_days (tracker_id, event, day, count, first_seen_at, last_seen_at) values ('trk_1', 'pageView', current_date, 1, now(), now());
    insert into tracker_event_ids (tracker_id, event_id, received_at) values ('trk_1', 'e1', now());
    insert into pixel_targets (target_id, ad_account_id, tracker_id, days) values ('pix_a', 'act_a', 'trk_1', 30);
    -- Rows no parent reaches (these tables have no foreign key).
    insert into audience_members (evaluation_id, namespace_id, identity) values ('ev_gone', 'ns_a', 'P9');
    insert into target_upload_entries (upload_id, node) values ('tup_gone', 'adid:9');
    insert into activation_run_uploads (run_id, key, upload_id) values ('run_gone', 'out/x.csv', 'up9');
    insert into lookalike_scores (target_id, person_id, score) values ('lal_gone', 1, 0.1);
  `);
}

const CHANGED = [
  'namespaces', 'schemas', 'identity_descriptors', 'label_assignments', 'datasets', 'dataset_columns', 'dataset_expirations', 'batches',
  'batch_files', 'batch_row_errors', 'connections', 'dataflows', 'dataflow_runs', 'dataflow_files', 'audiences', 'audience_evaluations',
  'audience_members', 'destinations', 'activations', 'activation_runs', 'activation_target_members', 'activation_run_uploads', 'targets',
  'target_uploads', 'target_upload_entries', 'target_upload_failures', 'talk_channels', 'talk_channel_friends', 'lookalikes',
  'lookalike_members', 'lookalike_scores', 'mat_link_codes', 'mat_postbacks', 'mat_received', 'mat_postback_ids', 'campaigns', 'ad_groups',
  'ad_group_targeting', 'trackers', 'tracker_rights', 'tracker_events', 'tracker_event_days', 'tracker_event_ids', 'pixel_targets',
];

/** Every row of every changed table, as JSON without the columns the migrations add. */
async function rows(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of CHANGED) {
    const r = await db.raw(`select (to_jsonb(x) - 'ad_account_id' - 'organization_id')::text as j from ?? x`, [t]);
    out[t] = r.rows.map((row: { j: string }) => row.j).sort();
  }
  return out;
}

const ORPHANS: Record<string, (row: Record<string, unknown>) => boolean> = {
  audience_members: (r) => r.evaluation_id === 'ev_gone',
  target_upload_entries: (r) => r.upload_id === 'tup_gone',
  activation_run_uploads: (r) => r.run_id === 'run_gone',
  lookalike_scores: (r) => r.target_id === 'lal_gone',
};

const definition = async (constraint: string) =>
  (await db.raw(`select pg_get_constraintdef(oid) as def from pg_constraint where conname = ?`, [constraint])).rows.map((r: { def: string }) => r.def);

it('keeps every row a parent reaches, fills the new columns from it, keys and cascades by it', async () => {
  await seed();
  const before = await rows();
  for (const m of migrations.filter((x) => x.name.startsWith('20261203_02'))) await db.transaction((tx) => m.up(tx));

  const after = await rows();
  const expected = Object.fromEntries(
    Object.entries(before).map(([t, list]) => [t, list.filter((j) => !(ORPHANS[t]?.(JSON.parse(j)) ?? false))]),
  );
  expect(after).toEqual(expected);
  expect(before.audience_members).toHaveLength(5); // the orphan was there before

  // The added columns hold the parent's account (organisation for rights), per row.
  const accounts = async (table: string, key: string) =>
    (await db.raw(`select ?? as k, ad_account_id from ?? order by 1, 2`, [key, table])).rows.map((r: { k: string; ad_account_id: string }) => `${r.k}:${r.ad_account_id}`);
  expect(await accounts('audience_members', 'evaluation_id')).toEqual(['ev_a:act_a', 'ev_a:act_a', 'ev_b:act_b', 'ev_b:act_b']);
  expect(await accounts('batch_row_errors', 'batch_id')).toEqual(['batch_a:act_a', 'batch_b:act_b']);
  expect(await accounts('target_upload_entries', 'upload_id')).toEqual(['tup_a:act_a', 'tup_a:act_a', 'tup_b:act_b', 'tup_b:act_b']);
  expect(await accounts('mat_received', 'link_code_id')).toEqual(['mlc_a:act_a', 'mlc_b:act_b']);
  expect(await accounts('lookalike_members', 'target_id')).toEqual(['lal_a:act_a', 'lal_b:act_b']);
  expect((await db('tracker_rights').orderBy('id').select('id', 'organization_id')).map((r) => `${r.id}:${r.organization_id}`)).toEqual(['tkr_a:org_1', 'tkr_b:org_1']);

  // Dataset tables (through to their partitions) and staging tables carry their account.
  expect((await db.raw(`select "_cdp_account" as a from cdp_data.ds_b_p0`)).rows).toEqual([{ a: 'act_b' }]);
  await db.raw(`insert into cdp_staging.b_a ("_cdp_identity") values ('P2')`);
  expect((await db.raw(`select "_cdp_account" as a from cdp_staging.b_a`)).rows).toEqual([{ a: 'act_a' }]);

  expect(await definition('namespaces_pkey')).toEqual(['PRIMARY KEY (id, ad_account_id)']);
  expect(await definition('audience_members_pkey')).toEqual(['PRIMARY KEY (evaluation_id, namespace_id, identity, ad_account_id)']);
  expect(await definition('audience_evaluations_audience_id_fkey')).toEqual(['FOREIGN KEY (audience_id, ad_account_id) REFERENCES audiences(id, ad_account_id) ON DELETE CASCADE']);
  expect(await definition('dataflows_connection_id_fkey')).toEqual(['FOREIGN KEY (connection_id, ad_account_id) REFERENCES connections(id, ad_account_id)']);
  expect(await definition('tracker_rights_tracker_id_fkey')).toEqual(['FOREIGN KEY (tracker_id, organization_id) REFERENCES trackers(id, organization_id) ON DELETE CASCADE']);
  expect(await definition('trackers_track_id_key')).toEqual(['UNIQUE (track_id, organization_id)']);
  expect(await definition('pixel_targets_tracker_id_fkey')).toEqual([]);

  // Cascades as before: deleting a parent removes its rows, in its account only.
  await db('audiences').where({ id: 'aud_a' }).delete();
  expect(await db('audience_evaluations').orderBy('id').pluck('id')).toEqual(['ev_b']);
  await db('targets').where({ id: 'tgt_b' }).delete();
  expect(await db('target_uploads').orderBy('id').pluck('id')).toEqual(['tup_a']);
  expect(await db('ad_group_targeting').orderBy('ad_group_id').pluck('ad_group_id')).toEqual(['adg_a']);
  // A parent of another account is no parent: the composite key refuses the row.
  await expect(db.raw(`insert into dataflow_runs (id, ad_account_id, dataflow_id, status, trigger) values ('dfr_x', 'act_b', 'df_a', 'queued', 'manual')`)).rejects.toThrow(
    /dataflow_runs_dataflow_id_fkey/,
  );
  // A tracker's deletion removes its days too, by the trigger (no foreign key across groups).
  await db('trackers').where({ id: 'trk_1' }).delete();
  expect(await db('tracker_event_days').count({ n: '*' })).toEqual([{ n: '0' }]);
  expect(await db('tracker_rights').count({ n: '*' })).toEqual([{ n: '0' }]);
});
