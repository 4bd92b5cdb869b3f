import type { Knex } from 'knex';

/**
 * Snapshot rows are written only by the evaluation job, in the transaction that holds its
 * evaluation row locked, and removed with it (src/audiences/service.ts). The foreign key checked
 * each of the (millions of) member rows one trigger call at a time — about a quarter of storing a
 * snapshot — to guard a relation the service already keeps.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table audience_members drop constraint if exists audience_members_evaluation_id_fkey');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('delete from audience_members m where not exists (select 1 from audience_evaluations e where e.id = m.evaluation_id)');
  await knex.raw('alter table audience_members add constraint audience_members_evaluation_id_fkey foreign key (evaluation_id) references audience_evaluations(id) on delete cascade');
}
