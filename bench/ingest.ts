/**
 * Workload 1: a 20-odd-column prospect CSV (src/demo/generate.ts: Korean names and cities, ages,
 * incomes, interests, contacts; 23 columns) served by the local SFTP server is ingested into a
 * profile-enabled, Third-Party-labelled dataset by a dataflow run (parse, type conversion,
 * identity normalisation, schema validation, staging COPY, atomic merge), started over HTTP and
 * polled until it succeeded.
 *
 * Baseline, same run, same PostgreSQL: `COPY … FROM STDIN (format csv, header)` of the same file
 * from local disk into an untyped table (23 text columns, no index). Goal: ≥ 0.5× its rows/s with
 * flat memory. Also shown: the SFTP transfer alone (the project's connector reading the file to
 * nowhere), to tell transport from processing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { createSftpSource } from '../connectors/sftp';
import { PROSPECT_COLUMNS, prospectCsvStream } from '../src/demo/generate';
import { sampleDatabase, sized, BenchResult, fmtInt, fmtRatio, fmtSec, measure, perSecond, postFile, prospectDataset, ratioAtLeast, ratioOf, say, Side, Size, startHelperServer, startStack, workDir } from './harness';

export const INGEST_ROWS: Record<Size, number> = { small: 20_000, full: 1_000_000 };

export async function runIngest(size: Size): Promise<BenchResult[]> {
  const rows = sized('BENCH_INGEST_ROWS', INGEST_ROWS, size);
  const wd = workDir('ingest');
  const sftp = await startHelperServer('sftp', path.join(wd.dir, 'sftp'));
  const stack = await startStack();
  const { api, pg } = stack;
  try {
    const root = sftp.info.root as string;
    fs.mkdirSync(path.join(root, 'outbox'), { recursive: true });
    fs.mkdirSync(path.join(root, 'warmup'), { recursive: true });
    const file = path.join(root, 'outbox', 'acme_prospects_bench.csv');
    await pipeline(prospectCsvStream(rows, 42), fs.createWriteStream(file));
    await pipeline(prospectCsvStream(2_000, 43, 'WARM'), fs.createWriteStream(path.join(root, 'warmup', 'acme_prospects_warm.csv')));
    const bytes = fs.statSync(file).size;
    say(`ingest: ${fmtInt(rows)} rows × ${PROSPECT_COLUMNS.length} columns, ${(bytes / 1e6).toFixed(1)} MB on the local SFTP server`);

    const stamp = Date.now().toString(36);
    const ds = await prospectDataset(api, stamp);
    const connection = await api.post('/v1/connections', {
      name: `ACME SFTP ${stamp}`,
      kind: 'sftp',
      settings: { host: sftp.info.host, port: sftp.info.port, username: sftp.info.username, hostKeyFingerprint: sftp.info.hostKeyFingerprint },
      credentials: { password: sftp.info.password },
    });
    // Manual runs only: the first scheduled run is far away.
    const flowOf = (folder: string, name: string) =>
      api.post('/v1/dataflows', {
        name: `${name} ${stamp}`,
        connectionId: connection.id,
        datasetId: ds.datasetId,
        folder,
        pattern: 'acme_prospects_*.csv',
        format: { format: 'csv' },
        schedule: { frequency: 'day', startAt: '2099-01-01T00:00:00Z' },
        backfill: true,
      });
    const runFlow = async (flowId: string) => {
      const started = await api.post(`/v1/dataflows/${flowId}/runs`);
      const run = await api.poll(`/v1/dataflows/${flowId}/runs/${started.id}`, (x) => x.status === 'success' || x.status === 'failed', { intervalMs: 20 });
      if (run.status !== 'success' || run.counts.filesIngested !== 1) throw new Error(`dataflow run did not ingest the file: ${JSON.stringify(run)}`);
      return run;
    };

    // Warm-up (JIT, connections, first batch of the dataset) on a small file of its own.
    await runFlow((await flowOf('/warmup', 'warm-up')).id);

    // Baseline: COPY of the same bytes into an untyped table.
    const cols = PROSPECT_COLUMNS.map((_c, i) => `c${i + 1} text`).join(', ');
    await pg.query(`drop table if exists bench_ingest_raw; create table bench_ingest_raw (${cols})`);
    const base = await measure(async () => {
      await pipeline(fs.createReadStream(file, { highWaterMark: 256 * 1024 }), pg.query(copyFrom('copy bench_ingest_raw from stdin (format csv, header true)')));
    });
    const copied = Number((await pg.query('select count(*)::bigint as n from bench_ingest_raw')).rows[0].n);
    if (copied !== rows) throw new Error(`baseline COPY loaded ${copied} rows, expected ${rows}`);
    await pg.query('drop table bench_ingest_raw');

    // The transfer alone: the project's SFTP connector reading the file to nowhere.
    const transfer = await measure(async () => {
      const source = createSftpSource({ host: sftp.info.host, port: sftp.info.port, username: sftp.info.username, password: sftp.info.password, hostKeyFingerprint: sftp.info.hostKeyFingerprint });
      try {
        const [remote] = await source.list('/outbox', { pattern: 'acme_prospects_*.csv' });
        await pipeline(await source.open(remote), new Writable({ write: (_c, _e, cb) => cb() }));
      } finally {
        await source.close();
      }
    });

    // The project: a dataflow run over SFTP into the dataset.
    const flow = await flowOf('/outbox', 'ACME daily');
    const sampled = await sampleDatabase(stack.databaseUrl, () => measure(() => runFlow(flow.id), 'ingest'));
    const proj = sampled.value;
    const run = proj.value;
    if (run.counts.output !== rows || run.counts.failed !== 0) throw new Error(`dataflow loaded ${run.counts.output} rows with ${run.counts.failed} errors, expected ${rows}`);
    const serverMs = Date.parse(run.finishedAt) - Date.parse(run.startedAt);

    // The same file through the HTTP batch upload into a dataset of its own: the path without SFTP.
    const ds2 = await prospectDataset(api, `${stamp}h`);
    const http = await measure(() => postFile(stack.url, stack.token, `/v1/datasets/${ds2.datasetId}/data?format=csv&fileName=acme_prospects_bench.csv`, file));
    if (http.value.status !== 201 || http.value.body.counts.output !== rows) throw new Error(`HTTP upload: ${JSON.stringify(http.value.body).slice(0, 300)}`);

    const project: Side = { what: 'dataflow run: SFTP → parse/validate/normalise → staging COPY → merge', ms: proj.ms, amount: run.counts.output, unit: 'rows', peakRssMb: proj.peakRssMb };
    const baseline: Side = { what: 'COPY csv from local file into an untyped (text) table', ms: base.ms, amount: copied, unit: 'rows', peakRssMb: base.peakRssMb };
    const ratio = ratioOf('throughput', project, baseline);
    return [
      {
        name: 'ingest',
        workload: 'ingest prospect CSV from SFTP into a dataset (dataflow run)',
        size: `${fmtInt(rows)} rows × ${PROSPECT_COLUMNS.length} cols (${(bytes / 1e6).toFixed(0)} MB)`,
        project,
        baseline,
        ratioKind: 'throughput',
        ratio,
        goal: '≥ 0.5× rows/s; flat memory',
        checks: [{ label: '≥ 0.5× baseline rows/s', ok: ratioAtLeast(ratio, 0.5), actual: fmtRatio(ratio) }],
        details: [
          `run as seen by the server (startedAt → finishedAt): ${fmtSec(serverMs)}; from POST to observed success: ${fmtSec(proj.ms)}`,
          `the same file through POST /v1/datasets/{id}/data (HTTP from local disk, no SFTP): ${fmtSec(http.ms)}, ${fmtInt(perSecond(rows, http.ms))} rows/s`,
          `SFTP transfer alone (project connector → /dev/null): ${fmtSec(transfer.ms)} (${(bytes / 1e6 / (transfer.ms / 1000)).toFixed(1)} MB/s)`,
          'PostgreSQL during the run (backends of the service; sampled every 20 ms):',
          ...sampled.top.map((l) => `  ${l}`),
          `CPU of the service process (every thread; user + system): ${fmtSec(proj.cpuMs)} for the dataflow run, ${fmtSec(http.cpuMs)} for the HTTP upload`,
          `RSS of the service process: ${proj.startRssMb.toFixed(0)} MB before the run, peak ${proj.peakRssMb.toFixed(0)} MB during it (+${(proj.peakRssMb - proj.startRssMb).toFixed(0)} MB); peak JS heap used ${proj.peakHeapMb.toFixed(0)} MB, external (buffers) ${proj.peakExternalMb.toFixed(0)} MB`,
        ],
      },
    ];
  } finally {
    await stack.close();
    await sftp.stop();
    wd.cleanup();
  }
}
