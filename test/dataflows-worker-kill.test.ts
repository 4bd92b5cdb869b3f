/**
 * A `cdp worker` killed (SIGKILL) while it loads a dataflow's file. While the loader lives, other
 * runs skip the file. Once it is dead, Bull retries the run on another worker, which takes the
 * dead loader's claim over at once (its work lock died with its process) and loads the file once:
 * the run ends success with every row, the file has one successful batch, the killed attempt's
 * batch ends aborted or failed and its staging table is dropped. Uses the built CLI (npm test builds it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { newId } from '../src/core/ids';
import { STAGING_SCHEMA, stagingTable } from '../src/datasets/storage';
import { assertBuilt, CliProcess, killHard, serviceEnv, startCli } from './helpers/cli';
import { startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { prospectCsv, setUpProspects } from './helpers/prospects';
import { startSftpServer, TestSftpServer } from './setup/sftp-server';

const ROWS = 20_000; // ~700 KB: the load stops at the stalled read, well inside the file

let api: TestApi;
let sftp: TestSftpServer;
const workers: CliProcess[] = [];

beforeAll(async () => {
  assertBuilt();
  // The test's own process serves the API and runs no jobs; the workers below run them.
  api = await startTestApi({ jobs: 'bull', mode: 'api' });
  sftp = await startSftpServer();
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map(killHard));
  await sftp?.stop();
  await api?.close();
});

it('a worker killed mid-file: the retried run loads the file once, and runs while the loader lived skipped it', async () => {
  const p = await setUpProspects(api, 'Kill');
  const as = api.as(p.token);
  fs.mkdirSync(path.join(sftp.root, 'in'));
  fs.writeFileSync(path.join(sftp.root, 'in', 'prospects.csv'), prospectCsv(Array.from({ length: ROWS }, (_, i) => ({ id: `K${i}`, city: 'Seoul', age: 20 + (i % 50) }))));
  // A killed worker's Bull lock lapses after JOB_LOCK_MS; then another worker retries its job.
  const env = serviceEnv(api, { JOB_LOCK_MS: '1500' });
  const loader = await startCli(['worker'], env);
  workers.push(loader);

  const conn = await as
    .post('/v1/connections', {
      name: 'Partner SFTP',
      kind: 'sftp',
      settings: { host: sftp.host, port: sftp.port, username: sftp.user.username, hostKeyFingerprint: sftp.hostKeyFingerprint },
      credentials: { password: sftp.user.password },
      timeoutMs: 120_000, // the stalled read below must not time out: the load stays in flight
    })
    .expect(201);
  const flow = await as
    .post('/v1/dataflows', { name: 'Partner file', connectionId: conn.body.id, datasetId: p.datasetId, folder: '/in', format: { format: 'csv' }, schedule: { frequency: 'hour' }, backfill: true })
    .expect(201);
  const flowId: string = flow.body.id;
  const runPath = (id: string) => `/v1/dataflows/${flowId}/runs/${id}`;
  const finished = (id: string, what: string) =>
    eventually(async () => {
      const res = await as.get(runPath(id)).expect(200);
      return res.body.status === 'success' || res.body.status === 'failed' ? res.body : undefined;
    }, what, 60_000, 50);

  // The loader stops in the middle of the file: the server never answers a read past 200 KB.
  sftp.faults.stallAfterBytes = 200_000;
  const run = await as.post(`/v1/dataflows/${flowId}/runs`, {}).expect(202);
  const inFlight = await eventually(async () => {
    const claim = await api.db('dataflow_files').where({ dataflow_id: flowId }).first();
    const file = claim?.batch_id ? await api.db('batch_files').where({ batch_id: claim.batch_id, status: 'loading' }).first() : undefined;
    return file ? { claim, file } : undefined;
  }, 'the worker to be loading the file', 30_000, 20);
  const killedBatchId: string = inFlight.claim.batch_id;

  // While the loader lives, a run skips the file: one the loader's own worker runs …
  const beside = await as.post(`/v1/dataflows/${flowId}/runs`, {}).expect(202);
  expect(await finished(beside.body.id, 'the run beside the load')).toMatchObject({ status: 'success', counts: { filesFound: 1, filesIngested: 0 } });
  // … and one another process runs (this test's, registered as a service process too).
  const [elsewhere] = await api.db('dataflow_runs').insert({ id: newId('run'), ad_account_id: api.adAccountId, dataflow_id: flowId, status: 'queued', trigger: 'manual' }).returning('id');
  expect(await api.runtime.services.dataflows.executeRun(elsewhere.id)).toMatchObject({ status: 'success', counts: { filesFound: 1, filesIngested: 0 } });
  expect((await as.get(`/v1/datasets/${p.datasetId}`).expect(200)).body.counts.records).toBe(0);
  expect(await api.db('dataflow_files').where({ dataflow_id: flowId }).first()).toMatchObject({ status: 'processing', batch_id: killedBatchId, attempts: 1 });

  // The loader dies; another worker retries the run.
  workers.push(await startCli(['worker'], env));
  sftp.faults.stallAfterBytes = undefined;
  await killHard(loader);
  const done = await finished(run.body.id, 'the retried run');
  expect(done.error ?? null).toBeNull();
  expect(done).toMatchObject({ status: 'success', counts: { filesFound: 1, filesIngested: 1, filesFailed: 0, output: ROWS } });
  expect(done.files).toEqual([expect.objectContaining({ status: 'ingested', attempts: 2 })]);

  // Loaded once: every row once, one successful batch of the file.
  const dataset = (await as.get(`/v1/datasets/${p.datasetId}`).expect(200)).body;
  expect(dataset.counts).toMatchObject({ records: ROWS, currentRecords: ROWS });
  const batches = (await as.get(`/v1/datasets/${p.datasetId}/batches`).expect(200)).body.items;
  expect(batches.filter((b: { status: string }) => b.status === 'success')).toHaveLength(1);
  expect(batches.find((b: { status: string }) => b.status === 'success').id).toBe((await api.db('dataflow_files').where({ dataflow_id: flowId }).first()).batch_id);
  // The killed attempt's batch: never visible, its file failed and its staging table dropped by the recovery pass.
  const killed = await eventually(async () => {
    const b = (await as.get(`/v1/batches/${killedBatchId}`).expect(200)).body;
    const { rows } = await api.db.raw('select to_regclass(?) as t', [`${STAGING_SCHEMA}.${stagingTable(killedBatchId)}`]);
    return b.files.every((f: { status: string }) => f.status !== 'loading') && rows[0].t === null ? b : undefined;
  }, 'the killed attempt\'s batch to be cleaned up', 30_000, 100);
  expect(['aborted', 'failed']).toContain(killed.status);
  expect(batches.map((b: { id: string; status: string }) => b.id).sort()).toEqual(expect.arrayContaining([killedBatchId]));
  expect(batches).toHaveLength(2);
}, 120_000);
