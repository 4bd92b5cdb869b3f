import type { Knex } from 'knex';

/** campaigns, ad groups, messages, reactions and ad group targeting. */
export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
