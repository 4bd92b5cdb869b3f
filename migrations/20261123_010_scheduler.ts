import type { Knex } from 'knex';

/** Periodic schedules, kept in PostgreSQL so a Redis restart loses none (src/core/scheduler.ts). */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table schedules (
      name text primary key,
      cron text not null,
      job_name text not null,
      data jsonb not null default '{}',
      next_run_at timestamptz not null,
      last_run_at timestamptz,
      last_job_id text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists schedules');
}
