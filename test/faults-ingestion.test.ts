/**
 * Faults during a file load, on the real service and a real PostgreSQL: the database drops the
 * connection of a COPY, a batch is aborted while a file with row errors still streams, a tiny gzip
 * expands to millions of bad rows. Each fails one request or batch, bounded, and the service keeps
 * answering.
 */
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { ProspectSetup, setUpProspects } from './helpers/prospects';

let api: TestApi;
let p: ProspectSetup;
beforeAll(async () => {
  api = await startTestApi();
  p = await setUpProspects(api, 'Faults');
});
afterAll(async () => api.close());

const HEADER = 'partnerID,homeAddress.city,consumer.age\n';

function goodRows(from: number, n: number): string {
  let s = '';
  for (let i = from; i < from + n; i++) s += `F${i},Seoul,${20 + (i % 50)}\n`;
  return s;
}

/** A request whose body the test writes piece by piece, as a slow client would. */
function slowUpload(method: string, path: string, contentType = 'text/csv') {
  const u = new URL(path, api.url);
  let answered!: (r: { status: number; body: any }) => void;
  const response = new Promise<{ status: number; body: any }>((resolve) => (answered = resolve));
  const req = http.request({ agent: false, method, host: u.hostname, port: u.port, path: u.pathname + u.search, headers: { authorization: `Bearer ${p.token}`, 'content-type': contentType } }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (text += c));
    res.on('end', () => answered({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
  });
  req.on('error', (err) => answered({ status: 0, body: { error: err.message } }));
  // Once the service has answered or hung up, the rest of the body goes nowhere.
  const write = (chunk: string) =>
    new Promise<void>((resolve) => {
      if (req.destroyed || req.writableEnded) return resolve();
      if (req.write(chunk)) return resolve();
      req.once('drain', resolve);
      req.once('close', resolve);
    });
  return { write, end: () => req.end(), destroy: () => req.destroy(), response };
}

/** Backends of this test's database running a COPY into a batch's staging table. */
async function copyBackends(): Promise<number[]> {
  const { rows } = await api.db.raw(`select pid from pg_stat_activity where datname = current_database() and query ilike 'copy %staging%' and pid <> pg_backend_pid()`);
  return rows.map((r: { pid: number }) => r.pid);
}

async function batchesOf(datasetId: string) {
  return (await api.as(p.token).get(`/v1/datasets/${datasetId}/batches`).expect(200)).body.items as { id: string; status: string; failureReason: string | null }[];
}

it('a COPY whose database connection is dropped fails that upload only; the service keeps serving and the batch is not left loading', async () => {
  const before = (await api.as(p.token).get(`/v1/datasets/${p.datasetId}`).expect(200)).body.counts.records;
  const upload = slowUpload('POST', `/v1/datasets/${p.datasetId}/data?format=csv`);
  await upload.write(HEADER + goodRows(0, 5000));
  const [pid] = await eventually(async () => {
    const pids = await copyBackends();
    return pids.length ? pids : undefined;
  }, 'the COPY to start');
  // Keep bytes flowing while PostgreSQL terminates the COPY's backend (as a restart would).
  let n = 5000;
  const writing = (async () => {
    for (let i = 0; i < 40; i++) {
      await upload.write(goodRows(n, 2000));
      n += 2000;
      await new Promise((r) => setImmediate(r));
    }
    upload.end();
  })();
  await api.db.raw('select pg_terminate_backend(?)', [pid]);
  await writing;
  const res = await upload.response;
  // The one request fails: its batch failed with a reason, a 5xx, or — when the service answered
  // while this client was still sending — a reset connection (status 0). The process is alive.
  if (res.status === 201) {
    expect(res.body.status).toBe('failed');
    expect(res.body.failureReason).toMatch(/could not be loaded|connection|terminat/i);
  } else if (res.status !== 0) {
    expect(res.status).toBeGreaterThanOrEqual(500);
  }
  await api.as(p.token).get('/v1/health').expect(200);
  // The batch ends failed (never stays loading), and nothing of it is visible.
  const failed = await eventually(async () => {
    const items = await batchesOf(p.datasetId);
    return items.length && items.every((b) => b.status !== 'loading') ? items : undefined;
  }, 'the interrupted batch to be failed');
  expect(failed[0].status).toBe('failed');
  expect((await api.as(p.token).get(`/v1/datasets/${p.datasetId}`).expect(200)).body.counts.records).toBe(before);
  // And the next load works on a fresh connection.
  const ok = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(HEADER + goodRows(100_000, 10)).expect(201);
  expect(ok.body.status).toBe('success');
});

it('aborting a batch while one of its files streams rows with errors answers at once and stops the load', async () => {
  const batch = (await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv', errorThreshold: 100 }).expect(201)).body;
  const upload = slowUpload('PUT', `/v1/batches/${batch.id}/files/bad.csv`);
  // Bad rows (an age that is not a number) interleaved with good ones: errors are flushed while the COPY is open.
  const bad = (from: number, k: number) => {
    let s = '';
    for (let i = from; i < from + k; i++) s += i % 2 ? `B${i},Seoul,old\n` : `B${i},Seoul,33\n`;
    return s;
  };
  await upload.write(HEADER + bad(0, 5000));
  await eventually(async () => (await copyBackends()).length > 0, 'the COPY to start');
  let stop = false;
  let sent = 5000;
  const writing = (async () => {
    while (!stop && sent < 2_000_000) {
      await upload.write(bad(sent, 2000));
      sent += 2000;
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  await eventually(async () => Number((await api.db('batch_row_errors').where({ batch_id: batch.id }).count('* as n'))[0].n) > 0, 'row errors to be stored');
  const aborted = await api.as(p.token).post(`/v1/batches/${batch.id}/abort`, {}).timeout(5000).expect(200);
  expect(aborted.body.status).toBe('aborted');
  // The load stops: the upload is answered although the client never finished sending.
  const res = await upload.response;
  stop = true;
  await writing;
  upload.destroy();
  expect(res.status === 0 || res.status === 409 || (res.status === 201 && res.body.status === 'failed') || res.body?.status === 'failed').toBe(true);
  await eventually(async () => (await copyBackends()).length === 0, 'the COPY to end');
  const final = (await api.as(p.token).get(`/v1/batches/${batch.id}`).expect(200)).body;
  expect(final.status).toBe('aborted');
  expect(final.files.every((f: { status: string }) => f.status !== 'loading')).toBe(true);
  // Its staging table is gone.
  const { rows } = await api.db.raw(`select count(*)::int as n from pg_tables where tablename like ?`, [`%${batch.id.replace(/[^a-z0-9]/gi, '').slice(-10)}%`]);
  expect(rows[0].n).toBe(0);
});

it('a 65 KB gzip of empty rows fails in seconds with a bounded number of stored row errors', async () => {
  const bomb = gzipSync(Buffer.from(HEADER + ',,\n'.repeat(22_000_000)), { level: 9 });
  expect(bomb.length).toBeLessThan(100_000);
  const res = await api
    .as(p.token)
    .post(`/v1/datasets/${p.datasetId}/data?format=csv&compression=gzip`)
    .set('Content-Type', 'application/gzip')
    .send(bomb)
    .expect(201);
  expect(res.body.status).toBe('failed');
  expect(res.body.failureReason).toMatch(/threshold/);
  const [{ n }] = await api.db('batch_row_errors').where({ batch_id: res.body.id }).count('* as n');
  expect(Number(n)).toBeLessThanOrEqual(10_000);
  // Read far fewer rows than the file holds: it stopped once the threshold could no longer be met.
  expect(res.body.counts.input).toBeLessThan(1_000_000);
  expect(res.body.counts.failed).toBe(res.body.counts.input);
}, 90_000);
