/**
 * Workloads 2 and 3 over one set of prospect profiles (set-up, not measured: generated rows loaded
 * through the project's own batch path, `POST /v1/datasets/{id}/data`, in batches of ≤ 1M rows,
 * then VACUUM ANALYZE).
 *
 * 2. audience: a 5-condition rule (city in a list, age, income, interests intersect a list, car
 *    owner) over every profile.
 *    - estimate: `POST /v1/audiences/estimate` vs the hand-written `select count(*)` of the same
 *      conditions on the same table;
 *    - evaluation: `POST /v1/audiences/{id}/evaluations` polled until it succeeded (the membership
 *      snapshot is stored) vs the hand-written `insert … select` of the members into a table shaped
 *      like audience_members (same primary key and index). Goal: ≤ 1.2× the baseline's time.
 *      The second and third evaluations (entered/exited against the previous snapshot, the oldest
 *      snapshot dropped) are measured against the same work written by hand (store the snapshot,
 *      count entered and exited with a full join, delete the oldest snapshot; one transaction
 *      each). Goal: ≤ 1.3× each.
 * 2c. audience insights (issue 16 §3), each vs a hand-written statement of the same work on the same
 *    table (medians of 3 after a warm-up, alternating), over HTTP. Goal: each ≤ 1.5× the baseline's time.
 *    - breakdown: `POST /v1/audiences/breakdown` of `consumer.age >= 30` (most profiles) by city
 *      (top 10, other, nulls) and by income (20 equal-width bins, nulls);
 *    - sample: the 5-condition rule's 50 profiles with 8 attributes — its statement (milliseconds:
 *      over HTTP the request's fixed cost would be the figure; that time is shown too);
 *    - overlap: `POST /v1/audiences/overlap` of three evaluated audiences (set-up, not measured).
 * 3. export: an audience of every profile is evaluated (set-up), then an activation to the local
 *    S3-compatible store (gzip CSV: partner id, city, age range) is run over HTTP until it
 *    succeeded, vs `COPY (the same rows, same order) TO STDOUT (format csv, header)` through gzip
 *    (zlib, default level as the project) into a local file. Goal: ≥ 0.5× its rows/s, RSS ≤ 256 MB.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ident } from '../src/core/sql';
import { PROSPECT_COLUMNS, prospectCsvStream } from '../src/demo/generate';
import { dataTable, qualifiedData, StoredColumn } from '../src/datasets/storage';
import { mergedAudienceBench } from './merged';
import { sampleDatabase, sized, BenchResult, collectGarbage, fmtInt, fmtRatio, fmtSec, measure, prospectDataset, ratioAtLeast, ratioAtMost, ratioOf, say, Side, Size, Stack, startHelperServer, startStack, workDir } from './harness';

export const PROFILES: Record<Size, number> = { small: 100_000, full: 10_000_000 };
const LOAD_BATCH = 1_000_000;
/** Rows loaded through the project's batch path before the rest is loaded directly (BENCH_SETUP=project: all). */
const PROJECT_LOAD = 200_000;

export const AUDIENCE_RULE =
  'homeAddress.city in ["Seoul", "Busan", "Incheon"] and consumer.age >= 30 and consumer.income >= 60000000 and intersects(consumer.interests, ["travel", "golf"]) and consumer.carOwner = true';

/**
 * Set-up at full size: generated rows COPY'd into an untyped table, then inserted into the dataset's
 * table with SQL casts as current profile records of the project's first batch (the contact fields
 * are not normalised as the project would; no benchmark reads them).
 */
