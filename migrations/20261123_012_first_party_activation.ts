import type { Knex } from 'knex';

/**
 * First-party targets in activations: which targets an activation exports and the members a run
 * pinned. A run materialises each target's exported identities on its first attempt (one row per
 * person and identity of the mapped kind; a person without one gets a row with a null identity,
 * counted as excluded), so a retried run exports exactly the same rows. The rows go when the run
 * finishes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table activations add column target_ids text[] not null default '{}';
    create index activations_target_ids on activations using gin (target_ids);

    -- the targets a run pinned (null until its first attempt pinned them)
    alter table activation_runs add column target_ids text[];

    create table activation_target_members (
      run_id text not null references activation_runs(id) on delete cascade,
      target_id text not null,
      person_id bigint not null,
      -- the exported value (hashes already computed); null: the person has no identity of the kind
      identity text
    );
    create index activation_target_members_run on activation_target_members (run_id, target_id, identity);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists activation_target_members;
    alter table activation_runs drop column if exists target_ids;
    drop index if exists activations_target_ids;
    alter table activations drop column if exists target_ids;
  `);
}
