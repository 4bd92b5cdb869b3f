/**
 * The benchmarks of issue 7: each heavy path of the project against its physical baseline,
 * measured in the same run, on the same machine and the same PostgreSQL.
 *
 *   npm run bench                         all of them, small sizes (about a minute; CI runs this)
 *   npm run bench -- --size full          full sizes (or BENCH_SIZE=full)
 *   npm run bench -- ingest collect       some of them (names below; also npm run bench:<name>)
 *   npm run bench -- --json out.json      also write the results as JSON
 *
 * Names: ingest, audience, export, audience-merged, customer-file, collect, lookalike, console.
 *
 * PostgreSQL: DATABASE_URL when set (every benchmark then works in that database, in an ad
 * account of its own); otherwise a throw-away embedded cluster with the embedded default's settings
 * (fsync on), one fresh database per benchmark. Each benchmark runs in a child process of its own
 * (node --expose-gc), so the peak RSS it reports is that of the process running the service stack
 * (API, workers, the work itself) while its project path runs. The SFTP and S3 servers and the load
 * generator run in helper processes.
 *
 * Exit status: 1 only when a benchmark crashed; missed goals are reported, not failed.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../src/core/ports';
import { SERVICE_NODE_FLAGS } from '../src/core/gc-tuning';
import { runCollect } from './collect';
import { runConsole } from './console';
import { runCustomerFile } from './customer-file';
import { BenchResult, fmtRatio, fmtSec, quietKnownWarnings, Size, throughput } from './harness';
import { runIngest } from './ingest';
import { runLookalike } from './lookalike';
import { runProspects } from './prospects';

/** Benchmarks that share one child (and one set-up): audience and export read the same 10M profiles. */
const GROUPS: { names: string[]; module: string }[] = [
  { names: ['ingest'], module: 'ingest' },
  { names: ['audience', 'export', 'audience-merged'], module: 'prospects' },
  { names: ['customer-file'], module: 'customer-file' },
  { names: ['collect'], module: 'collect' },
  { names: ['lookalike'], module: 'lookalike' },
  { names: ['console'], module: 'console' },
];
const ALL = GROUPS.flatMap((g) => g.names);

interface Args {
  size: Size;
  names: string[];
  json?: string;
  child?: string;
}

function parseArgs(argv: string[]): Args {
  let size = (process.env.BENCH_SIZE ?? 'small') as Size;
  const names: string[] = [];
  let json: string | undefined;
  let child: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--size') size = argv[++i] as Size;
    else if (a.startsWith('--size=')) size = a.slice(7) as Size;
    else if (a === '--json') json = argv[++i];
    else if (a === '--child') child = argv[++i];
    else if (a === '--full') size = 'full';
    else if (a === '--small') size = 'small';
    else names.push(a);
  }
  if (size !== 'small' && size !== 'full') throw new Error(`--size is small or full, not ${size}`);
  for (const n of names) if (!ALL.includes(n)) throw new Error(`unknown benchmark ${n}; choose from ${ALL.join(', ')}`);
  return { size, names: names.length ? names : ALL, json, child };
}

// ---- child: runs one group ------------------------------------------------------------------------

async function runChild(module: string, names: string[], size: Size): Promise<BenchResult[]> {
  switch (module) {
    case 'ingest':
      return runIngest(size);
    case 'prospects':
      return runProspects(size, names);
    case 'customer-file':
      return runCustomerFile(size);
    case 'collect':
      return runCollect(size);
    case 'lookalike':
      return runLookalike(size);
    case 'console':
      return runConsole(size);
    default:
      throw new Error(`unknown module ${module}`);
  }
}

// ---- parent: PostgreSQL, children, table ----------------------------------------------------------

