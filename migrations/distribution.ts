/**
 * Where every table goes on a Citus cluster (docs/citus.md), declared once. The schema is kept so
 * that this plan stays possible — test/schema-citus-ready.test.ts checks the migrated schema
 * against it: a table missing here fails that test until it is placed, in the change that creates it.
 *
 * - distributed: hash-distributed by its group's column, co-located with the group's other tables
 *   (one ad account's, organisation's or tracker's rows on one shard). Its primary key and unique
 *   indexes include the column; its foreign keys point within the group (with the column) or at
 *   reference tables.
 * - reference: small, read everywhere, written rarely: a copy on every node.
 * - local: operational state of the service's own processes, left on the coordinator.
 */

export type Group = 'account' | 'organization' | 'tracker';

/** The distribution column of each co-location group (dataset tables name theirs apart, see below). */
export const GROUP_COLUMNS: Record<Group, string> = {
  account: 'ad_account_id',
  organization: 'organization_id',
  tracker: 'tracker_id',
};

export type Placement = { kind: 'distributed'; group: Group; column: string } | { kind: 'reference' } | { kind: 'local' };

const account: Placement = { kind: 'distributed', group: 'account', column: GROUP_COLUMNS.account };
const organization: Placement = { kind: 'distributed', group: 'organization', column: GROUP_COLUMNS.organization };
const tracker: Placement = { kind: 'distributed', group: 'tracker', column: GROUP_COLUMNS.tracker };
const reference: Placement = { kind: 'reference' };
const local: Placement = { kind: 'local' };

/** Tables of schema public, by name. */
export const TABLES: Record<string, Placement> = {
  // Reference: who is who. Every request reads api_keys by key id before it knows the account.
  organizations: reference,
  ad_accounts: reference,
  api_keys: reference,

  // The ad account's data.
  namespaces: account,
  field_groups: account,
  schemas: account,
  identity_descriptors: account,
  custom_labels: account,
  label_assignments: account,
  marketing_actions: account,
  policies: account,
  audit_log: account,
  datasets: account,
  dataset_columns: account,
  dataset_expirations: account,
  batches: account,
  batch_files: account,
  batch_row_errors: account,
  connections: account,
  dataflows: account,
  dataflow_runs: account,
  dataflow_files: account,
  audiences: account,
  audience_evaluations: account,
  audience_members: account,
  destinations: account,
  activations: account,
  activation_runs: account,
  activation_target_members: account,
  activation_run_uploads: account,
  universe_inbox: account,
  universe_identities: account,
  universe_people: account,
  universe_state: account,
  populations: account,
  targets: account,
  target_uploads: account,
  target_upload_entries: account,
  target_upload_failures: account,
  talk_channels: account,
  talk_channel_friends: account,
  pixel_targets: account,
  mat_link_codes: account,
  mat_postbacks: account,
  mat_postback_ids: account,
  mat_received: account,
  mat_links: account,
  campaigns: account,
  ad_groups: account,
  messages: account,
  ad_group_targeting: account,
  reactions: account,
  ad_response_targets: account,
  ad_response_sources: account,
  lookalikes: account,
  lookalike_members: account,
  lookalike_scores: account,

  // Trackers belong to an organisation; its ad accounts use them through rights.
  trackers: organization,
  tracker_rights: organization,
  // A tracker's collected events, shared by every account holding a right on it.
  tracker_events: tracker,
  tracker_event_days: tracker,
  tracker_event_ids: tracker,

  // The service's own processes.
  knex_migrations: local,
  knex_migrations_lock: local,
  schedules: local,
  service_instances: local,
  local_jobs: local,
};

/** Tables the service creates while it runs (names made from ids), by schema and name. */
export const RUNTIME_TABLES: { schema: string; name: RegExp; placement: Placement; what: string }[] = [
  {
    schema: 'cdp_data',
    name: /^ds_/,
    placement: { kind: 'distributed', group: 'account', column: '_cdp_account' },
    what: "a dataset's records (partitioned; partitions follow their parent)",
  },
  {
    schema: 'cdp_staging',
    name: /^b_/,
    placement: { kind: 'distributed', group: 'account', column: '_cdp_account' },
    what: 'a batch while it loads (attached to its dataset table as a partition, or merged into it)',
  },
];

/** The placement of table `schema.name`, or undefined when nothing here places it. */
export function placementOf(schema: string, name: string): Placement | undefined {
  if (schema === 'public') return Object.hasOwn(TABLES, name) ? TABLES[name] : undefined;
  return RUNTIME_TABLES.find((t) => t.schema === schema && t.name.test(name))?.placement;
}

/**
 * The statements that distribute the tables of schema public on a Citus coordinator, in an order
 * Citus accepts: reference tables first, then each group's tables in the order above (every parent
 * before the tables referencing it), co-located with the group's first table. Dataset tables follow
 * (docs/citus.md).
 */
export function distributionSql(): string[] {
  const entries = Object.entries(TABLES);
  const out = entries.filter(([, p]) => p.kind === 'reference').map(([t]) => `select create_reference_table('${t}');`);
  const anchors = new Map<Group, string>();
  for (const [table, p] of entries) {
    if (p.kind !== 'distributed') continue;
    const anchor = anchors.get(p.group);
    if (!anchor) anchors.set(p.group, table);
    const colocate = anchor ? `'${anchor}'` : `'none'`;
    out.push(`select create_distributed_table('${table}', '${p.column}', colocate_with => ${colocate});`);
  }
  return out;
}
