/**
 * Redis losing its data (a restart without persistence, a flush): a dataflow run, an audience
 * evaluation and an activation run stored `queued` in PostgreSQL — or already in flight, taken by a
 * worker that died too — lose their jobs. A worker that starts queues them again under the same job
 * ids and they complete; the activation, which refused
 * a new run while its run stayed queued (409), accepts one again. While a worker runs, the minute's
 * pass (the `runs.requeue` schedule) does the same for a run whose job is missing. Uses the test
 * Redis (only this test's queue prefix is flushed) and the built `cdp worker` (npm test builds it).
 */
import fs from 'node:fs';
import path from 'node:path';
import Bull from 'bull';
import { newId } from '../src/core/ids';
import { REQUEUE_AFTER_MS, REQUEUE_JOB } from '../src/core/requeue';
import { assertBuilt, CliProcess, killHard, serviceEnv, startCli } from './helpers/cli';
import { AuthedClient, redisUrl, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { prospectCsv, setUpProspects } from './helpers/prospects';
import { startSftpServer, TestSftpServer } from './setup/sftp-server';

let api: TestApi;
let sftp: TestSftpServer;
const workers: CliProcess[] = [];

beforeAll(async () => {
  assertBuilt();
  // The test's own process serves the API (it queues jobs) and runs none.
  api = await startTestApi({ jobs: 'bull', mode: 'api' });
  sftp = await startSftpServer();
  fs.mkdirSync(path.join(sftp.root, 'uploads'));
  fs.mkdirSync(path.join(sftp.root, 'in'));
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map(killHard));
  await sftp?.stop();
  await api?.close();
});

async function worker(): Promise<CliProcess> {
  const w = await startCli(['worker'], serviceEnv(api, { SCHEDULER_INTERVAL_MS: '200' }));
  workers.push(w);
  return w;
}

/** What Redis losing its data does to this test's queues: every key under its prefix goes. */
async function flushQueues(): Promise<number> {
  const q = new Bull('flush', redisUrl(), { prefix: api.queuePrefix });
  try {
    const keys = await q.client.keys(`${api.queuePrefix}:*`);
    if (keys.length) await q.client.del(...keys);
    return keys.length;
  } finally {
    await q.close();
  }
}

/** Makes runs look queued for longer than the bound after which their jobs are looked for. */
async function age(table: string, ids: string[]): Promise<void> {
  await api.db(table).whereIn('id', ids).update({ created_at: api.db.raw(`now() - ? * interval '1 millisecond'`, [REQUEUE_AFTER_MS + 60_000]) });
}

function finished(client: AuthedClient, runPath: string, what: string): Promise<Record<string, any>> {
  return eventually(async () => {
    const res = await client.get(runPath).expect(200);
    return res.body.status === 'success' || res.body.status === 'failed' ? res.body : undefined;
  }, what, 60_000, 50);
}

