import type { Knex } from 'knex';

/** talk channels and their friends. */
export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