async function directLoad(pg: Client, table: string, columns: StoredColumn[], from: number, to: number, firstPart: number, t0: number): Promise<void> {
  const [ref] = (await pg.query(`select "_cdp_batch_id" as batch, "_cdp_batch_seq" as seq from ${table} limit 1`)).rows;
  const byPath = new Map(columns.map((c) => [c.fieldPath, c]));
  const targets: string[] = [];
  const values: string[] = [];
  PROSPECT_COLUMNS.forEach((p, i) => {
    const c = byPath.get(p);
    if (!c) throw new Error(`the dataset has no column for ${p}`);
    targets.push(ident(c.columnName));
    values.push(c.columnType === 'text[]' ? `array(select jsonb_array_elements_text(nullif(c${i}, '')::jsonb))` : `nullif(c${i}, '')::${c.columnType}`);
  });
  const identity = `c${PROSPECT_COLUMNS.indexOf('partnerID')}`;
  await pg.query(`drop table if exists bench_raw; create unlogged table bench_raw (${PROSPECT_COLUMNS.map((_p, i) => `c${i} text`).join(', ')})`);
  for (let loaded = from, part = firstPart; loaded < to; part++) {
    const n = Math.min(LOAD_BATCH, to - loaded);
    await pg.query('truncate bench_raw');
    await pipeline(prospectCsvStream(n, 100 + part, `ACME${part}`), pg.query(copyFrom('copy bench_raw from stdin (format csv, header true)')));
    await pg.query(
      `insert into ${table} ("_cdp_batch_id", "_cdp_batch_seq", "_cdp_file", "_cdp_row", "_cdp_identity", "_cdp_current", "_cdp_profile", ${targets.join(', ')})
       select $1, $2, ${part}, row_number() over (), ${identity}, true, true, ${values.join(', ')} from bench_raw`,
      [ref.batch, ref.seq],
    );
    loaded += n;
    say(`  set-up: ${fmtInt(loaded)} of ${fmtInt(to)} profiles loaded (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  await pg.query('drop table bench_raw');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runProspects(size: Size, names: string[]): Promise<BenchResult[]> {
  const profiles = sized('BENCH_PROFILES', PROFILES, size);
  const wd = workDir('prospects');
  const s3 = names.includes('export') ? await startHelperServer('s3', path.join(wd.dir, 's3')) : undefined;
  const stack = await startStack();
  const { api, pg } = stack;
  const results: BenchResult[] = [];
  try {
    const stamp = Date.now().toString(36);
    const ds = await prospectDataset(api, stamp);
    const table = qualifiedData(dataTable(ds.datasetId));
    const t0 = Date.now();
    // The first PROJECT_LOAD rows (all of them at small size) through the project's batch path; the
    // rest, at full size, straight into the dataset's table (set-up time is not what is measured).
    const viaProject = process.env.BENCH_SETUP === 'project' ? profiles : Math.min(profiles, PROJECT_LOAD);
    let loaded = 0;
    let part = 0;
    for (; loaded < viaProject; part++) {
      const n = Math.min(LOAD_BATCH, viaProject - loaded);
      const batch = await api.upload(`/v1/datasets/${ds.datasetId}/data?format=csv&fileName=acme_${part}.csv`, prospectCsvStream(n, 100 + part, `ACME${part}`), 'text/csv');
      if (batch.status !== 'success' || batch.counts.output !== n) throw new Error(`set-up load failed: ${JSON.stringify(batch).slice(0, 500)}`);
      loaded += n;
      if (profiles > PROJECT_LOAD) say(`  set-up: ${fmtInt(loaded)} of ${fmtInt(profiles)} profiles loaded through the project (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    const projectMs = Date.now() - t0;
    if (loaded < profiles) {
      const columns = await stack.runtime.services.datasets.columnsOf(stack.runtime.services.db, ds.datasetId);
      await directLoad(pg, table, columns, loaded, profiles, part, t0);
    }
    await pg.query(`vacuum analyze ${table}`);
    const loadMs = Date.now() - t0;
    // The dataset's table is partitioned: its size is its partitions'.
    const tableSize = String((await pg.query(`select pg_size_pretty(sum(pg_total_relation_size(relid))) as s from pg_partition_tree($1::regclass)`, [table])).rows[0].s);
    say(
      `prospects: ${fmtInt(profiles)} profiles loaded in ${fmtSec(loadMs)}: ${fmtInt(Math.min(profiles, viaProject))} through POST /v1/datasets/{id}/data (${fmtInt((Math.min(profiles, viaProject) / projectMs) * 1000)} rows/s)` +
        `${viaProject < profiles ? `, ${fmtInt(profiles - viaProject)} by COPY + INSERT … SELECT into the dataset's table` : ''}; table ${tableSize} — set-up, not measured`,
    );

    const columns = new Map((await stack.runtime.services.datasets.columnsOf(stack.runtime.services.db, ds.datasetId)).map((c) => [c.fieldPath, ident(c.columnName)]));
    const col = (p: string) => columns.get(p)!;

    if (names.includes('audience')) results.push(await audienceBench(stack, size, profiles, ds, table, col, tableSize));
    if (names.includes('audience')) results.push(await insightsBench(stack, size, profiles, table, col));
    if (names.includes('export')) results.push(await exportBench(stack, profiles, ds, table, col, s3!.info, wd.dir));
    // Last: its second dataset makes the namespace's audiences merged ones.
    if (names.includes('audience-merged')) results.push(await mergedAudienceBench(stack, size, profiles, ds, table, col));
    return results;
  } finally {
    await stack.close();
    await s3?.stop();
    wd.cleanup();
  }
}

async function audienceBench(
  stack: Stack,
  size: Size,
  profiles: number,
  ds: { namespace: string; datasetId: string },
  table: string,
  col: (p: string) => string,
  tableSize: string,
): Promise<BenchResult> {
  const { api, pg } = stack;
  const reps = 3;
  const handWhere = `"_cdp_current" and "_cdp_profile"
      and ${col('homeAddress.city')} in ('Seoul', 'Busan', 'Incheon')
      and ${col('consumer.age')} >= 30
      and ${col('consumer.income')} >= 60000000
      and ${col('consumer.interests')} && array['travel', 'golf']
      and ${col('consumer.carOwner')}`;
  const handSelect = `select "_cdp_identity" as identity from ${table} where ${handWhere}`;
  const nsId = (await api.get(`/v1/namespaces`)).items.find((n: { code: string }) => n.code === ds.namespace).id as string;

  // Estimate vs count(*), alternating, median of `reps`.
  const estP: number[] = [];
  const estB: number[] = [];
  let size1 = 0;
  let size2 = 0;
  for (let i = 0; i < reps + 1; i++) {
    const b = await measure(async () => Number((await pg.query(`select count(*)::bigint as n from (${handSelect}) m`)).rows[0].n));
    const p = await measure(() => api.post('/v1/audiences/estimate', { rule: AUDIENCE_RULE }));
    if (i === 0) continue; // warm-up (plans, caches, JIT)
    estB.push(b.ms);
    estP.push(p.ms);
    size1 = b.value;
    size2 = p.value.size;
  }
  if (size1 !== size2) throw new Error(`the estimate (${size2}) differs from the hand-written count (${size1})`);

  // Evaluation vs insert … select into a table shaped like audience_members.
  await pg.query('drop table if exists bench_members; create table bench_members (like audience_members including all)');
  const baseRuns: { ms: number; peakRssMb: number }[] = [];
  for (let i = 0; i < reps; i++) {
    await pg.query('truncate bench_members');
    const b = await measure(async () => pg.query(`insert into bench_members (evaluation_id, namespace_id, identity, ad_account_id) select $1, $2, identity, $3 from (${handSelect}) m`, [`bench${i}`, nsId, stack.adAccountId]));
    if (b.value.rowCount !== size1) throw new Error(`hand-written insert stored ${b.value.rowCount} members, expected ${size1}`);
    baseRuns.push(b);
  }
  // Re-evaluations' baseline: the same work written by hand in one transaction each — store the
  // snapshot, count entered and exited against the previous one, and (the third) drop the oldest.
  await pg.query('truncate bench_members');
  await pg.query(`insert into bench_members (evaluation_id, namespace_id, identity, ad_account_id) select 'r1', $1, identity, $2 from (${handSelect}) m`, [nsId, stack.adAccountId]);
  const reRuns: number[] = [];
  for (const [k, dropOldest] of [[2, false], [3, true]] as const) {
    const r = await measure(async () => {
      await pg.query('begin');
      const ins = await pg.query(`insert into bench_members (evaluation_id, namespace_id, identity, ad_account_id) select $1, $2, identity, $3 from (${handSelect}) m`, [`r${k}`, nsId, stack.adAccountId]);
      const counts = await pg.query(
        `select count(*) filter (where o.identity is null) as e, count(*) filter (where n.identity is null) as x
         from (select namespace_id, identity from bench_members where evaluation_id = $1) n
         full join (select namespace_id, identity from bench_members where evaluation_id = $2) o on o.namespace_id = n.namespace_id and o.identity = n.identity`,
        [`r${k}`, `r${k - 1}`],
      );
      if (dropOldest) await pg.query(`delete from bench_members where evaluation_id = $1`, [`r${k - 2}`]);
      await pg.query('commit');
      return { members: ins.rowCount, counts: counts.rows[0] };
    });
    if (r.value.members !== size1) throw new Error(`hand-written re-evaluation stored ${r.value.members} members, expected ${size1}`);
    reRuns.push(r.ms);
  }
  await pg.query('drop table bench_members');
  const audience = await api.post('/v1/audiences', { name: `Seoul-Busan-Incheon car owners ${Date.now()}`, rule: AUDIENCE_RULE, status: 'published' });
  const evals: { ms: number; peakRssMb: number; serverMs: number; members: number }[] = [];
  const stuck: string[] = [];
  for (let i = 0; i < reps; i++) {
    // Re-evaluations get a deadline: a statement that runs away (see README, Performance) is
    // cancelled and reported instead of holding the run for hours.
    const deadlineMs = i === 0 ? 3_600_000 : Math.max(120_000, 20 * evals[0].ms);
    let evaluationId = '';
    const m = await measure(async () => {
      const ev = await api.post(`/v1/audiences/${audience.id}/evaluations`);
      evaluationId = ev.id;
      const until = Date.now() + deadlineMs;
      // Every 25 ms: finer polling (it was 5 ms) is itself load — an HTTP request and two queries per
      // poll on the two cores the parallel scan needs — for a resolution the figures do not use.
      return api.poll(`/v1/audiences/${audience.id}/evaluations/${ev.id}`, (x) => x.status === 'success' || x.status === 'failed' || Date.now() > until, { intervalMs: 25 });
    }, i === 0 ? 'audience' : undefined);
    if (i > 0 && m.value.status !== 'success') {
      const running = await pg.query(
        `select pid, now() - query_start as age, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) as q from pg_stat_activity
         where datname = current_database() and application_name = 'cdp' and state = 'active' and query like '%audience_members%'`,
      );
      for (const r of running.rows) await pg.query('select pg_cancel_backend($1)', [r.pid]);
      await api.poll(`/v1/audiences/${audience.id}/evaluations/${evaluationId}`, (x) => x.status === 'success' || x.status === 'failed', { intervalMs: 100, timeoutMs: 120_000 });
      stuck.push(
        `evaluation ${i + 1} did not finish within ${fmtSec(deadlineMs)} (${m.value.status}); cancelled: ${running.rows.map((r) => `${r.q}… (running ${String(r.age.minutes ?? 0)} min ${String(r.age.seconds ?? 0)} s)`).join('; ') || 'nothing running'}`,
      );
      break;
    }
    if (m.value.status !== 'success') throw new Error(`evaluation failed: ${m.value.error}`);
    if (m.value.counts.members !== size1) throw new Error(`evaluation found ${m.value.counts.members} members, expected ${size1}`);
    evals.push({ ms: m.ms, peakRssMb: m.peakRssMb, serverMs: Date.parse(m.value.finishedAt) - Date.parse(m.value.createdAt), members: m.value.counts.members });
  }
  const base = baseRuns.reduce((a, b) => (b.ms < a.ms ? b : a)); // best of the baseline's runs
  const baseMs = median(baseRuns.map((r) => r.ms));
  const project: Side = { what: 'first evaluation: POST …/evaluations, polled every 25 ms until success (snapshot stored)', ms: evals[0].ms, amount: profiles, unit: 'profiles', peakRssMb: evals[0].peakRssMb };
  const baseline: Side = { what: 'hand-written INSERT … SELECT of the members into a table like audience_members (median of 3)', ms: baseMs, amount: profiles, unit: 'profiles', peakRssMb: base.peakRssMb };
  const ratio = ratioOf('time', project, baseline);
  const estRatio = median(estP) / median(estB);
  const reRatios = reRuns.map((ms, i) => (evals[i + 1] ? evals[i + 1].ms / ms : NaN));
  const details = [
    `table: ${fmtInt(profiles)} profiles, ${tableSize}; ${fmtInt(size1)} members (${((size1 / profiles) * 100).toFixed(1)} %)`,
    `estimate (POST /v1/audiences/estimate) ${fmtSec(median(estP))} vs hand-written select count(*) ${fmtSec(median(estB))}: ${fmtRatio(estRatio)} time (medians of ${reps})`,
    `evaluations 1, 2, 3 (2 and 3 also count entered/exited against the previous snapshot; 3 drops snapshot 1): ${evals.map((e) => fmtSec(e.ms)).join(', ')} → ${evals.map((e) => fmtRatio(e.ms / baseMs)).join(', ')} the first evaluation's baseline; server-side (created → finished) ${evals.map((e) => fmtSec(e.serverMs)).join(', ')}`,
    `re-evaluations 2 and 3 vs the same work by hand (INSERT … SELECT, entered/exited by a full join count, 3 also deletes snapshot 1; one transaction each): ${reRatios.map((r, i) => `${fmtSec(evals[i + 1]?.ms ?? NaN)} vs ${fmtSec(reRuns[i])} = ${fmtRatio(r)}`).join('; ')}`,
    ...stuck,
  ];
  const met = [
    { label: 'first evaluation ≤ 1.2× time', ok: ratioAtMost(ratio, 1.2), actual: fmtRatio(ratio) },
    { label: 'estimate ≤ 1.2× time', ok: ratioAtMost(estRatio, 1.2), actual: fmtRatio(estRatio) },
    ...reRatios.map((r, i) => ({ label: `re-evaluation ${i + 2} ≤ 1.3× the same work by hand`, ok: ratioAtMost(r, 1.3), actual: fmtRatio(r) })),
    ...(stuck.length ? [{ label: 're-evaluation finished', ok: false }] : []),
  ];
  if (!met.every((c) => c.ok)) details.push(...(await explainBoth(stack, audience.id, handSelect)));
  return {
    name: 'audience',
    workload: 'evaluate a 5-condition audience over prospect profiles',
    size: `${fmtInt(profiles)} profiles${size === 'small' ? ' (small)' : ''}`,
    project,
    baseline,
    ratioKind: 'time',
    ratio,
    ratioNote: `estimate ${fmtRatio(estRatio)}; re-evaluations ${reRatios.map(fmtRatio).join(', ')}`,
    goal: '≤ 1.2× time (evaluation and estimate); re-evaluations ≤ 1.3×',
    checks: met,
    details,
  };
}

/** EXPLAIN ANALYZE of the project's compiled statement and the hand-written one (for the report). */
async function explainBoth(stack: Stack, audienceId: string, handSelect: string): Promise<string[]> {
  const s = stack.runtime.services;
  const caller = { keyId: 'bench', role: 'marketer' as const, organizationId: stack.organizationId, adAccountId: stack.adAccountId, orgWide: false };
  const resolved = await s.audiences.resolveRule(caller, AUDIENCE_RULE);
  const { sql, bindings } = s.audiences.membersSql(resolved.sources);
  const lines = (r: { rows: Record<string, string>[] }) => r.rows.map((x) => `    ${x['QUERY PLAN']}`);
  const proj = await s.db.raw(`explain (analyze, buffers) select count(*) from (${sql}) m`, bindings as never[]);
  const hand = await stack.pg.query(`explain (analyze, buffers) select count(*) from (${handSelect}) m`);
  void audienceId;
  return ['EXPLAIN ANALYZE, project statement (count):', ...lines(proj), 'EXPLAIN ANALYZE, hand-written (count):', ...lines(hand)];
}

async function exportBench(
  stack: Stack,
  profiles: number,
  ds: { namespace: string; datasetId: string },
  table: string,
  col: (p: string) => string,
  s3: Record<string, any>,
  dir: string,
): Promise<BenchResult> {
  const { api, pg } = stack;
  // Set-up: an audience of everyone (ages are 20–69), evaluated.
  const everyone = await api.post('/v1/audiences', { name: `Everyone ${Date.now()}`, rule: 'consumer.age >= 18', status: 'published' });
  const evStarted = Date.now();
  const ev = await api.post(`/v1/audiences/${everyone.id}/evaluations`);
  const evaluation = await api.poll(`/v1/audiences/${everyone.id}/evaluations/${ev.id}`, (x) => x.status === 'success' || x.status === 'failed', { intervalMs: 20 });
  if (evaluation.status !== 'success' || evaluation.counts.members !== profiles) throw new Error(`set-up evaluation: ${JSON.stringify(evaluation)}`);
  const evalMs = Date.now() - evStarted;
  await pg.query('vacuum analyze audience_members');

  const destination = await api.post('/v1/destinations', {
    name: `Local S3 ${Date.now()}`,
    kind: 's3',
    settings: { region: s3.region, endpoint: s3.endpoint, bucket: s3.bucket, prefix: 'prospects/', compression: 'gzip', format: 'csv' },
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  const created = await api.post('/v1/activations', {
    name: `Everyone to S3 ${Date.now()}`,
    destinationId: destination.id,
    audienceIds: [everyone.id],
    schedule: { type: 'after_evaluation' },
    mapping: {
      identity: { namespace: ds.namespace, column: 'partner_id' },
      attributes: [
        { field: 'homeAddress.city', column: 'city' },
        { field: 'consumer.ageRange', column: 'age_range' },
      ],
    },
  });
  const activationId = created.activation.id as string;

  // Baseline: the same rows in the same order, COPY … TO STDOUT through gzip into a local file.
  const out = path.join(dir, 'baseline.csv.gz');
  const nsId = (await api.get(`/v1/namespaces`)).items.find((n: { code: string }) => n.code === ds.namespace).id as string;
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const copySql = `copy (
      select m.identity as partner_id, d.${col('homeAddress.city')} as city, d.${col('consumer.ageRange')} as age_range
      from audience_members m join ${table} d on d."_cdp_identity" = m.identity and d."_cdp_current" and d."_cdp_profile"
      where m.evaluation_id = ${lit(ev.id)} and m.namespace_id = ${lit(nsId)}
      order by m.identity
    ) to stdout (format csv, header true)`;
  collectGarbage();
  const base = await measure(async () => {
    let lines = 0;
    const stream = pg.query(copyTo(copySql));
    stream.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    await pipeline(stream, createGzip(), fs.createWriteStream(out));
    return lines - 1;
  });
  const baseBytes = fs.statSync(out).size;
  fs.rmSync(out);
  if (base.value !== profiles) throw new Error(`baseline COPY wrote ${base.value} rows, expected ${profiles}`);

  const sampled = await sampleDatabase(stack.databaseUrl, () => measure(async () => {
    const run = await api.post(`/v1/activations/${activationId}/runs`);
    return api.poll(`/v1/activations/${activationId}/runs/${run.id}`, (x) => x.status === 'success' || x.status === 'failed', { intervalMs: 20 });
  }, 'export'));
  const proj = sampled.value;
  const run = proj.value;
  if (run.status !== 'success') throw new Error(`activation run failed: ${run.error}`);
  if (run.counts.activated !== profiles) throw new Error(`activation exported ${run.counts.activated} rows, expected ${profiles}`);
  const files = run.files as { name: string; rows: number; bytes: number }[];
  const projBytes = files.reduce((n, f) => n + Number(f.bytes), 0);
  const serverMs = Date.parse(run.finishedAt) - Date.parse(run.startedAt);

  const project: Side = { what: 'activation run to the local S3 store: gzip CSV (partner id, city, age range), multipart upload', ms: proj.ms, amount: run.counts.activated, unit: 'rows', peakRssMb: proj.peakRssMb };
  const baseline: Side = { what: 'COPY (members ⨝ current records, ordered) TO STDOUT → zlib gzip → local file', ms: base.ms, amount: base.value, unit: 'rows', peakRssMb: base.peakRssMb };
  const ratio = ratioOf('throughput', project, baseline);
  return {
    name: 'export',
    workload: 'export an audience to the S3-compatible store as gzip CSV',
    size: `${fmtInt(profiles)} members`,
    project,
    baseline,
    ratioKind: 'throughput',
    ratio,
    goal: '≥ 0.5× rows/s; RSS ≤ 256 MB',
    checks: [
      { label: '≥ 0.5× baseline rows/s', ok: ratioAtLeast(ratio, 0.5), actual: fmtRatio(ratio) },
      { label: 'RSS ≤ 256 MB', ok: Math.round(proj.peakRssMb) <= 256, actual: `${proj.peakRssMb.toFixed(0)} MB` },
    ],
    details: [
      `set-up evaluation of the ${fmtInt(profiles)}-member audience: ${fmtSec(evalMs)}`,
      `files: ${files.map((f) => `${f.name} (${fmtInt(f.rows)} rows, ${(Number(f.bytes) / 1e6).toFixed(1)} MB)`).join(', ')}; baseline file ${(baseBytes / 1e6).toFixed(1)} MB`,
      `run as seen by the server (startedAt → finishedAt): ${fmtSec(serverMs)}`,
      `RSS of the service process: ${proj.startRssMb.toFixed(0)} MB before the run, peak ${proj.peakRssMb.toFixed(0)} MB during it; peak JS heap used ${proj.peakHeapMb.toFixed(0)} MB, external ${proj.peakExternalMb.toFixed(0)} MB`,
      `project bytes ${(projBytes / 1e6).toFixed(1)} MB`,
      'PostgreSQL during the run (backends of the service; sampled every 20 ms):',
      ...sampled.top.map((l) => `  ${l}`),
    ],
  };
}

export const BREAKDOWN_RULE = 'consumer.age >= 30';
const SAMPLE_FIELDS = ['homeAddress.city', 'consumer.age', 'consumer.ageRange', 'consumer.income', 'consumer.carOwner', 'consumer.interests', 'consumer.lastPurchaseDate', 'person.name.lastName'];
const OVERLAP_RULES = ['homeAddress.city in ["Seoul", "Busan"]', 'consumer.age >= 40', 'consumer.carOwner = true'];

/** Sample, breakdowns and overlap vs hand-written statements of the same work (workload 2c). */
async function insightsBench(stack: Stack, size: Size, profiles: number, table: string, col: (p: string) => string): Promise<BenchResult> {
  const { api, pg } = stack;
  const reps = 3;
  const visible = `"_cdp_current" and "_cdp_profile"`;
  /** Alternating project / baseline, first pair a warm-up; medians, and both answers of the last pair. */
  const pair = async <P, B>(project: () => Promise<P>, baseline: () => Promise<B>) => {
    const p: number[] = [];
    const b: number[] = [];
    let last: { p: P; b: B } | undefined;
    let peakRssMb = 0;
    for (let i = 0; i < reps + 1; i++) {
      const bb = await measure(baseline);
      const pp = await measure(project);
      if (i === 0) continue;
      b.push(bb.ms);
      p.push(pp.ms);
      peakRssMb = Math.max(peakRssMb, pp.peakRssMb);
      last = { p: pp.value, b: bb.value };
    }
    return { projectMs: median(p), baselineMs: median(b), peakRssMb, ...last! };
  };

  // Breakdown by a string: top 10 with other and nulls.
  const city = col('homeAddress.city');
  const age = col('consumer.age');
  const byCity = await pair(
    () => api.post('/v1/audiences/breakdown', { rule: BREAKDOWN_RULE, field: 'homeAddress.city', top: 10 }),
    async () =>
      (
        await pg.query(
          `with g as (select ${city} as value, count(*) as n from ${table} where ${visible} and ${age} >= 30 group by 1),
                t as (select value, n from g where value is not null order by n desc, value collate "C" limit 10)
           select 'top' as part, value, n from t
           union all select 'null', null, coalesce(sum(n), 0) from g where value is null
           union all select 'other', null, (select coalesce(sum(n), 0) from g where value is not null) - (select coalesce(sum(n), 0) from t)`,
        )
      ).rows as { part: string; value: string | null; n: string }[],
  );
  const handTop = byCity.b.filter((r) => r.part === 'top').map((r) => ({ value: r.value, count: Number(r.n) }));
  if (JSON.stringify(byCity.p.attribute.values) !== JSON.stringify(handTop) || byCity.p.attribute.other !== Number(byCity.b.find((r) => r.part === 'other')!.n)) {
    throw new Error(`the city breakdown differs from the hand-written one: ${JSON.stringify(byCity.p.attribute).slice(0, 400)}`);
  }

  // Breakdown by a number: 20 equal-width bins and nulls.
  const income = col('consumer.income');
  const byIncome = await pair(
    () => api.post('/v1/audiences/breakdown', { rule: BREAKDOWN_RULE, field: 'consumer.income', bins: 20 }),
    async () =>
      (
        await pg.query(
          `with g as (select ${income}::double precision as k, count(*) as n from ${table} where ${visible} and ${age} >= 30 group by 1),
                s as (select min(k) as lo, max(k) as hi from g)
           select least(floor((k - lo) / ((hi - lo) / 20))::int, 19) as b, sum(n)::bigint as n from g, s where k is not null group by 1
           union all select -1, coalesce(sum(n), 0)::bigint from g where k is null`,
        )
      ).rows as { b: number; n: string }[],
  );
  const handBins = byIncome.b.filter((r) => r.b >= 0).sort((x, y) => x.b - y.b).map((r) => Number(r.n));
  const projBins = byIncome.p.attribute.bins.map((x: { count: number }) => x.count).filter((n: number) => n > 0);
  if (JSON.stringify(projBins) !== JSON.stringify(handBins)) throw new Error(`the income histogram differs from the hand-written one: ${JSON.stringify(projBins)} vs ${JSON.stringify(handBins)}`);

  // Sample: 50 profiles of the 5-condition rule with 8 attributes.
  const handWhere = `${visible}
      and ${col('homeAddress.city')} in ('Seoul', 'Busan', 'Incheon') and ${col('consumer.age')} >= 30 and ${col('consumer.income')} >= 60000000
      and ${col('consumer.interests')} && array['travel', 'golf'] and ${col('consumer.carOwner')}`;
  const sample = await pair(
    () => api.post('/v1/audiences/sample', { rule: AUDIENCE_RULE, limit: 50, fields: SAMPLE_FIELDS }),
    async () => (await pg.query(`select "_cdp_identity" as identity, ${SAMPLE_FIELDS.map((f) => `to_jsonb(${col(f)})`).join(', ')} from ${table} where ${handWhere} limit 50`)).rows,
  );
  if (sample.p.items.length !== sample.b.length) throw new Error(`the sample has ${sample.p.items.length} profiles, the hand-written one ${sample.b.length}`);
  // A few ms of work: over HTTP the request's fixed cost (key, rule catalog and planning, 6 small
  // queries) dominates, so the sample's goal is judged on its statement, timed alone as the baseline is.
  const s = stack.runtime.services;
  const caller = { keyId: 'bench', role: 'marketer' as const, organizationId: stack.organizationId, adAccountId: stack.adAccountId, orgWide: false };
  const statement = await s.insights.sampleRuleStatement(caller, { rule: AUDIENCE_RULE, limit: 50, fields: SAMPLE_FIELDS });
  const sampleSql = await pair(
    async () => (await s.db.raw(statement.sql, statement.bindings as never[])).rows,
    async () => (await pg.query(`select "_cdp_identity" as identity, ${SAMPLE_FIELDS.map((f) => `to_jsonb(${col(f)})`).join(', ')} from ${table} where ${handWhere} limit 50`)).rows,
  );
  if (sampleSql.p.length !== sampleSql.b.length) throw new Error(`the sample statement found ${sampleSql.p.length} profiles, the hand-written one ${sampleSql.b.length}`);

  // Overlap of three evaluated audiences (set-up: the evaluations).
  const t0 = Date.now();
  const audienceIds: string[] = [];
  for (const [i, rule] of OVERLAP_RULES.entries()) {
    const a = await api.post('/v1/audiences', { name: `Overlap ${i} ${Date.now()}`, rule, status: 'published' });
    const ev = await api.post(`/v1/audiences/${a.id}/evaluations`);
    const done = await api.poll(`/v1/audiences/${a.id}/evaluations/${ev.id}`, (x) => x.status === 'success' || x.status === 'failed', { intervalMs: 50, timeoutMs: 3_600_000 });
    if (done.status !== 'success') throw new Error(`set-up evaluation failed: ${done.error}`);
    audienceIds.push(a.id);
  }
  await pg.query('vacuum analyze audience_members');
  const setupMs = Date.now() - t0;
  const evaluations = (await Promise.all(audienceIds.map((id) => api.get(`/v1/audiences/${id}/evaluations`)))).map((l) => l.items[0].id as string);
  const overlap = await pair(
    () => api.post('/v1/audiences/overlap', { audienceIds }),
    async () =>
      (
        await pg.query(
          `select mask, count(*)::bigint as n from (
             select bit_or(case evaluation_id when $1 then 1 when $2 then 2 when $3 then 4 end) as mask
             from audience_members where evaluation_id in ($1, $2, $3) group by namespace_id, identity) t group by mask`,
          evaluations,
        )
      ).rows as { mask: number; n: string }[],
  );
  const handUnion = overlap.b.reduce((sum, r) => sum + Number(r.n), 0);
  if (overlap.p.union !== handUnion) throw new Error(`the overlap union ${overlap.p.union} differs from the hand-written ${handUnion}`);

  const figures = [
    { name: 'breakdown by city (top 10)', ...byCity },
    { name: 'breakdown by income (20 bins)', ...byIncome },
    { name: 'sample statement (50 × 8 attributes)', ...sampleSql },
    { name: 'overlap of 3 audiences', ...overlap },
  ].map((f) => ({ ...f, ratio: f.projectMs / f.baselineMs }));
  const worst = figures.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const project: Side = { what: `the slowest insight relative to its baseline: ${worst.name}, over HTTP (median of ${reps})`, ms: worst.projectMs, amount: profiles, unit: 'profiles', peakRssMb: Math.max(...figures.map((f) => f.peakRssMb)) };
  const baseline: Side = { what: `its hand-written statement on the same table (median of ${reps})`, ms: worst.baselineMs, amount: profiles, unit: 'profiles', peakRssMb: worst.peakRssMb };
  const members = byCity.p.total as number;
  return {
    name: 'audience-insights',
    workload: 'audience insights: breakdowns, sample and overlap (exact counts)',
    size: `${fmtInt(profiles)} profiles${size === 'small' ? ' (small)' : ''}`,
    project,
    baseline,
    ratioKind: 'time',
    ratio: worst.ratio,
    ratioNote: figures.map((f) => `${f.name} ${fmtRatio(f.ratio)}`).join(', '),
    goal: '≤ 1.5× time, each insight',
    checks: figures.map((f) => ({ label: `${f.name} ≤ 1.5× time`, ok: ratioAtMost(f.ratio, 1.5), actual: fmtRatio(f.ratio) })),
    details: [
      `breakdowns of "${BREAKDOWN_RULE}": ${fmtInt(members)} members (${((members / profiles) * 100).toFixed(1)} %)`,
      ...figures.map((f) => `${f.name}: ${f.projectMs.toFixed(f.projectMs < 100 ? 1 : 0)} ms vs hand-written ${f.baselineMs.toFixed(f.baselineMs < 100 ? 1 : 0)} ms → ${fmtRatio(f.ratio)}`),
      `sample over HTTP (POST /v1/audiences/sample): ${sample.projectMs.toFixed(1)} ms — the request's fixed cost, not the statement's`,
      `overlap: audiences of ${overlap.p.audiences.map((a: { size: number }) => fmtInt(a.size)).join(', ')} members, union ${fmtInt(overlap.p.union)}; set-up evaluations ${fmtSec(setupMs)}`,
    ],
  };
}