it('runs left queued or in flight when Redis lost their jobs are queued again and complete; the activation takes new runs again', async () => {
  const p = await setUpProspects(api, 'Lost');
  const engineer = api.as(p.token);
  const marketer = api.as(await api.keyFor('marketer'));
  await engineer.post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv(Array.from({ length: 50 }, (_, i) => ({ id: `L${i}`, age: 30 })))).expect(201);
  fs.writeFileSync(path.join(sftp.root, 'in', 'first.csv'), prospectCsv(Array.from({ length: 40 }, (_, i) => ({ id: `F${i}`, age: 40 }))));
  const conn = await engineer
    .post('/v1/connections', {
      name: 'Partner SFTP',
      kind: 'sftp',
      settings: { host: sftp.host, port: sftp.port, username: sftp.user.username, hostKeyFingerprint: sftp.hostKeyFingerprint },
      credentials: { password: sftp.user.password },
    })
    .expect(201);
  const flow = await engineer
    .post('/v1/dataflows', { name: 'Partner files', connectionId: conn.body.id, datasetId: p.datasetId, folder: '/in', format: { format: 'csv' }, schedule: { frequency: 'hour' }, backfill: true })
    .expect(201);
  const flowId: string = flow.body.id;

  // An evaluated audience and its activation, with a worker; then no worker runs.
  const setup = await worker();
  const audience = await marketer.post('/v1/audiences', { name: 'Everyone', rule: 'consumer.age >= 0', status: 'published' }).expect(201);
  const audienceId: string = audience.body.id;
  const first = await marketer.post(`/v1/audiences/${audienceId}/evaluations`, {}).expect(202);
  expect(await finished(marketer, `/v1/audiences/${audienceId}/evaluations/${first.body.id}`, 'the first evaluation')).toMatchObject({ status: 'success', counts: { members: 50 } });
  const dest = await api
    .as(api.adminToken)
    .post('/v1/destinations', {
      name: 'LiveRamp',
      kind: 'liveramp',
      settings: { host: sftp.host, port: sftp.port, username: sftp.user.username, org: 'ACME', destinationName: 'LiveRamp', instanceId: 'LOST01' },
      credentials: { password: sftp.user.password },
    })
    .expect(201);
  const activation = await marketer
    .post('/v1/activations', {
      name: 'Everyone to LiveRamp',
      destinationId: dest.body.id,
      audienceIds: [audienceId],
      schedule: { type: 'daily', at: '00:00' },
      mapping: { identity: { namespace: p.namespaceCode, column: p.namespaceCode } },
    })
    .expect(201);
  const activationId: string = activation.body.activation.id;
  setup.child.kill('SIGTERM');
  expect(await setup.exited).toBe(0);

  // Queued with their jobs in Redis — then Redis loses them.
  const flowRun = await engineer.post(`/v1/dataflows/${flowId}/runs`, {}).expect(202);
  const evaluation = await marketer.post(`/v1/audiences/${audienceId}/evaluations`, {}).expect(202);
  const run = await marketer.post(`/v1/activations/${activationId}/runs`, {}).expect(202);
  expect(await flushQueues()).toBeGreaterThan(0);
  await age('dataflow_runs', [flowRun.body.id]);
  await age('audience_evaluations', [evaluation.body.id]);
  await age('activation_runs', [run.body.id]);
  // Two had been taken by a worker, which died with Redis's data: in flight, and no job anywhere.
  await api.db('dataflow_runs').where({ id: flowRun.body.id }).update({ status: 'processing', started_at: api.db.fn.now() });
  await api.db('audience_evaluations').where({ id: evaluation.body.id }).update({ status: 'running', started_at: api.db.fn.now() });
  const refused = await marketer.post(`/v1/activations/${activationId}/runs`, {});
  expect(refused.status).toBe(409);
  expect(refused.body.runId).toBe(run.body.id);

  // A worker starts: the three are queued again and complete.
  const restarted = await worker();
  await restarted.said('queued again runs whose jobs were missing from the queue');
  expect(await finished(engineer, `/v1/dataflows/${flowId}/runs/${flowRun.body.id}`, 'the dataflow run')).toMatchObject({ status: 'success', counts: { filesIngested: 1, output: 40 } });
  expect(await finished(marketer, `/v1/audiences/${audienceId}/evaluations/${evaluation.body.id}`, 'the evaluation')).toMatchObject({ status: 'success' });
  const exported = await finished(marketer, `/v1/activations/${activationId}/runs/${run.body.id}`, 'the activation run');
  expect(exported.error ?? null).toBeNull();
  expect(exported).toMatchObject({ status: 'success', attempts: 1 });
  expect(fs.readdirSync(path.join(sftp.root, 'uploads'))).toEqual([exported.files[0].name]);
  const next = await marketer.post(`/v1/activations/${activationId}/runs`, {}).expect(202);
  expect(await finished(marketer, `/v1/activations/${activationId}/runs/${next.body.id}`, 'the next activation run')).toMatchObject({ status: 'success' });

  // While the worker runs: a run stored queued whose job the queue does not have is queued again
  // by the minute's pass (made due now instead of waiting for the next minute).
  fs.writeFileSync(path.join(sftp.root, 'in', 'second.csv'), prospectCsv(Array.from({ length: 30 }, (_, i) => ({ id: `S${i}`, age: 50 }))));
  const [lost] = await api.db('dataflow_runs').insert({ id: newId('run'), ad_account_id: api.adAccountId, dataflow_id: flowId, status: 'queued', trigger: 'manual' }).returning('id');
  await age('dataflow_runs', [lost.id]);
  await api.db('schedules').where({ name: REQUEUE_JOB }).update({ next_run_at: api.db.raw('now()') });
  expect(await finished(engineer, `/v1/dataflows/${flowId}/runs/${lost.id}`, 'the run the minute\'s pass queued again')).toMatchObject({ status: 'success', counts: { filesIngested: 1, output: 30 } });
  expect((await engineer.get(`/v1/datasets/${p.datasetId}`).expect(200)).body.counts.records).toBe(50 + 40 + 30);
}, 120_000);
