/**
 * GET /metrics (issue 19, part 1): after a real flow through the API — a dataset upload with a bad
 * row, an S3 activation, collection with a resent eventId and a refused event, MAT postbacks, a
 * population count, jobs that complete, fail and wait — every series is there with the counts the
 * flow implies, labelled by route templates (never raw ids), in the Prometheus text format. Access:
 * loopback without an API key; with METRICS_TOKEN only the token; METRICS_PORT serves a worker.
 */
import request from 'supertest';
import { loadConfig } from '../src/config';
import type { JobQueue } from '../src/core/jobs';
import { isCdpError } from '../src/core/errors';
import { isLoopback } from '../src/metrics/service';
import { startRuntime } from '../src/runtime';
import { openTestDatabase, startTestApi, TestApi, testLog } from './helpers/harness';
import { eventually } from './helpers/poll';
import { prospectCsv, setUpProspects } from './helpers/prospects';
import { startS3Server, TestS3Server } from './setup/s3-server';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format (0.0.4): `# TYPE name kind` lines and `name{label="value",…} number` samples. */
function parse(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { types, samples };
}

async function scrape(url: string): Promise<{ types: Map<string, string>; samples: Sample[] }> {
  const res = await request(url).get('/metrics').expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(res.text);
}

/** The value of the one sample of `name` whose labels include `labels` (0 when there is none). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.reduce((sum, s) => sum + s.value, 0);
}

let api: TestApi;
let s3: TestS3Server;
const ADID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

beforeAll(async () => {
  api = await startTestApi();
  s3 = await startS3Server();
  await s3.createBucket('exports');
}, 60_000);

afterAll(async () => {
  await api?.close();
  await s3?.stop();
});

describe('GET /metrics after a flow through the API', () => {
  let samples: Sample[];
  let types: Map<string, string>;
  let datasetId: string;

  beforeAll(async () => {
    const admin = api.as(api.adminToken);
    // A partner file of 30 prospects and one bad row (an age that is no number): 30 ok, 1 failed.
    const p = await setUpProspects(api, 'Met');
    datasetId = p.datasetId;
    const people = Array.from({ length: 30 }, (_, i) => ({ id: `M${i}`, city: 'Seoul', age: 30 + (i % 10) }));
    const csv = prospectCsv([...people, { id: 'BAD', city: 'Seoul', age: 'old' }]);
    const batch = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(csv).expect(201);
    expect(batch.body).toMatchObject({ status: 'success', counts: { input: 31, output: 30, failed: 1 } });

    // An audience of them, evaluated, activated to S3 once.
    const audience = await admin.post('/v1/audiences', { name: 'Seoul', rule: 'homeAddress.city = "Seoul"', status: 'published' }).expect(201);
    const ev = await admin.post(`/v1/audiences/${audience.body.id}/evaluations`, {}).expect(202);
    await eventually(async () => (await admin.get(`/v1/audiences/${audience.body.id}/evaluations/${ev.body.id}`).expect(200)).body.status === 'success', 'evaluation');
    const dest = await admin
      .post('/v1/destinations', {
        name: 'S3 metrics',
        kind: 's3',
        settings: { region: s3.region, endpoint: s3.endpoint, bucket: 'exports', prefix: 'metrics/' },
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      })
      .expect(201);
    const activation = await admin
      .post('/v1/activations', { name: 'Seoul to S3', destinationId: dest.body.id, audienceIds: [audience.body.id], schedule: { type: 'once' }, mapping: { identity: { namespace: p.namespaceCode, column: 'partner_id' } } })
      .expect(201);
    const activationId = activation.body.activation.id;
    const run = await admin.post(`/v1/activations/${activationId}/runs`, {}).expect(202);
    const done = await eventually(async () => {
      const r = (await admin.get(`/v1/activations/${activationId}/runs/${run.body.id}`).expect(200)).body;
      return r.status === 'success' || r.status === 'failed' ? r : undefined;
    }, 'activation run', 30_000);
    expect(done).toMatchObject({ status: 'success', counts: { activated: 30 } });

    // Collection: 3 events, the same request again (stored once), and a request with a malformed adid.
    const tracker = await admin.post('/v1/trackers', { name: 'Metrics pixel' }).expect(201);
    const collect = `/v1/collect/${tracker.body.trackId}`;
    const events = [0, 1, 2].map((n) => ({ eventId: `e${n}`, event: 'pageView', adid: ADID(n) }));
    expect((await request(api.url).post(collect).send({ events }).expect(202)).body).toEqual({ accepted: 3, duplicates: 0 });
    expect((await request(api.url).post(collect).send({ events }).expect(202)).body).toEqual({ accepted: 3, duplicates: 3 });
    await request(api.url).post(collect).send({ events: [{ event: 'pageView', adid: 'not-an-adid' }, { event: 'pageView', adid: ADID(9) }] }).expect(422);
    // A population count done now (the tracker's 타겟모수).
    await admin.post(`/v1/trackers/${tracker.body.trackId}/refresh`, {}).expect(200);

    // MAT: two postbacks, one of them resent, and one with the all-zero ad id (ad tracking limited: ignored).
    const code = (await admin.post('/v1/mat/link-codes', { name: 'Metrics app' }).expect(201)).body.code;
    const postbacks = [
      { event: 'install', adid: ADID(1), eventId: 'p1' },
      { event: 'purchase', adid: ADID(2), eventId: 'p2' },
    ];
    await request(api.url).post(`/v1/mat/postbacks/igaworks/${code}`).send(postbacks).expect(202);
    await request(api.url).post(`/v1/mat/postbacks/igaworks/${code}`).send([postbacks[0], { event: 'install', adid: '00000000-0000-0000-0000-000000000000' }]).expect(202);

    // A job that fails on both of its attempts (the retry, then for good).
    const jobs = api.runtime.services.jobs;
    jobs.define('test.always-fails', async () => {
      throw new Error('this job always fails');
    });
    const failing = await jobs.enqueue('test.always-fails', {}, { attempts: 2, backoffMs: 10 });
    await eventually(async () => (await jobs.get('test.always-fails', failing))?.status === 'failed', 'the failing job to fail for good');

    ({ samples, types } = await scrape(api.url));
  }, 120_000);

  it('counts HTTP requests by route template and status, never by raw path', async () => {
    await request(api.url).get(`/v1/no-such-route/${'x'.repeat(40)}`).expect(404);
    const { samples: now } = await scrape(api.url);
    expect(types.get('http_request_duration_seconds')).toBe('histogram');
    expect(value(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/datasets/:id/data', status: '201' })).toBe(1);
    expect(value(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/collect/:trackId', status: '202' })).toBe(2);
    expect(value(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/collect/:trackId', status: '422' })).toBe(1);
    expect(value(now, 'http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(value(samples, 'http_request_duration_seconds_sum', { route: '/v1/datasets/:id/data' })).toBeGreaterThan(0);
    expect(value(samples, 'http_request_duration_seconds_bucket', { route: '/v1/datasets/:id/data', le: '+Inf' })).toBe(1);
    const routes = new Set(now.filter((s) => s.name.startsWith('http_request_duration_seconds')).map((s) => s.labels.route));
    expect([...routes].filter((r) => r.includes(datasetId) || r.includes('xxxx'))).toEqual([]);
    expect([...routes].every((r) => r === 'unmatched' || r === 'console' || r.startsWith('/'))).toBe(true);
  });

  it('counts batch rows, exports, collected events, postbacks and population counts by outcome', () => {
    expect(types.get('cdp_batch_rows_total')).toBe('counter');
    expect(value(samples, 'cdp_batch_rows_total', { outcome: 'ok' })).toBe(30);
    expect(value(samples, 'cdp_batch_rows_total', { outcome: 'failed' })).toBe(1);
    expect(value(samples, 'cdp_export_rows_total', { destination_type: 's3' })).toBe(30);
    expect(value(samples, 'cdp_export_files_total', { destination_type: 's3' })).toBe(1);
    expect(value(samples, 'cdp_export_files_total', { destination_type: 'liveramp' })).toBe(0);
    expect(value(samples, 'cdp_collect_events_total', { outcome: 'accepted' })).toBe(3);
    expect(value(samples, 'cdp_collect_events_total', { outcome: 'deduplicated' })).toBe(3);
    expect(value(samples, 'cdp_collect_events_total', { outcome: 'rejected' })).toBe(2);
    expect(value(samples, 'cdp_mat_postbacks_total', { outcome: 'accepted' })).toBe(2);
    expect(value(samples, 'cdp_mat_postbacks_total', { outcome: 'deduplicated' })).toBe(1);
    expect(value(samples, 'cdp_mat_postbacks_total', { outcome: 'ignored' })).toBe(1);
    // The tracker's count asked for now, maybe more (creating the tracker queued a first one).
    expect(value(samples, 'cdp_population_counts_total', { kind: 'tracker', outcome: 'too_small' }) + value(samples, 'cdp_population_counts_total', { kind: 'tracker', outcome: 'ready' })).toBeGreaterThanOrEqual(1);
  });

  it('counts finished jobs and failed attempts by queue, and shows every queue with its depth', () => {
    expect(value(samples, 'cdp_jobs_finished_total', { queue: 'audiences.evaluate', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'cdp_jobs_finished_total', { queue: 'activations.run', outcome: 'completed' })).toBe(1);
    expect(value(samples, 'cdp_jobs_finished_total', { queue: 'test.always-fails', outcome: 'failed' })).toBe(1);
    expect(value(samples, 'cdp_job_attempts_failed_total', { queue: 'test.always-fails' })).toBe(2);
    expect(value(samples, 'cdp_jobs_failed', { queue: 'test.always-fails' })).toBe(1);
    for (const name of ['cdp_jobs_waiting', 'cdp_jobs_active', 'cdp_jobs_delayed', 'cdp_jobs_failed', 'cdp_jobs_oldest_waiting_age_seconds']) {
      expect(types.get(name)).toBe('gauge');
      expect(samples.some((s) => s.name === name && s.labels.queue === 'activations.run')).toBe(true);
    }
  });

  it('shows the database pool and the process', () => {
    expect(value(samples, 'cdp_db_pool_max')).toBe(5); // the test database's pool
    for (const name of ['cdp_db_pool_in_use', 'cdp_db_pool_waiting', 'cdp_db_pool_free']) expect(samples.some((s) => s.name === name)).toBe(true);
    expect(value(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value(samples, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('shows jobs waiting and running, and how long the oldest has waited', async () => {
    const jobs = api.runtime.services.jobs;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    jobs.define('test.held', () => gate, { concurrency: 1 });
    const first = await jobs.enqueue('test.held', {});
    await jobs.enqueue('test.held', {});
    await jobs.enqueue('test.held', {}, { delayMs: 3_600_000 });
    try {
      await eventually(async () => (await jobs.get('test.held', first))?.status === 'active', 'the first held job to run');
      const { samples: now } = await eventually(async () => {
        const s = await scrape(api.url);
        return value(s.samples, 'cdp_jobs_oldest_waiting_age_seconds', { queue: 'test.held' }) > 0 ? s : undefined;
      }, 'the waiting held job to have an age');
      expect(value(now, 'cdp_jobs_active', { queue: 'test.held' })).toBe(1);
      expect(value(now, 'cdp_jobs_waiting', { queue: 'test.held' })).toBe(1);
      expect(value(now, 'cdp_jobs_delayed', { queue: 'test.held' })).toBe(1);
      expect(value(now, 'cdp_jobs_oldest_waiting_age_seconds', { queue: 'activations.run' })).toBe(0);
    } finally {
      release();
    }
  });
});

describe('who may read /metrics', () => {
  it('answers a loopback client without an API key', async () => {
    const res = await request(api.url).get('/metrics').expect(200);
    expect(res.text).toContain('# TYPE cdp_collect_events_total counter');
  });

  it('refuses clients off this machine while no token is set (403), and knows loopback addresses', () => {
    const metrics = api.runtime.services.metrics;
    const from = (remoteAddress: string) => ({ get: () => undefined, socket: { remoteAddress } }) as never;
    for (const address of ['127.0.0.1', '127.0.0.53', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopback(address)).toBe(true);
      expect(() => metrics.authorize(from(address))).not.toThrow();
    }
    for (const address of ['10.1.2.3', '192.168.0.7', '::ffff:10.0.0.1', 'fe80::1', '1.27.0.0']) {
      expect(isLoopback(address)).toBe(false);
      let err: unknown;
      try {
        metrics.authorize(from(address));
      } catch (e) {
        err = e;
      }
      expect(isCdpError(err) && err.status).toBe(403);
      expect((err as Error).message).toContain('METRICS_TOKEN');
    }
  });

  it('with METRICS_TOKEN set, asks every client for that token (401 otherwise) and never shows it', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const guarded = await startTestApi({ env: { METRICS_TOKEN: token } });
    try {
      const none = await request(guarded.url).get('/metrics').expect(401);
      expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(none.body.detail).toContain('METRICS_TOKEN');
      await request(guarded.url).get('/metrics').set('Authorization', 'Bearer metrics-token-0123456789abcdeX').expect(401);
      // An API key is not the metrics token, not even the admin's.
      await request(guarded.url).get('/metrics').set('Authorization', `Bearer ${guarded.adminToken}`).expect(401);
      const ok = await request(guarded.url).get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
      expect(ok.text).toContain('cdp_db_pool_in_use');
      expect(ok.text).not.toContain(token);
      expect(JSON.stringify(none.body)).not.toContain(token);
    } finally {
      await guarded.close();
    }
  });

  it('refuses a METRICS_TOKEN too short to guess at', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN must be at least 16 characters/);
  });
});

describe('METRICS_PORT', () => {
  it('serves only GET /metrics on its own port, also in a worker process without the API', async () => {
    const database = await openTestDatabase();
    const runtime = await startRuntime({ config: loadConfig({ PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent' }), log: testLog, mode: 'worker', database });
    try {
      expect(runtime.url).toBeUndefined();
      const base = runtime.metricsUrl!.replace(/\/metrics$/, '');
      const { samples } = await scrape(base);
      expect(samples.some((s) => s.name === 'cdp_jobs_waiting' && s.labels.queue === 'populations.tick')).toBe(true);
      expect(value(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      const other = await request(base).get('/v1/health').expect(404);
      expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    } finally {
      await runtime.close();
      await database.close();
    }
  });
});

describe('Bull queues', () => {
  let bull: TestApi;
  afterAll(async () => bull?.close());

  it('reports what waits in Redis, and counts the jobs this process then completes', async () => {
    // API only: nothing processes the queues until the test starts the workers.
    bull = await startTestApi({ jobs: 'bull', mode: 'api' });
    const jobs: JobQueue = bull.runtime.services.jobs;
    await jobs.enqueue('datasets.expire', {}, { jobId: 'metrics-1' });
    await jobs.enqueue('datasets.expire', {}, { jobId: 'metrics-2' });
    // Ages are in milliseconds: the first scrape may come within the one the jobs were added in.
    const { samples: before } = await eventually(async () => {
      const s = await scrape(bull.url);
      return value(s.samples, 'cdp_jobs_oldest_waiting_age_seconds', { queue: 'datasets.expire' }) > 0 ? s : undefined;
    }, 'the oldest waiting job to have an age');
    expect(value(before, 'cdp_jobs_waiting', { queue: 'datasets.expire' })).toBe(2);
    expect(value(before, 'cdp_jobs_waiting', { queue: 'activations.run' })).toBe(0);

    await jobs.start();
    await eventually(async () => (await jobs.get('datasets.expire', 'metrics-2'))?.status === 'completed', 'the waiting jobs to complete');
    const { samples: after } = await eventually(async () => {
      const s = await scrape(bull.url);
      return value(s.samples, 'cdp_jobs_finished_total', { queue: 'datasets.expire', outcome: 'completed' }) === 2 ? s : undefined;
    }, 'both completions counted');
    expect(value(after, 'cdp_jobs_waiting', { queue: 'datasets.expire' })).toBe(0);
  }, 30_000);
});
