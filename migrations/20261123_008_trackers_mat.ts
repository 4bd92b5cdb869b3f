import type { Knex } from 'knex';

/** pixel & SDK trackers, rights, collected events; MAT link codes and postbacks. */
export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
