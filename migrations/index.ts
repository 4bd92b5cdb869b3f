/**
 * Ordered list of schema migrations. Add new files here; never edit one that has shipped.
 * Each runs in its own transaction and is recorded in knex_migrations.
 */
import type { Knex } from 'knex';
import * as foundation from './20261123_001_foundation';
import * as datasets from './20261123_002_datasets';
import * as sources from './20261123_003_sources';
import * as audiences from './20261123_004_audiences';
import * as activation from './20261123_005_activation';

export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export const migrations: Migration[] = [
  { name: '20261123_001_foundation', ...foundation },
  { name: '20261123_002_datasets', ...datasets },
  { name: '20261123_003_sources', ...sources },
  { name: '20261123_004_audiences', ...audiences },
  { name: '20261123_005_activation', ...activation },
];
