import type { Knex } from 'knex';

/**
 * Who is doing what, so that work a killed process left behind is taken over at the next start.
 * - service_instances: one row per running process (API, worker or both). A process is alive while
 *   it holds the session advisory lock (1128550448, id) — PostgreSQL drops it the moment the
 *   process's connection goes, so a restart knows at once which owners are dead (no heartbeat wait).
 * - local_jobs: the in-process queue's jobs (the embedded default without Redis), written before
 *   they run and deleted when they end, so a killed process's jobs run again elsewhere.
 * - batch_files.loader: the process streaming a file into its batch's staging table.
 * - activation_run_uploads: S3 multipart uploads a run has started and not yet completed or
 *   aborted; the run's next attempt aborts what a killed attempt left.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table service_instances (
      id serial primary key,
      pid integer not null,
      host text not null,
      started_at timestamptz not null default now()
    );
    create table local_jobs (
      name text not null,
      id text not null,
      data jsonb not null,
      attempts integer not null,
      backoff_ms integer not null,
      attempts_made integer not null default 0,
      owner integer not null,
      run_after timestamptz not null default now(),
      created_at timestamptz not null default now(),
      primary key (name, id)
    );
    create index local_jobs_owner on local_jobs (owner);
    alter table batch_files add column loader integer;
    create table activation_run_uploads (
      run_id text not null,
      key text not null,
      upload_id text not null,
      created_at timestamptz not null default now(),
      primary key (run_id, upload_id)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table activation_run_uploads;
    alter table batch_files drop column loader;
    drop table local_jobs;
    drop table service_instances;
  `);
}
