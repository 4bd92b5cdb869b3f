/**
 * What every benchmark shares: sizes, timing, peak memory (RSS) sampling, the real service stack
 * started in-process on DATABASE_URL (the runner gives each benchmark its own database), the local
 * SFTP/S3 servers in helper processes, and the result each benchmark reports.
 */
import { fork, ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { Session } from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/core/log';
import { client as demoClient } from '../src/demo/client';
import { Runtime, startRuntime } from '../src/runtime';

export type Size = 'small' | 'full';

/** One side of a comparison: the project's path or the baseline. */
export interface Side {
  /** What was run, in a few words. */
  what: string;
  ms: number;
  /** Units of work done (rows, events, bytes…); throughput = amount / seconds. */
  amount?: number;
  unit?: string;
  /** Peak RSS of the process doing the work during this side's run, MB. */
  peakRssMb: number;
}

export interface Check {
  label: string;
  ok: boolean;
  /** The measured figure, shown beside the label when the check is missed. */
  actual?: string;
}

export interface BenchResult {
  name: string;
  workload: string;
  size: string;
  project: Side;
  baseline: Side;
  /** How the ratio is read: `throughput` = project/baseline units per second; `time` = project/baseline time. */
  ratioKind: 'throughput' | 'time';
  ratio: number;
  /** Another ratio a check judges (e.g. the audience estimate's), shown beside the main one. */
  ratioNote?: string;
  goal: string;
  checks: Check[];
  /** Further lines (split of the time, verification, notes). */
  details: string[];
}

/**
 * The size of a benchmark: its table's entry for small/full, or BENCH_<NAME> (e.g.
 * BENCH_INGEST_ROWS=200000) to measure in between.
 */
export function sized(envName: string, table: Record<Size, number>, size: Size): number {
  const v = process.env[envName];
  return v ? Number(v) : table[size];
}

export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
/**
 * Ratios are printed with two decimals and judged on the printed figure, so a row never reads
 * "1.20×, NO" against "≤ 1.2×" (the goals have two digits; the third is noise between runs).
 */
export const fmtRatio = (r: number) => `${r.toFixed(2)}×`;
export const ratioAtMost = (r: number, goal: number) => Number(r.toFixed(2)) <= goal;
export const ratioAtLeast = (r: number, goal: number) => Number(r.toFixed(2)) >= goal;
export const fmtSec = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
export const perSecond = (amount: number, ms: number) => (amount / ms) * 1000;
export const throughput = (s: Side) => (s.amount === undefined ? '' : `${fmtInt(perSecond(s.amount, s.ms))} ${s.unit ?? 'rows'}/s`);

export function ratioOf(kind: 'throughput' | 'time', project: Side, baseline: Side): number {
  if (kind === 'time') return project.ms / baseline.ms;
  return perSecond(project.amount!, project.ms) / perSecond(baseline.amount!, baseline.ms);
}

/** The AWS SDK warns about node 20 on load; the benchmarks' output stays readable without it. */
export function quietKnownWarnings(): void {
  const listeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (w.name === 'NodeVersionSupportWarning' || w.message.includes('AWS SDK for JavaScript (v3)')) return;
    for (const l of listeners) l(w);
  });
}

export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Collects garbage when node runs with --expose-gc, so one phase's heap does not count for the next. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Peak RSS of this process while `fn` runs, sampled every 10 ms (and at both ends). The event loop
 * of every measured path here turns at least every few milliseconds (streams), so samples are not
 * starved.
 */
export async function measure<T>(
  fn: () => Promise<T>,
  profileAs?: string,
): Promise<{ value: T; ms: number; peakRssMb: number; startRssMb: number; peakHeapMb: number; peakExternalMb: number; peakAtMs: number; cpuMs: number }> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (dir && profileAs) return cpuProfiled(path.join(dir, `${profileAs}.cpuprofile`), () => measure(fn));
  collectGarbage();
  const startRss = process.memoryUsage.rss();
  let peak = startRss;
  let heap = 0;
  let external = 0;
  let peakAt = 0;
  let t0 = performance.now();
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > peak) peakAt = performance.now() - t0;
    peak = Math.max(peak, m.rss);
    heap = Math.max(heap, m.heapUsed);
    external = Math.max(external, m.external);
  };
  sample();
  const timer = setInterval(sample, 10);
  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  try {
    const value = await fn();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    sample();
    const mb = (n: number) => n / 2 ** 20;
    return { value, ms, peakRssMb: mb(peak), startRssMb: mb(startRss), peakHeapMb: mb(heap), peakExternalMb: mb(external), peakAtMs: peakAt, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    clearInterval(timer);
  }
}

/**
 * With BENCH_CPU_PROFILE=<folder>, the project path of each benchmark is CPU-profiled in the
 * service's process (node:inspector, only while it runs) into <folder>/<benchmark>.cpuprofile
 * (open it in Chrome DevTools or speedscope).
 */
async function cpuProfiled<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await post('Profiler.stop');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(profile));
    say(`  CPU profile of the project path: ${file}`);
    session.disconnect();
  }
}

