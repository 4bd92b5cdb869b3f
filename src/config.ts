/**
 * The one place that reads the environment. Everything else receives a `Config`.
 * Every variable is listed in README.md ("Configuration").
 */
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';

export interface Config {
  /** HTTP bind address and port of the API. */
  host: string;
  port: number;
  /** PostgreSQL connection string; undefined → the embedded PostgreSQL under `dataDir`. */
  databaseUrl?: string;
  /** Pool size per process. */
  databasePoolMax: number;
  /** Project-local folder for the embedded PostgreSQL cluster and generated local secrets. */
  dataDir: string;
  /** Port of the embedded PostgreSQL (only used without DATABASE_URL). */
  embeddedPostgresPort: number;
  /** Redis connection string; undefined → jobs run in-process behind the same interface. */
  redisUrl?: string;
  /** Prefix of every Bull key in Redis, so several deployments can share one Redis. */
  queuePrefix: string;
  /** Jobs processed at once per worker process and queue. */
  workerConcurrency: number;
  /** How long a worker's lock on a Bull job lasts unrenewed: a killed worker's jobs are retried after it. */
  jobLockMs: number;
  /** How often each worker looks for due schedules (src/core/scheduler.ts). */
  schedulerIntervalMs: number;
  /** 32-byte key (base64) for credentials at rest; undefined → generated once under `dataDir`. */
  encryptionKey?: string;
  logLevel: string;
  /** Largest JSON request body accepted by the API. */
  jsonBodyLimit: string;
  /** Pixel collection endpoint: token bucket per track_id and client IP (sustained rate, burst). */
  collectRatePerSecond: number;
  collectBurst: number;
  /** How long collected events wait for others to share their transaction (group commit). */
  collectFlushMs: number;
  /** MAT postback endpoint: token bucket per link code and client IP (vendors post from few IPs). */
  postbackRatePerSecond: number;
  postbackBurst: number;
  /** A completed batch of at least this many rows becomes a partition of its dataset instead of being merged row by row. */
  ingestPartitionRows: number;
  /** Partitions a dataset may hold; larger batches beyond it are merged row by row (queries lock every partition). */
  ingestMaxPartitions: number;
  /** Threads that read CSV files into COPY text beside the event loop; 0 reads them on it. */
  ingestParseThreads: number;
  /** Statement timeout of a population (모수) count: longer counts fail with that reason and are retried. */
  populationCountTimeoutMs: number;
  /** How long a stopping process (SIGTERM, SIGINT) waits for requests in flight and running jobs before it exits anyway. */
  shutdownTimeoutMs: number;
  /**
   * Which proxies in front of the API are believed about the client address (X-Forwarded-For), which
   * the collection and postback rate limits key on: false → none (the peer's address), a number → that
   * many hops, a string → express's list of addresses and subnets (`loopback`, `10.0.0.0/8`, …).
   */
  trustProxy: false | number | string;
  /** GET /metrics: unset → loopback clients only; set → any client sending it as a bearer token. Never logged. */
  metricsToken?: string;
  /** A listener of its own serving only GET /metrics (e.g. for `cdp worker`); undefined → none. */
  metricsPort?: number;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`Configuration: ${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function str(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function trustProxy(env: Env): false | number | string {
  const raw = str(env, 'TRUST_PROXY');
  if (raw === undefined) return false;
  if (/^\d+$/.test(raw)) return int(env, 'TRUST_PROXY', 0, 0, 10);
  const entries = raw.split(',').map((e) => e.trim());
  const known = (e: string) => {
    const [address, bits, ...rest] = e.split('/');
    if (rest.length) return false;
    const family = net.isIP(address);
    return PROXY_NAMES.includes(e) || (family !== 0 && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))));
  };
  const bad = entries.find((e) => !known(e));
  if (bad !== undefined) {
    throw new Error(`Configuration: TRUST_PROXY must be a hop count (0–10) or a comma-separated list of ${PROXY_NAMES.join(', ')}, addresses and subnets (e.g. 10.0.0.0/8); got "${bad}"`);
  }
  return entries.join(',');
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const logLevel = str(env, 'LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new Error(`Configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${logLevel}"`);
  }
  const metricsToken = str(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) {
    throw new Error('Configuration: METRICS_TOKEN must be at least 16 characters (try `openssl rand -hex 32`)');
  }
  const encryptionKey = str(env, 'CDP_ENCRYPTION_KEY');
  if (encryptionKey !== undefined && Buffer.from(encryptionKey, 'base64').length !== 32) {
    throw new Error('Configuration: CDP_ENCRYPTION_KEY must be 32 bytes encoded as base64 (try `openssl rand -base64 32`)');
  }
  return {
    host: str(env, 'HOST') ?? '127.0.0.1',
    port: int(env, 'PORT', 8080, 0, 65535),
    databaseUrl: str(env, 'DATABASE_URL'),
    databasePoolMax: int(env, 'DATABASE_POOL_MAX', 10, 1, 500),
    dataDir: path.resolve(cwd, str(env, 'CDP_DATA_DIR') ?? '.cdp'),
    embeddedPostgresPort: int(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    redisUrl: str(env, 'REDIS_URL'),
    queuePrefix: str(env, 'QUEUE_PREFIX') ?? 'cdp',
    workerConcurrency: int(env, 'WORKER_CONCURRENCY', 4, 1, 256),
    jobLockMs: int(env, 'JOB_LOCK_MS', 30_000, 1000, 3_600_000),
    schedulerIntervalMs: int(env, 'SCHEDULER_INTERVAL_MS', 5000, 100, 600_000),
    encryptionKey,
    logLevel,
    jsonBodyLimit: str(env, 'JSON_BODY_LIMIT') ?? '1mb',
    collectRatePerSecond: int(env, 'COLLECT_RATE_PER_SECOND', 50, 1, 1_000_000),
    collectBurst: int(env, 'COLLECT_BURST', 500, 1, 10_000_000),
    collectFlushMs: int(env, 'COLLECT_FLUSH_MS', 5, 0, 1000),
    postbackRatePerSecond: int(env, 'POSTBACK_RATE_PER_SECOND', 200, 1, 1_000_000),
    postbackBurst: int(env, 'POSTBACK_BURST', 2000, 1, 10_000_000),
    ingestPartitionRows: int(env, 'INGEST_PARTITION_ROWS', 100_000, 1, 1_000_000_000),
    ingestMaxPartitions: int(env, 'INGEST_MAX_PARTITIONS', 32, 0, 1000),
    ingestParseThreads: int(env, 'INGEST_PARSE_THREADS', Math.min(4, os.availableParallelism()), 0, 64),
    populationCountTimeoutMs: int(env, 'POPULATION_COUNT_TIMEOUT_MS', 60_000, 100, 3_600_000),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 30_000, 0, 3_600_000),
    trustProxy: trustProxy(env),
    metricsToken,
    metricsPort: str(env, 'METRICS_PORT') === undefined ? undefined : int(env, 'METRICS_PORT', 0, 0, 65535),
  };
}

/**
 * What the `cdp` client commands need to call a running service. The environment wins over the
 * file `cdp login` writes (src/cli/client/credentials.ts reads it).
 */
export interface ClientConfig {
  /** Base URL of the API, without a trailing slash. */
  url?: string;
  apiKey?: string;
  /** `$XDG_CONFIG_HOME/cdp/credentials.json` (XDG_CONFIG_HOME defaults to ~/.config). */
  credentialsFile: string;
}

export function loadClientConfig(env: Env = process.env): ClientConfig {
  const url = str(env, 'CDP_URL');
  if (url !== undefined) checkApiUrl(url, 'CDP_URL');
  const configHome = str(env, 'XDG_CONFIG_HOME') ?? path.join(os.homedir(), '.config');
  return {
    url: url?.replace(/\/+$/, ''),
    apiKey: str(env, 'CDP_API_KEY'),
    credentialsFile: path.join(configHome, 'cdp', 'credentials.json'),
  };
}

/** An http(s) URL of the API, or an error naming where it came from. */
export function checkApiUrl(url: string, source: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new Error(`Configuration: ${source} must be the API's http(s) URL, e.g. http://127.0.0.1:8080; got "${url}"`);
  }
}
