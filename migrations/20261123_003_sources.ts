import type { Knex } from 'knex';

/**
 * Source connections (SFTP, S3) and dataflows that ingest partner files on a schedule.
 * dataflow_files is the ledger that makes ingestion exactly-once per file version: a file is
 * claimed by inserting (dataflow, path, fingerprint) under a unique constraint, and it is marked
 * ingested only after its batch succeeded.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table connections (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      name text not null,
      kind text not null check (kind in ('sftp','s3')),
      settings jsonb not null,
      -- AES-256-GCM sealed credentials (src/core/secrets.ts); never returned, never logged
      secret text not null,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index connections_account_name on connections (ad_account_id, lower(name));

    create table dataflows (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      name text not null,
      connection_id text not null references connections(id),
      dataset_id text not null references datasets(id) on delete cascade,
      folder text not null,
      pattern text not null default '*',
      format jsonb not null,
      mapping jsonb,
      error_threshold numeric not null default 5,
      schedule jsonb not null,
      backfill boolean not null default false,
      enabled boolean not null default true,
      next_run_at timestamptz,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index dataflows_account_name on dataflows (ad_account_id, lower(name));
    create index dataflows_due on dataflows (next_run_at) where enabled;

    create table dataflow_runs (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      dataflow_id text not null references dataflows(id) on delete cascade,
      status text not null check (status in ('queued','processing','success','failed')),
      trigger text not null check (trigger in ('schedule','manual')),
      files_found integer not null default 0,
      files_ingested integer not null default 0,
      files_failed integer not null default 0,
      input_count bigint not null default 0,
      output_count bigint not null default 0,
      failed_count bigint not null default 0,
      error text,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    );
    create index dataflow_runs_flow on dataflow_runs (dataflow_id, id desc);

    create table dataflow_files (
      id bigserial primary key,
      dataflow_id text not null references dataflows(id) on delete cascade,
      path text not null,
      fingerprint text not null,
      size bigint not null,
      modified_at timestamptz not null,
      status text not null check (status in ('processing','ingested','failed','retry')),
      run_id text,
      batch_id text,
      attempts integer not null default 0,
      lease_until timestamptz,
      error text,
      updated_at timestamptz not null default now(),
      unique (dataflow_id, path, fingerprint)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists dataflow_files, dataflow_runs, dataflows, connections cascade');
}
