/**
 * `cdp start` on the embedded default (its own PostgreSQL cluster, in-process queue, no Redis)
 * killed with SIGKILL in the middle of an S3 export and of a file upload, then started again:
 * - the start succeeds although the killed process's PostgreSQL was left running;
 * - the run is taken over and finishes with exactly one file set, no partial object, and the
 *   multipart upload the killed attempt left is aborted;
 * - the batch that was uploading is failed with a reason, not left loading.
 * Uses the built CLI (npm test builds it) against a real s3rver.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import request from 'supertest';
import { prospectCsvStream } from '../src/demo/generate';
import type { TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { setUpProspects } from './helpers/prospects';
import { createKnex } from '../src/core/db';
import { startS3Server, TestS3Server } from './setup/s3-server';
import { freePort } from './setup/servers';

const CLI = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
const PROSPECTS = 200_000;
const PART_ROWS = 100_000; // two parts, each over the 8 MiB part size: multipart uploads
const BUCKET = 'cdp-kill';
// Wide enough rows that each part is over 8 MiB.
const ATTRIBUTES = ['person.name.fullName', 'person.name.firstName', 'person.name.lastName', 'personalEmail.address', 'mobilePhone.number', 'homeAddress.city', 'homeAddress.region', 'homeAddress.postalCode', 'consumer.occupation', 'consumer.education', 'consumer.maritalStatus'];

let dataDir: string;
let env: Record<string, string>;
let url: string;
let s3: TestS3Server;
const children: ChildProcess[] = [];

function startService(): { child: ChildProcess; token: Promise<string | null> } {
  const child = spawn('node', [CLI, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  const token = new Promise<string | null>((resolve) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /admin key:\s+(\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', () => resolve(null));
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  child.once('exit', (code, signal) => {
    if (code) console.error(`cdp start exited ${code}: ${err}`);
    void signal;
  });
  return { child, token };
}

async function healthy(): Promise<void> {
  await eventually(async () => (await request(url).get('/v1/health')).status === 200, 'the service to answer', 120_000, 100);
}

async function kill(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
}

function as(token: string) {
  const auth = (t: request.Test) => t.set('Authorization', `Bearer ${token}`);
  return {
    get: (p: string) => auth(request(url).get(p)),
    post: (p: string, body?: unknown) => auth(request(url).post(p)).send(body as object),
    put: (p: string, body?: unknown) => auth(request(url).put(p)).send(body as object),
    patch: (p: string, body?: unknown) => auth(request(url).patch(p)).send(body as object),
    delete: (p: string) => auth(request(url).delete(p)),
  };
}

beforeAll(async () => {
  if (!fs.existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-kill-'));
  const apiPort = await freePort();
  url = `http://127.0.0.1:${apiPort}`;
  env = {
    PATH: process.env.PATH!,
    CDP_DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(await freePort()),
    PORT: String(apiPort),
    CDP_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
  };
  s3 = await startS3Server();
  await s3.createBucket(BUCKET);
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // The last service is stopped gracefully so that its PostgreSQL stops with it.
  await s3?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function s3Objects(): Promise<{ key: string; body: string }[]> {
  const c = s3.client();
  const listed = await c.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  const out = [];
  for (const o of listed.Contents ?? []) {
    const got = await c.send(new GetObjectCommand({ Bucket: BUCKET, Key: o.Key! }));
    out.push({ key: o.Key!, body: await got.Body!.transformToString() });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}

it('a service killed mid-export and mid-upload starts again, finishes the run with one complete file set and fails the upload', async () => {
  let service = startService();
  const token = await service.token;
  expect(token).toBeTruthy();
  await healthy();
  const admin = as(token!);
  const p = await setUpProspects({ as } as unknown as TestApi, 'Kill', { token: token! });

  const chunks: Buffer[] = [];
  for await (const c of prospectCsvStream(PROSPECTS, 3, 'KILL')) chunks.push(Buffer.from(c));
  const loaded = await admin.post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(Buffer.concat(chunks)).expect(201);
  expect(loaded.body.counts.output).toBe(PROSPECTS);

  const audience = await admin.post('/v1/audiences', { name: 'Everyone', rule: 'consumer.age >= 0', status: 'published' }).expect(201);
  const ev = await admin.post(`/v1/audiences/${audience.body.id}/evaluations`, {}).expect(202);
  await eventually(async () => (await admin.get(`/v1/audiences/${audience.body.id}/evaluations/${ev.body.id}`)).body.status === 'success', 'the evaluation', 60_000);
  const dest = await admin
    .post('/v1/destinations', {
      name: 'Kill S3',
      kind: 's3',
      settings: { region: s3.region, endpoint: s3.endpoint, bucket: BUCKET, prefix: 'out/', partRows: PART_ROWS },
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    })
    .expect(201);
  const activation = await admin
    .post('/v1/activations', {
      name: 'Everyone to S3',
      destinationId: dest.body.id,
      audienceIds: [audience.body.id],
      schedule: { type: 'daily', at: '00:00' },
      mapping: {
        identity: { namespace: p.namespaceCode, column: 'partner_id' },
        attributes: ATTRIBUTES.map((field) => ({ field, column: field.replace(/\./g, '_') })),
      },
    })
    .expect(201);
  const activationId = activation.body.activation.id;

  // A file upload in flight when the process dies.
  const batch = (await admin.post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv' }).expect(201)).body;
  const u = new URL(`/v1/batches/${batch.id}/files/slow.csv`, url);
  const slow = http.request({ agent: false, method: 'PUT', host: u.hostname, port: u.port, path: u.pathname, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' } });
  slow.on('error', () => undefined);
  slow.write('partnerID,homeAddress.city,consumer.age\nS1,Seoul,30\n');
  await eventually(async () => (await admin.get(`/v1/batches/${batch.id}`)).body.files.length === 1, 'the upload to start');

  // Kill while the run has a multipart upload in flight (S3 shows nothing of it yet). The
  // service's own database (the embedded cluster) tells when S3 has started one.
  const password = fs.readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
  const db = createKnex(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${env.EMBEDDED_PG_PORT}/cdp`, 1);
  const run = await admin.post(`/v1/activations/${activationId}/runs`, {}).expect(202);
  let orphan: { upload_id: string }[] = [];
  try {
    orphan = await eventually(async () => {
      const rows = await db('activation_run_uploads').where({ run_id: run.body.id }).select('upload_id');
      return rows.length ? rows : undefined;
    }, 'a multipart upload to start', 60_000, 5);
  } finally {
    await db.destroy();
  }
  await kill(service.child);
  const seenAtKill = await s3Objects();
  const partsAtKill = seenAtKill.length;
  expect(partsAtKill).toBeLessThan(2); // killed before the set was complete

  // The next start: the killed process's PostgreSQL still runs; it is stopped and started again.
  const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
  expect(fs.existsSync(pidFile)).toBe(true);
  const leftPid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  expect(() => process.kill(leftPid, 0)).not.toThrow();
  service = startService();
  await healthy();
  expect(() => process.kill(leftPid, 0)).toThrow(); // the left server was stopped, a new one serves

  const done = await eventually(async () => {
    const res = await admin.get(`/v1/activations/${activationId}/runs/${run.body.id}`);
    return res.body.status === 'success' || res.body.status === 'failed' ? res.body : undefined;
  }, 'the taken-over run to finish', 120_000, 100);
  expect(done.error ?? null).toBeNull();
  expect(done.status).toBe('success');
  expect(done.attempts).toBeGreaterThanOrEqual(2);

  // Exactly one complete file set: the run's two parts, every member once.
  const objects = await s3Objects();
  expect(objects.map((o) => o.key)).toEqual(done.files.map((f: { path: string }) => f.path).sort());
  expect(objects).toHaveLength(2);
  const ids: string[] = [];
  for (const o of objects) {
    const lines = o.body.trim().split('\n');
    expect(lines[0]).toBe(['partner_id', ...ATTRIBUTES.map((f) => f.replace(/\./g, '_'))].join(','));
    ids.push(...lines.slice(1).map((l) => l.split(',')[0]));
  }
  expect(ids).toHaveLength(PROSPECTS);
  expect(new Set(ids).size).toBe(PROSPECTS);
  // The multipart upload the killed attempt left was aborted by the retry.
  for (const o of orphan) expect(s3.requests.some((r) => r.startsWith('DELETE ') && r.includes(`uploadId=${encodeURIComponent(o.upload_id)}`))).toBe(true);
  const runs = (await admin.get(`/v1/activations/${activationId}/runs`).expect(200)).body;
  expect((Array.isArray(runs) ? runs : runs.items).filter((r: { status: string }) => r.status === 'processing' || r.status === 'queued')).toEqual([]);

  // The upload that was in flight ended failed with a reason.
  const b = await eventually(async () => {
    const res = await admin.get(`/v1/batches/${batch.id}`);
    return res.body.status !== 'loading' ? res.body : undefined;
  }, 'the interrupted batch to be failed', 30_000, 100);
  expect(b.status).toBe('failed');
  expect(b.failureReason).toMatch(/restarted|stopped/);
  expect(b.files[0].status).toBe('failed');

  // A graceful stop this time: its PostgreSQL stops with it and leaves no pid file.
  service.child.kill('SIGTERM');
  await new Promise((r) => service.child.once('exit', r));
  expect(fs.existsSync(pidFile)).toBe(false);
}, 300_000);
