/**
 * Scale-out as docs/scale-out.md describes it: two `cdp start --api-only` processes and two
 * `cdp worker` processes of the built CLI on one PostgreSQL and one Redis. Through both APIs in
 * turn, an SFTP dataflow loads a partner file, an audience is evaluated, an S3 activation exports it
 * — and the worker exporting is killed (SIGKILL) while its upload is in flight — and pixel events
 * are collected, half by each API, some sent again to the other one. Nothing is lost or done twice:
 * each run ends success once, the dataset holds the file's rows, the audience the members a
 * hand-written count finds, S3 the one complete file, and every acknowledged event is stored once.
 */
import { ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import request from 'supertest';
import { assertBuilt, CliProcess, killHard, serviceEnv, startCli } from './helpers/cli';
import { AuthedClient, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { prospectCsv, setUpProspects } from './helpers/prospects';
import { startS3Server, TestS3Server } from './setup/s3-server';
import { startSftpServer, TestSftpServer } from './setup/sftp-server';

const PROSPECTS = 20_000;
const BUCKET = 'scale-out';
const WORKERS = ['worker-a', 'worker-b'];

let api: TestApi;
let sftp: TestSftpServer;
let s3: TestS3Server;
let apis: CliProcess[] = [];
const workers = new Map<string, CliProcess>();

beforeAll(async () => {
  assertBuilt();
  // The test's own handle on the database (keys, hand-written counts); it runs no jobs.
  api = await startTestApi({ jobs: 'bull', mode: 'api' });
  [sftp, s3] = await Promise.all([startSftpServer(), startS3Server()]);
  await s3.createBucket(BUCKET);
  // A killed worker's Bull lock lapses after JOB_LOCK_MS; then the other worker retries its job.
  const env = serviceEnv(api, { JOB_LOCK_MS: '1500' });
  const started = await Promise.all([
    startCli(['start', '--api-only'], env, { api: true }),
    startCli(['start', '--api-only'], env, { api: true }),
    // The SDK names the app in its User-Agent: S3 tells which worker sent a request.
    ...WORKERS.map((name) => startCli(['worker'], { ...env, AWS_SDK_UA_APP_ID: name })),
  ]);
  apis = started.slice(0, 2);
  started.slice(2).forEach((w, i) => workers.set(WORKERS[i], w));
}, 90_000);

afterAll(async () => {
  await Promise.all([...apis, ...workers.values()].map(killHard));
  await sftp?.stop();
  await s3?.stop();
  await api?.close();
});

/** The i-th call's API: the two take turns. */
const via = (i: number, token: string): AuthedClient => apis[i % 2].as(token);

async function finished(client: AuthedClient, runPath: string, what: string): Promise<Record<string, any>> {
  return eventually(async () => {
    const res = await client.get(runPath).expect(200);
    return res.body.status === 'success' || res.body.status === 'failed' ? res.body : undefined;
  }, what, 30_000, 50);
}

async function bucketObjects(): Promise<{ key: string; text: string }[]> {
  const c = s3.client();
  const listed = await c.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  const out = [];
  for (const o of listed.Contents ?? []) {
    const body = Buffer.from(await (await c.send(new GetObjectCommand({ Bucket: BUCKET, Key: o.Key! }))).Body!.transformToByteArray());
    out.push({ key: o.Key!, text: (body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body).toString('utf8') });
  }
  return out;
}

/**
 * The schedules' first slot, 12 hours away: the only runs are the ones the test asks for (an hourly
 * dataflow starting now would be due at the scheduler's next minute tick, a second run).
 */
const LATER = new Date(Date.now() + 12 * 3600_000).toISOString();

it('two APIs and two workers on one PostgreSQL and Redis lose nothing and do nothing twice when a worker is killed mid-export', async () => {
  const admin = api.adminToken;
  const p = await setUpProspects({ as: (t: string) => via(0, t), keyFor: api.keyFor } as TestApi, 'Scale');
  const engineer = p.token;

  // An SFTP dataflow loads the partner file: created through one API, run and read through the other.
  fs.mkdirSync(path.join(sftp.root, 'in'));
  fs.writeFileSync(path.join(sftp.root, 'in', 'prospects.csv'), prospectCsv(Array.from({ length: PROSPECTS }, (_, i) => ({ id: `S${i}`, city: i % 2 ? 'Seoul' : 'Busan', age: 20 + (i % 50) }))));
  const conn = await via(1, engineer)
    .post('/v1/connections', {
      name: 'Partner SFTP',
      kind: 'sftp',
      settings: { host: sftp.host, port: sftp.port, username: sftp.user.username, hostKeyFingerprint: sftp.hostKeyFingerprint },
      credentials: { password: sftp.user.password },
    })
    .expect(201);
  const flow = await via(0, engineer)
    .post('/v1/dataflows', { name: 'Partner file', connectionId: conn.body.id, datasetId: p.datasetId, folder: '/in', format: { format: 'csv' }, schedule: { frequency: 'hour', startAt: LATER }, backfill: true })
    .expect(201);
  const flowRun = await via(1, engineer).post(`/v1/dataflows/${flow.body.id}/runs`, {}).expect(202);
  const ingested = await finished(via(0, engineer), `/v1/dataflows/${flow.body.id}/runs/${flowRun.body.id}`, 'the dataflow run');
  expect(ingested).toMatchObject({ status: 'success', counts: { filesFound: 1, filesIngested: 1, output: PROSPECTS } });
  expect((await via(1, engineer).get(`/v1/datasets/${p.datasetId}`).expect(200)).body.counts.records).toBe(PROSPECTS);

  // The audience, evaluated by a worker; its size is what a count(*) over the dataset's table says.
  const marketer = await api.keyFor('marketer');
  const audience = await via(0, marketer).post('/v1/audiences', { name: 'Forty and over', rule: 'consumer.age >= 40', status: 'published' }).expect(201);
  const ev = await via(1, marketer).post(`/v1/audiences/${audience.body.id}/evaluations`, {}).expect(202);
  const evaluated = await finished(via(0, marketer), `/v1/audiences/${audience.body.id}/evaluations/${ev.body.id}`, 'the evaluation');
  const [{ table_name: table }] = await api.db('datasets').where({ id: p.datasetId }).select('table_name');
  const column = async (field: string) => (await api.db('dataset_columns').where({ dataset_id: p.datasetId, field_path: field }).first('column_name')).column_name;
  const [id, age] = [await column('partnerID'), await column('consumer.age')];
  const { rows: [{ members }] } = await api.db.raw(`select count(*)::int as members from cdp_data.?? where _cdp_current and ?? >= 40`, [table, age]);
  expect(members).toBe(Array.from({ length: PROSPECTS }, (_, i) => 20 + (i % 50)).filter((a) => a >= 40).length);
  expect(evaluated).toMatchObject({ status: 'success', counts: { members } });

  // The S3 activation: the worker that takes the run is killed while S3 holds its upload.
  const dest = await via(1, admin)
    .post('/v1/destinations', {
      name: 'Partner S3',
      kind: 's3',
      settings: { region: s3.region, endpoint: s3.endpoint, bucket: BUCKET, prefix: 'out/' },
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    })
    .expect(201);
  const activation = await via(0, marketer)
    .post('/v1/activations', {
      name: 'Forty and over to S3',
      destinationId: dest.body.id,
      audienceIds: [audience.body.id],
      schedule: { type: 'daily', at: LATER.slice(11, 16) },
      mapping: { identity: { namespace: p.namespaceCode, column: 'partner_id' }, attributes: [{ field: 'homeAddress.city', column: 'city' }] },
    })
    .expect(201);
  const activationId = activation.body.activation.id;
  const held = s3.hold((req) => req.method === 'PUT' || req.method === 'POST');
  const run = await via(1, marketer).post(`/v1/activations/${activationId}/runs`, {}).expect(202);
  const upload = await held.first;
  const sender = /app\/(worker-[ab])/.exec(`${upload.headers['user-agent']} ${upload.headers['x-amz-user-agent']}`)?.[1];
  expect(WORKERS).toContain(sender);
  await killHard(workers.get(sender!)!);
  held.drop(); // the killed worker's request never reached S3
  const exported = await finished(via(0, marketer), `/v1/activations/${activationId}/runs/${run.body.id}`, 'the activation run, retried by the other worker');
  expect(exported.error ?? null).toBeNull();
  expect(exported).toMatchObject({ status: 'success' });
  expect(exported.attempts).toBeGreaterThanOrEqual(2);
  const runs = (await via(1, marketer).get(`/v1/activations/${activationId}/runs`).expect(200)).body;
  expect((Array.isArray(runs) ? runs : runs.items).map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([[run.body.id, 'success']]);
  // Exactly the run's file, complete, once: no duplicate, partial or temporary object.
  const objects = await bucketObjects();
  expect(objects.map((o) => o.key).sort()).toEqual(exported.files.map((f: { path: string }) => f.path).sort());
  const lines = objects.flatMap((o) => o.text.trim().split('\n').slice(1));
  const ids = lines.map((l) => l.split(',')[0]);
  expect(ids).toHaveLength(members);
  const { rows: expected } = await api.db.raw(`select ?? as id from cdp_data.?? where _cdp_current and ?? >= 40`, [id, table, age]);
  expect(new Set(ids)).toEqual(new Set(expected.map((r: { id: string }) => r.id)));

  // The dataflow ran once, its file was loaded once, in one successful batch.
  const flowRuns = (await via(1, engineer).get(`/v1/dataflows/${flow.body.id}/runs`).expect(200)).body.items;
  expect(flowRuns.map((r: { status: string }) => r.status)).toEqual(['success']);
  const batches = (await via(0, engineer).get(`/v1/datasets/${p.datasetId}/batches`).expect(200)).body.items;
  expect(batches.map((b: { status: string }) => b.status)).toEqual(['success']);

  // Collection: requests alternate between the APIs; every tenth is sent again to the other one.
  const tracker = await via(0, admin).post('/v1/trackers', { name: 'Scale-out pixel' }).expect(201);
  const trackId = tracker.body.trackId;
  const REQUESTS = 60;
  const PER_REQUEST = 20;
  const body = (r: number) => ({
    events: Array.from({ length: PER_REQUEST }, (_, e) => ({ eventId: `r${r}-e${e}`, event: 'pageView', adid: `00000000-0000-4000-8000-${String(r * PER_REQUEST + e).padStart(12, '0')}` })),
  });
  const collect = (i: number, r: number) => request(apis[i % 2].url!).post(`/v1/collect/${trackId}`).send(body(r));
  const answers = await Promise.all(Array.from({ length: REQUESTS }, (_, r) => collect(r, r)));
  expect(answers.map((a) => a.status)).toEqual(Array(REQUESTS).fill(202));
  expect(answers.reduce((n, a) => n + a.body.accepted, 0)).toBe(REQUESTS * PER_REQUEST);
  const again = await Promise.all(Array.from({ length: REQUESTS / 10 }, (_, k) => collect(k * 10 + 1, k * 10)));
  expect(again.map((a) => [a.status, a.body.duplicates])).toEqual(Array(REQUESTS / 10).fill([202, PER_REQUEST]));
  const { rows: stored } = await api.db.raw(
    `select count(*)::int as events, count(distinct e.event_id)::int as ids from tracker_events e join trackers t on t.id = e.tracker_id where t.track_id = ?`,
    [trackId],
  );
  expect(stored[0]).toEqual({ events: REQUESTS * PER_REQUEST, ids: REQUESTS * PER_REQUEST });
}, 60_000);
