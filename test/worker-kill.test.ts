/**
 * Several workers on one Redis, and one of them killed (SIGKILL) in the middle of an export: once
 * another worker retries the run, the destination holds exactly the complete file — no partial
 * file, no duplicate, no leftover temporary file. Uses the built `cdp worker` (npm test builds it).
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { prospectCsvStream } from '../src/demo/generate';
import { redisUrl, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { setUpProspects, ProspectSetup } from './helpers/prospects';
import { startSftpServer, TestSftpServer } from './setup/sftp-server';

const CLI = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
const PROSPECTS = 120_000;

let api: TestApi;
let p: ProspectSetup;
let lr: TestSftpServer;
const workers: ChildProcess[] = [];

function startWorker(): ChildProcess {
  const child = spawn('node', [CLI, 'worker'], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: api.databaseUrl,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: api.queuePrefix,
      CDP_ENCRYPTION_KEY: api.encryptionKey,
      JOB_LOCK_MS: '1500',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  workers.push(child);
  return child;
}

beforeAll(async () => {
  if (!fs.existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
  api = await startTestApi({ jobs: 'bull', mode: 'api' });
  lr = await startSftpServer();
  fs.mkdirSync(path.join(lr.root, 'uploads'));
  p = await setUpProspects(api, 'Kill');
  const chunks: Buffer[] = [];
  for await (const c of prospectCsvStream(PROSPECTS, 3, 'KILL')) chunks.push(Buffer.from(c));
  const loaded = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(Buffer.concat(chunks)).expect(201);
  expect(loaded.body.counts.output).toBe(PROSPECTS);
}, 120_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await lr?.stop();
  await api?.close();
});

it('a worker killed mid-export leaves no partial or duplicate file once another worker retries the run', async () => {
  const first = startWorker();
  const marketer = await api.keyFor('marketer');
  const audience = await api.as(marketer).post('/v1/audiences', { name: 'Everyone', rule: 'consumer.age >= 0', status: 'published' }).expect(201);
  const ev = await api.as(marketer).post(`/v1/audiences/${audience.body.id}/evaluations`, {}).expect(202);
  await eventually(async () => (await api.as(marketer).get(`/v1/audiences/${audience.body.id}/evaluations/${ev.body.id}`)).body.status === 'success', 'the evaluation', 60_000, 10);

  const dest = await api
    .as(api.adminToken)
    .post('/v1/destinations', {
      name: 'LiveRamp',
      kind: 'liveramp',
      settings: { host: lr.host, port: lr.port, username: lr.user.username, org: 'ACME', destinationName: 'LiveRamp', instanceId: 'KILL01' },
      credentials: { password: lr.user.password },
    })
    .expect(201);
  const activation = await api
    .as(marketer)
    .post('/v1/activations', {
      name: 'Everyone to LiveRamp',
      destinationId: dest.body.id,
      audienceIds: [audience.body.id],
      schedule: { type: 'daily', at: '00:00' },
      mapping: { identity: { namespace: p.namespaceCode, column: p.namespaceCode } },
    })
    .expect(201);
  const run = await api.as(marketer).post(`/v1/activations/${activation.body.activation.id}/runs`, {}).expect(202);

  // Kill the worker while the file is being written (only its temporary name exists).
  const uploads = path.join(lr.root, 'uploads');
  await eventually(async () => fs.readdirSync(uploads).some((n) => n.endsWith('.part')), 'the export to start', 60_000, 10);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  expect(fs.readdirSync(uploads).filter((n) => n.endsWith('.csv'))).toEqual([]);

  startWorker();
  const done = await eventually(async () => {
    const res = await api.as(marketer).get(`/v1/activations/${activation.body.activation.id}/runs/${run.body.id}`);
    return res.body.status === 'success' || res.body.status === 'failed' ? res.body : undefined;
  }, 'the retried run', 90_000, 10);
  expect(done.status).toBe('success');
  expect(done.attempts).toBeGreaterThanOrEqual(2);
  const files = fs.readdirSync(uploads).sort();
  expect(files).toEqual([done.files[0].name]);
  const lines = fs.readFileSync(path.join(uploads, files[0]), 'utf8').trim().split('\n');
  expect(lines.length - 1).toBe(PROSPECTS);
  expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(PROSPECTS);
}, 180_000);
