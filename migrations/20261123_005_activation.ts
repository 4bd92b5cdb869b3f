import type { Knex } from 'knex';

/**
 * Destinations (S3, LiveRamp-style SFTP) and activations that export audiences to them. A run pins
 * the audience evaluations it exports and the time its file names carry, so a retried run writes the
 * same files with the same content: nothing duplicated, nothing partial.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table destinations (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      name text not null,
      kind text not null check (kind in ('s3','liveramp')),
      settings jsonb not null,
      secret text not null,
      marketing_actions text[] not null,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index destinations_account_name on destinations (ad_account_id, lower(name));

    create table activations (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      name text not null,
      destination_id text not null references destinations(id),
      audience_ids text[] not null,
      schedule jsonb not null,
      mapping jsonb not null,
      mandatory_fields text[] not null default '{}',
      dedup jsonb,
      enabled boolean not null default true,
      next_run_at timestamptz,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index activations_account_name on activations (ad_account_id, lower(name));

    create table activation_runs (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      activation_id text not null references activations(id) on delete cascade,
      status text not null check (status in ('queued','processing','success','failed')),
      trigger text not null,
      run_at timestamptz not null,
      evaluations jsonb,
      received bigint not null default 0,
      activated bigint not null default 0,
      excluded_mandatory bigint not null default 0,
      excluded_duplicates bigint not null default 0,
      failed bigint not null default 0,
      files jsonb not null default '[]',
      violation jsonb,
      error text,
      attempts integer not null default 0,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    );
    create index activation_runs_activation on activation_runs (activation_id, id desc);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists activation_runs, activations, destinations cascade');
}
