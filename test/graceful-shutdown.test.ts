/**
 * Graceful shutdown of the built CLI on the test PostgreSQL and Redis: on SIGTERM `cdp start` stops
 * accepting connections, answers the upload in flight and finishes the export it is running (S3
 * holds the upload until the test lets it go), then exits 0 — the run done once, by that process.
 * `cdp worker` likewise; past SHUTDOWN_TIMEOUT_MS a process exits 1 and leaves its job to another
 * worker, which retries it.
 */
import { ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import http from 'node:http';
import request from 'supertest';
import { assertBuilt, CliProcess, killHard, serviceEnv, startCli } from './helpers/cli';
import { startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { prospectCsv, ProspectSetup, setUpProspects } from './helpers/prospects';
import { startS3Server, TestS3Server } from './setup/s3-server';

const PROSPECTS = 3000;
const BUCKET = 'shutdown';

let api: TestApi;
let s3: TestS3Server;
let p: ProspectSetup;
let marketer: string;
let audienceId: string;
const processes: CliProcess[] = [];
let names = 0;

async function cli(args: string[], extra: Record<string, string> = {}, opts: { api?: boolean } = {}): Promise<CliProcess> {
  const proc = await startCli(args, serviceEnv(api, { JOB_LOCK_MS: '1500', ...extra }), opts);
  processes.push(proc);
  return proc;
}

beforeAll(async () => {
  assertBuilt();
  api = await startTestApi({ jobs: 'bull', mode: 'api' });
  s3 = await startS3Server();
  await s3.createBucket(BUCKET);
  p = await setUpProspects(api, 'Stop');
  const rows = Array.from({ length: PROSPECTS }, (_, i) => ({ id: `T${i}`, city: 'Seoul', age: 30 }));
  await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv(rows)).expect(201);
  marketer = await api.keyFor('marketer');
  const audience = await api.as(marketer).post('/v1/audiences', { name: 'Everyone', rule: 'consumer.age >= 0', status: 'published' }).expect(201);
  audienceId = audience.body.id;
}, 60_000);

afterAll(async () => {
  await Promise.all(processes.map(killHard));
  await s3?.stop();
  await api?.close();
});

/** A new S3 activation of the audience (its own prefix) with a run started, and S3 holding its upload. */
async function exportHeld(evaluateWith: CliProcess) {
  const ev = await api.as(marketer).post(`/v1/audiences/${audienceId}/evaluations`, {}).expect(202);
  const evaluated = await eventually(async () => {
    const res = await api.as(marketer).get(`/v1/audiences/${audienceId}/evaluations/${ev.body.id}`);
    return res.body.status === 'success' ? res.body : undefined;
  }, `the evaluation by ${evaluateWith.child.pid}`, 30_000, 20);
  const prefix = `run${++names}/`;
  const dest = await api
    .as(api.adminToken)
    .post('/v1/destinations', {
      name: `S3 ${names}`,
      kind: 's3',
      settings: { region: s3.region, endpoint: s3.endpoint, bucket: BUCKET, prefix },
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    })
    .expect(201);
  const activation = await api
    .as(marketer)
    .post('/v1/activations', {
      name: `Everyone to S3 ${names}`,
      destinationId: dest.body.id,
      audienceIds: [audienceId],
      schedule: { type: 'daily', at: '00:00' },
      mapping: { identity: { namespace: p.namespaceCode, column: 'partner_id' } },
    })
    .expect(201);
  const id = activation.body.activation.id;
  const held = s3.hold((req) => (req.method === 'PUT' || req.method === 'POST') && (req.url ?? '').startsWith(`/${BUCKET}/${prefix}`));
  const run = await api.as(marketer).post(`/v1/activations/${id}/runs`, {}).expect(202);
  await held.first;
  const result = async () => (await api.as(marketer).get(`/v1/activations/${id}/runs/${run.body.id}`).expect(200)).body;
  const files = async () => {
    const c = s3.client();
    const listed = await c.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    return Promise.all((listed.Contents ?? []).map(async (o) => ({ key: o.Key!, rows: (await (await c.send(new GetObjectCommand({ Bucket: BUCKET, Key: o.Key! }))).Body!.transformToString()).trim().split('\n').length - 1 })));
  };
  return { held, result, files, members: evaluated.counts.members as number };
}

/** A CSV upload to a new batch through `proc`, its first rows sent and the rest waiting for finish(). */
async function uploadInFlight(proc: CliProcess) {
  const batch = (await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv' }).expect(201)).body;
  const u = new URL(`/v1/batches/${batch.id}/files/late.csv`, proc.url);
  let answer!: Promise<{ status: number; connection?: string; body: any }>;
  const req = http.request({ method: 'PUT', host: u.hostname, port: u.port, path: u.pathname, headers: { authorization: `Bearer ${p.token}`, 'content-type': 'text/csv' } });
  answer = new Promise((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: JSON.parse(text) }));
    });
    req.on('error', reject);
  });
  req.write('partnerID,homeAddress.city,consumer.age\nL1,Seoul,30\n');
  await eventually(async () => (await api.as(p.token).get(`/v1/batches/${batch.id}`)).body.files.length === 1, 'the upload to start');
  return {
    batchId: batch.id,
    finish: () => {
      req.end('L2,Busan,31\nL3,Jeju,32\n');
      return answer;
    },
  };
}