/** A folder for this benchmark's files, removed by `cleanup()`. */
export function workDir(name: string): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(process.env.BENCH_TMPDIR ?? os.tmpdir(), `cdp-bench-${name}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export type Api = ReturnType<typeof demoClient> & {
  /** Polls GET path every `intervalMs` until done(body); returns that body. */
  poll<T = any>(p: string, done: (x: any) => boolean, opts?: { intervalMs?: number; timeoutMs?: number }): Promise<T>;
};

export interface Stack {
  runtime: Runtime;
  url: string;
  token: string;
  adAccountId: string;
  organizationId: string;
  api: Api;
  /** A plain pg client on the same database, for baselines. */
  pg: Client;
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * The real service (API, workers on the in-process queue, unless REDIS_URL is set) on
 * DATABASE_URL, with a fresh organisation, ad account and admin key. `env` overrides configuration
 * (e.g. the collector's rate limit).
 */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set: run benchmarks through dist/bench/index.js');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-data-'));
  const config = loadConfig({
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    CDP_ENCRYPTION_KEY: process.env.CDP_ENCRYPTION_KEY ?? randomBytes(32).toString('base64'),
    CDP_DATA_DIR: dataDir,
    ...env,
  });
  const log = createLogger(config.logLevel);
  const runtime = await startRuntime({ config, log, mode: 'all' });
  const s = runtime.services;
  const who = await s.db.transaction(async (tx) => {
    const org = await s.accounts.createOrganization(tx, `Bench ${Date.now()}`);
    const account = await s.accounts.createAdAccount(tx, org.id, 'Bench');
    const issued = await s.accounts.issueKey(tx, { organizationId: org.id, adAccountId: account.id, role: 'admin', name: 'bench', orgWide: true });
    return { organizationId: org.id, adAccountId: account.id, token: issued.token };
  });
  const base = demoClient(runtime.url!, who.token);
  const api: Api = {
    ...base,
    async poll(p, done, opts = {}) {
      const deadline = Date.now() + (opts.timeoutMs ?? 3_600_000);
      for (;;) {
        const x = await base.get(p);
        if (done(x)) return x;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${p}: ${JSON.stringify(x).slice(0, 300)}`);
        await new Promise((r) => setTimeout(r, opts.intervalMs ?? 10));
      }
    },
  };
  const pg = new Client({ connectionString: databaseUrl, application_name: 'cdp-bench-baseline' });
  await pg.connect();
  return {
    runtime,
    url: runtime.url!,
    ...who,
    api,
    pg,
    databaseUrl,
    close: async () => {
      await pg.end().catch(() => undefined);
      await runtime.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A local SFTP or S3 server (src/demo/local-*.ts) in its own process, so its CPU is not the service's. */
export interface HelperServer {
  info: Record<string, any>;
  stop(): Promise<void>;
}

export async function startHelperServer(kind: 'sftp' | 's3', root: string): Promise<HelperServer> {
  const child: ChildProcess = fork(path.join(__dirname, 'servers.js'), [kind, root], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const info = await new Promise<Record<string, any>>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Record<string, any>));
    child.once('exit', (code) => reject(new Error(`${kind} helper server exited with ${code}`)));
  });
  return {
    info,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await exited;
    },
  };
}

/** Shared by the prospect benchmarks: a Partner ID namespace, a profile-enabled prospect schema and dataset, every field labelled Third-Party. */
export async function prospectDataset(api: Api, stamp: string): Promise<{ namespace: string; schemaId: string; datasetId: string }> {
  const namespace = `acme${stamp}`;
  await api.post('/v1/namespaces', { name: `ACME Data partner id ${stamp}`, code: namespace, type: 'partner_id' });
  const schema = await api.post('/v1/schemas', {
    title: `ACME prospects ${stamp}`,
    classId: 'xdm:individual-prospect-profile',
    fieldGroupIds: ['fg:person-details', 'fg:personal-contact', 'fg:home-address', 'fg:consumer-demographics'],
    identities: [{ fieldPath: 'partnerID', namespace, primary: true }],
  });
  await api.post(`/v1/schemas/${schema.id}/enable-profile`);
  const dataset = await api.post('/v1/datasets', { name: `ACME prospects ${stamp}`, schemaId: schema.id });
  await api.post(`/v1/datasets/${dataset.id}/enable-profile`);
  await api.post(`/v1/schemas/${schema.id}/labels`, { labels: ['THIRD_PARTY'], fields: '*' });
  return { namespace, schemaId: schema.id, datasetId: dataset.id };
}

export const finished = (x: { status: string }) => x.status === 'success' || x.status === 'failed';

/**
 * POSTs a file as the request body with its Content-Length, as a browser or curl does (node:http:
 * no client-side timeout, unlike fetch, so long server-side work cannot cut it). Answers the JSON body.
 */
export function postFile(base: string, token: string, p: string, file: string, contentType = 'text/csv'): Promise<{ status: number; body: any }> {
  const url = new URL(p, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'content-length': fs.statSync(file).size } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: any = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    fs.createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(req);
  });
}

/**
 * A sampling profile of PostgreSQL while `fn` runs: every 20 ms, what each backend of the service
 * (application_name 'cdp') is doing (statement prefix, state, wait event). Shows where the
 * database's share of a path's time goes. Uses its own connection.
 */
export async function sampleDatabase<T>(databaseUrl: string, fn: () => Promise<T>): Promise<{ value: T; top: string[] }> {
  const c = new Client({ connectionString: databaseUrl, application_name: 'cdp-bench-sampler' });
  await c.connect();
  const seen = new Map<string, number>();
  let samples = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const r = await c.query(
        `select state, coalesce(wait_event_type || ':' || wait_event, 'cpu') as wait, regexp_replace(left(query, 90), '\\s+', ' ', 'g') as q
         from pg_stat_activity where application_name = 'cdp' and state <> 'idle' and pid <> pg_backend_pid()`,
      );
      samples++;
      for (const row of r.rows) {
        const key = `${row.wait.padEnd(24)} ${row.state === 'active' ? '' : `[${row.state}] `}${row.q}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  try {
    const value = await fn();
    return {
      value,
      top: [...seen]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([k, n]) => `${((n / Math.max(1, samples)) * 100).toFixed(0).padStart(3)} % of samples: ${k}`),
    };
  } finally {
    stop = true;
    await loop.catch(() => undefined);
    await c.end();
  }
}
