import type { Knex } from 'knex';

/**
 * Datasets and batch ingestion. Each dataset's records live in a table of their own in schema
 * cdp_data (created by the datasets service, one typed column per schema leaf field); a batch loads
 * into an unlogged table in cdp_staging and becomes visible in one set-based merge.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create schema if not exists cdp_data;
    create schema if not exists cdp_staging;

    create table datasets (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      name text not null,
      description text not null default '',
      schema_id text not null references schemas(id),
      class_kind text not null check (class_kind in ('prospect','first_party')),
      table_name text not null unique,
      primary_field text not null,
      primary_namespace_id text not null references namespaces(id),
      profile_enabled boolean not null default false,
      profile_enabled_at timestamptz,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index datasets_account_name on datasets (ad_account_id, lower(name));
    create index datasets_schema on datasets (schema_id);

    -- How each schema leaf field is stored in the dataset's table.
    create table dataset_columns (
      dataset_id text not null references datasets(id) on delete cascade,
      position integer not null,
      field_path text not null,
      column_name text not null,
      column_type text not null,
      value_kind text not null,
      system boolean not null default false,
      primary key (dataset_id, field_path),
      unique (dataset_id, column_name)
    );

    create table batches (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      dataset_id text not null references datasets(id) on delete cascade,
      status text not null check (status in ('loading','staged','success','failed','aborted','deleted')),
      format jsonb not null,
      mapping jsonb,
      error_threshold numeric not null default 5,
      input_count bigint not null default 0,
      output_count bigint not null default 0,
      failed_count bigint not null default 0,
      failure_reason text,
      -- merge order, taken when the batch is merged: the later merge wins on the same identity
      seq bigint,
      source text not null default 'upload',
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      completed_at timestamptz
    );
    create index batches_dataset on batches (dataset_id, id desc);
    create sequence batch_merge_seq;

    create table batch_files (
      id text primary key,
      batch_id text not null references batches(id) on delete cascade,
      file_index integer not null,
      name text not null,
      bytes bigint not null default 0,
      input_count bigint not null default 0,
      output_count bigint not null default 0,
      failed_count bigint not null default 0,
      status text not null check (status in ('loading','loaded','failed')),
      failure_reason text,
      created_at timestamptz not null default now(),
      unique (batch_id, file_index)
    );

    create table batch_row_errors (
      id bigserial primary key,
      batch_id text not null references batches(id) on delete cascade,
      file_index integer not null,
      file_name text not null,
      row_number bigint not null,
      field text,
      rule text not null,
      message text not null,
      raw_value text
    );
    create index batch_row_errors_batch on batch_row_errors (batch_id, id);

    -- Kept after the dataset is gone, as the record of what was deleted and when.
    create table dataset_expirations (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      dataset_id text not null,
      dataset_name text not null,
      expires_at timestamptz not null,
      status text not null check (status in ('pending','executing','completed','cancelled')),
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      completed_at timestamptz
    );
    create unique index dataset_expirations_one_open on dataset_expirations (dataset_id) where status in ('pending','executing');
    create index dataset_expirations_due on dataset_expirations (expires_at) where status = 'pending';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists dataset_expirations, batch_row_errors, batch_files, batches, dataset_columns, datasets cascade;
    drop sequence if exists batch_merge_seq;
    drop schema if exists cdp_staging cascade;
    drop schema if exists cdp_data cascade;
  `);
}