it('cdp start on SIGTERM answers the upload in flight, finishes its running export, then exits 0', async () => {
  const service = await cli(['start'], {}, { api: true });
  const exp = await exportHeld(service);
  expect(exp.members).toBeGreaterThanOrEqual(PROSPECTS);
  const upload = await uploadInFlight(service);

  service.child.kill('SIGTERM');
  await service.said('SIGTERM: stopping');
  // No new connections while it drains.
  await eventually(async () => (await request(service.url!).get('/v1/health').then(() => 'answered', (e: NodeJS.ErrnoException) => e.code)) === 'ECONNREFUSED', 'the listener to close');

  const answered = await upload.finish();
  expect(answered.status).toBe(200);
  expect(answered.connection).toBe('close');
  expect(answered.body).toMatchObject({ name: 'late.csv', status: 'loaded', counts: { input: 3, output: 3 } });
  expect(service.child.exitCode).toBeNull(); // still finishing the export

  exp.held.release();
  expect(await service.exited).toBe(0);
  // Done once, by the process that stopped: no other process runs jobs here.
  expect(await exp.result()).toMatchObject({ status: 'success', attempts: 1 });
  expect(await exp.files()).toEqual([expect.objectContaining({ rows: exp.members })]);
  const batch = await api.as(p.token).post(`/v1/batches/${upload.batchId}/complete`, {}).expect(200);
  expect(batch.body).toMatchObject({ status: 'success', counts: { input: 3, output: 3 } });
}, 60_000);

it('cdp worker on SIGTERM finishes its running export, then exits 0', async () => {
  const worker = await cli(['worker']);
  const exp = await exportHeld(worker);
  worker.child.kill('SIGTERM');
  await worker.said('SIGTERM: stopping');
  expect(worker.child.exitCode).toBeNull();
  exp.held.release();
  expect(await worker.exited).toBe(0);
  expect(await exp.result()).toMatchObject({ status: 'success', attempts: 1 });
  expect(await exp.files()).toEqual([expect.objectContaining({ rows: exp.members })]);
}, 60_000);

it('a worker still running a job at SHUTDOWN_TIMEOUT_MS exits 1 and another worker retries the job', async () => {
  const stuck = await cli(['worker'], { SHUTDOWN_TIMEOUT_MS: '300' });
  const exp = await exportHeld(stuck);
  stuck.child.kill('SIGTERM');
  expect(await stuck.exited).toBe(1);
  expect(stuck.output()).toContain('jobs still running at SHUTDOWN_TIMEOUT_MS');
  exp.held.drop();
  await cli(['worker']);
  const done = await eventually(async () => {
    const r = await exp.result();
    return r.status === 'success' || r.status === 'failed' ? r : undefined;
  }, 'the retried run', 30_000, 50);
  expect(done).toMatchObject({ status: 'success' });
  expect(done.attempts).toBe(2);
  expect(await exp.files()).toEqual([expect.objectContaining({ rows: exp.members })]);
}, 60_000);
