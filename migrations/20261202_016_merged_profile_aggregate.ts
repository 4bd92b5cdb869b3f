import type { Knex } from 'knex';

/**
 * `cdp_last(value order by seq)`: the last non-null value in the order given — the profile merge
 * (per attribute, the most recently merged batch's non-null value wins) as one aggregate, so an
 * audience over several datasets of a namespace is one GROUP BY inside PostgreSQL. array_agg(…)[1]
 * would do for scalars but cannot gather text[] values of different lengths. The strict transition
 * function skips nulls, and PostgreSQL takes the first non-null input as the initial state.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function cdp_last_step(anyelement, anyelement) returns anyelement
      language sql immutable strict parallel safe as 'select $2';
    create aggregate cdp_last(anyelement) (sfunc = cdp_last_step, stype = anyelement, parallel = safe);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop aggregate cdp_last(anyelement);
    drop function cdp_last_step(anyelement, anyelement);
  `);
}
