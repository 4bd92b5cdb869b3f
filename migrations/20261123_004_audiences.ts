import type { Knex } from 'knex';

/**
 * Prospect audiences and their evaluations. Each successful evaluation keeps a membership snapshot
 * (the previous one too, for entered/exited counts and LiveRamp's `expired`); older snapshots are
 * pruned.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table audiences (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      name text not null,
      description text not null default '',
      status text not null check (status in ('draft','published','archived')),
      rule_text text not null,
      rule jsonb not null,
      schedule jsonb,
      next_evaluation_at timestamptz,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index audiences_account_name on audiences (ad_account_id, lower(name));
    create index audiences_due on audiences (next_evaluation_at) where status <> 'archived';

    create table audience_evaluations (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      audience_id text not null references audiences(id) on delete cascade,
      status text not null check (status in ('queued','running','success','failed')),
      trigger text not null check (trigger in ('manual','schedule')),
      rule_text text not null,
      members bigint,
      entered bigint,
      exited bigint,
      datasets text[] not null default '{}',
      error text,
      snapshot_kept boolean not null default false,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    );
    create index audience_evaluations_audience on audience_evaluations (audience_id, id desc);

    create table audience_members (
      evaluation_id text not null references audience_evaluations(id) on delete cascade,
      namespace_id text not null,
      identity text not null,
      primary key (evaluation_id, namespace_id, identity)
    );
    create index audience_members_identity on audience_members (namespace_id, identity);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists audience_members, audience_evaluations, audiences cascade');
}
