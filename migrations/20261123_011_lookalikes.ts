import type { Knex } from 'knex';

/**
 * Lookalike targets (유사타겟): the definition and build state beside the registry row, the members
 * of the last completed build (one identity node per person, so later merges in the universe do not
 * break them), and an unlogged scratch table a build writes its scores to while it streams over the
 * universe (top-k is then chosen by PostgreSQL, not held in memory).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table lookalikes (
      target_id text primary key references targets(id) on delete cascade,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      seed_type text not null check (seed_type in ('CUSTOMER_FILE','KAKAO_USERS')),
      -- what seed_id names: a customer file or ad-response target (targets.id) or a talk channel
      seed_kind text not null check (seed_kind in ('customer_file','talk_channel','ad_response')),
      seed_id text not null,
      seed_name text not null,
      -- the seed's population when the lookalike was created, then at each build
      seed_population bigint not null,
      size integer not null check (size between 1 and 10),
      auto_update boolean not null default true,
      status text not null check (status in ('STANDBY','AVAILABLE','ERROR','SEED_NOT_ENOUGH')),
      error text,
      -- a change of size bumps the revision: a build that started before it does not count as current
      revision integer not null default 0,
      builds integer not null default 0,
      attempts integer not null default 0,
      built_at timestamptz,
      next_build_at timestamptz,
      lease_until timestamptz,
      last_build jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index lookalikes_due on lookalikes (next_build_at) where next_build_at is not null;
    create index lookalikes_seed on lookalikes (ad_account_id, seed_id);

    create table lookalike_members (
      target_id text not null references lookalikes(target_id) on delete cascade,
      node text not null,
      primary key (target_id, node)
    );

    create unlogged table lookalike_scores (
      target_id text not null,
      person_id bigint not null,
      score double precision not null
    );
    create index lookalike_scores_top on lookalike_scores (target_id, score desc, person_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists lookalike_scores, lookalike_members, lookalikes');
}