async function startPostgres(): Promise<{ urlFor(name: string): Promise<string>; drop(name: string): Promise<void>; description: string; version: string; stop(): Promise<void> }> {
  const versionOf = async (url: string) => {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      return String((await c.query('show server_version')).rows[0].server_version);
    } finally {
      await c.end();
    }
  };
  if (process.env.DATABASE_URL) {
    const url = process.env.DATABASE_URL;
    return { urlFor: async () => url, drop: async () => undefined, description: 'DATABASE_URL', version: await versionOf(url), stop: async () => undefined };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startEmbeddedPostgres } = require('../src/core/embedded-postgres') as typeof import('../src/core/embedded-postgres');
  const dataDir = fs.mkdtempSync(path.join(process.env.BENCH_TMPDIR ?? os.tmpdir(), 'cdp-bench-pg-'));
  const port = await freePort();
  // Not ephemeral: the embedded default's settings (fsync and synchronous commit on), deleted after.
  // BENCH_AUTO_EXPLAIN=<ms>: every statement slower than that is logged with its EXPLAIN ANALYZE (DDL with its duration)
  // (auto_explain, shipped with the embedded binaries) into BENCH_PG_LOG (default bench-postgres.log).
  const explainMs = process.env.BENCH_AUTO_EXPLAIN;
  const logFile = process.env.BENCH_PG_LOG ?? path.resolve('bench-postgres.log');
  const pgLog = explainMs
    ? ({ debug: (o: { postgres?: string }) => o.postgres && fs.appendFileSync(logFile, o.postgres + '\n'), info: () => undefined, warn: () => undefined } as unknown as import('../src/core/log').Logger)
    : undefined;
  const cluster = await startEmbeddedPostgres({ dataDir, port, ephemeral: false, log: pgLog });
  const admin = cluster.connectionString.replace(/\/cdp$/, '/postgres');
  const run = async (sql: string) => {
    const c = new Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  return {
    description: `embedded PostgreSQL (default settings, fsync on) in ${dataDir}`,
    version: await versionOf(admin),
    urlFor: async (name) => {
      const db = `bench_${name.replace(/[^a-z0-9]/g, '_')}`;
      await run(`drop database if exists ${db} with (force)`); // constant names, not input
      await run(`create database ${db}`);
      if (explainMs) {
        await run(`alter database ${db} set session_preload_libraries = 'auto_explain'`);
        await run(`alter database ${db} set auto_explain.log_min_duration = ${Number(explainMs)}`);
        await run(`alter database ${db} set auto_explain.log_analyze = on`);
        await run(`alter database ${db} set auto_explain.log_buffers = on`);
        // DDL (index builds, ALTER … ATTACH) has no plan: its duration is logged too.
        await run(`alter database ${db} set log_min_duration_statement = ${Number(explainMs)}`);
        process.stdout.write(`auto_explain: statements over ${Number(explainMs)} ms of ${db} are logged with their plans to ${logFile}\n`);
      }
      return admin.replace(/\/postgres$/, `/${db}`);
    },
    drop: async (name) => run(`drop database if exists bench_${name.replace(/[^a-z0-9]/g, '_')} with (force)`),
    stop: async () => {
      await cluster.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function runGroupInChild(module: string, names: string[], size: Size, databaseUrl: string): Promise<BenchResult[]> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child', module, '--size', size, ...names], {
      // As the service's own processes start (npm start): the benchmarks run the service in this child.
      execArgv: ['--expose-gc', ...SERVICE_NODE_FLAGS, ...process.execArgv],
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let results: BenchResult[] | undefined;
    let error: string | undefined;
    child.on('message', (m: { results?: BenchResult[]; error?: string }) => {
      results = m.results ?? results;
      error = m.error ?? error;
    });
    child.on('exit', (code, signal) => {
      if (results && code === 0) resolve(results);
      else reject(new Error(error ?? `benchmark process ${module} exited with ${signal ?? code}`));
    });
  });
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function printTable(results: BenchResult[], failures: { name: string; error: string }[], skipped: string[], machine: string): void {
  const rows = results.map((r) => [
    r.name,
    r.size,
    `${fmtSec(r.project.ms)}${r.project.amount !== undefined ? `, ${throughput(r.project)}` : ''}`,
    `${fmtSec(r.baseline.ms)}${r.baseline.amount !== undefined ? `, ${throughput(r.baseline)}` : ''}`,
    `${fmtRatio(r.ratio)} ${r.ratioKind === 'time' ? 'time' : 'rate'}${r.ratioNote ? `; ${r.ratioNote}` : ''}`,
    r.goal,
    r.checks.every((c) => c.ok) ? 'yes' : `NO (${r.checks.filter((c) => !c.ok).map((c) => (c.actual ? `${c.label}: ${c.actual}` : c.label)).join('; ')})`,
    `${r.project.peakRssMb.toFixed(0)} MB (baseline ${r.baseline.peakRssMb.toFixed(0)} MB)`,
  ]);
  const header = ['workload', 'size', 'project', 'baseline', 'ratio', 'goal', 'met?', 'peak RSS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => pad(c, widths[i])).join(' | ')} |`;
  process.stdout.write('\n' + line(header) + '\n' + line(widths.map((w) => '-'.repeat(w))) + '\n');
  for (const r of rows) process.stdout.write(line(r) + '\n');
  for (const f of failures) process.stdout.write(`| ${f.name} | crashed: ${f.error} |\n`);
  for (const n of skipped) process.stdout.write(`| ${n} | not measured (TODO, see bench/${n}.ts) |\n`);
  process.stdout.write(`\nmachine: ${machine}\n`);
  for (const r of results) {
    process.stdout.write(`\n${r.name} — ${r.workload}\n  project:  ${r.project.what}\n  baseline: ${r.baseline.what}\n`);
    for (const d of r.details) process.stdout.write(`  ${d}\n`);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) {
    quietKnownWarnings();
    try {
      const results = await runChild(args.child, args.names, args.size);
      process.send!({ results });
      process.exit(0);
    } catch (err) {
      console.error(err);
      process.send?.({ error: (err as Error).message });
      process.exit(1);
    }
  }

  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const loadBefore = load();
  const pg = await startPostgres();
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, ${os.type()} ${os.release()}, node ${process.version}, PostgreSQL ${pg.version} (${pg.description.split(' in ')[0]})`;
  process.stdout.write(`benchmarks (${args.size}): ${args.names.join(', ')}\n${machine}\nload average before: ${loadBefore}\n\n`);
  const results: BenchResult[] = [];
  const failures: { name: string; error: string }[] = [];
  const skipped: string[] = [];
  const started = Date.now();
  try {
    for (const group of GROUPS) {
      const names = group.names.filter((n) => args.names.includes(n));
      if (names.length === 0) continue;
      try {
        const url = await pg.urlFor(group.module);
        const loadAtStart = load();
        const got = await runGroupInChild(group.module, names, args.size, url);
        for (const r of got) r.details.push(`load average when it started: ${loadAtStart}; when it ended: ${load()}`);
        for (const n of names) if (!got.some((r) => r.name === n || r.name.startsWith(`${n}-`))) skipped.push(n);
        results.push(...got);
      } catch (err) {
        failures.push({ name: names.join(', '), error: (err as Error).message });
      } finally {
        await pg.drop(group.module).catch(() => undefined);
      }
    }
  } finally {
    await pg.stop();
  }
  const loadAfter = load();
  printTable(results, failures, skipped, `${machine}; load average before ${loadBefore}, after ${loadAfter}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
  const met = results.filter((r) => r.checks.every((c) => c.ok)).length;
  process.stdout.write(`\ngoals met at this size: ${met} of ${results.length} benchmarks${failures.length ? `; ${failures.length} crashed` : ''}\n`);
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ size: args.size, machine, loadBefore, loadAfter, results, failures }, null, 2));
  process.exit(failures.length ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
