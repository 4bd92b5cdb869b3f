/**
 * Batch ingestion through HTTP: partial ingestion with row errors, the error threshold, atomic
 * batches, last-batch-wins profiles, batch deletion, and prospect profile browsing.
 */
import { gzipSync } from 'node:zlib';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { prospectCsv, ProspectSetup, setUpProspects } from './helpers/prospects';

let api: TestApi;
let p: ProspectSetup;
beforeAll(async () => {
  api = await startTestApi();
  p = await setUpProspects(api, 'Acme');
});
afterAll(async () => api.close());

const upload = (datasetId: string, body: string | Buffer, query = 'format=csv&fileName=partner.csv', type = 'text/csv') =>
  api.as(p.token).post(`/v1/datasets/${datasetId}/data?${query}`).set('Content-Type', type).send(body);

async function tableCount(datasetId: string): Promise<number> {
  const ds = await api.as(p.token).get(`/v1/datasets/${datasetId}`).expect(200);
  return ds.body.counts.records;
}

describe('partial ingestion', () => {
  it('loads the good rows, reports counts and keeps downloadable row errors', async () => {
    const rows: Parameters<typeof prospectCsv>[0] = Array.from({ length: 40 }, (_, i) => ({ id: `P${i}`, firstName: `이름${i}`, city: i % 2 ? 'Seoul' : 'Busan', age: 20 + i }));
    rows.push({ id: 'BAD1', age: 'forty' }); // not an integer
    rows.push({ id: 'BAD2', email: 'not-an-email' });
    const res = await upload(p.datasetId, prospectCsv(rows)).expect(201);
    expect(res.body.status).toBe('success');
    expect(res.body.counts).toEqual({ input: 42, output: 40, failed: 2 });

    const csv = await api.as(p.token).get(`/v1/batches/${res.body.id}/errors?format=csv`).expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('file,row,field,rule,message,rawValue');
    expect(lines).toHaveLength(3);
    expect(csv.text).toContain('consumer.age');
    expect(csv.text).toContain('forty');

    const json = await api.as(p.token).get(`/v1/batches/${res.body.id}/errors?format=json`).expect(200);
    const errors = JSON.parse(json.text);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ row: 41, field: 'consumer.age', rawValue: 'forty' }),
        expect.objectContaining({ row: 42, field: 'personalEmail.address' }),
      ]),
    );
    expect(await tableCount(p.datasetId)).toBe(40);
  });

  it('fails a batch above the threshold and leaves nothing of it visible', async () => {
    const before = await tableCount(p.datasetId);
    const rows = [{ id: 'T1', age: 30 }, { id: 'T2', age: 'x' }, { id: 'T3', age: 'y' }];
    const res = await upload(p.datasetId, prospectCsv(rows), 'format=csv&fileName=bad.csv&errorThreshold=10').expect(201);
    expect(res.body.status).toBe('failed');
    expect(res.body.failureReason).toMatch(/2 of 3 rows failed .*above the error threshold of 10%/);
    expect(await tableCount(p.datasetId)).toBe(before);
    expectProblem(await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/T1`), 404);
  });

  it('fails a file it cannot read with a clear reason', async () => {
    const res = await upload(p.datasetId, 'partnerID,shoeSize\nA,42\n').expect(201);
    expect(res.body.status).toBe('failed');
    expect(res.body.failureReason).toMatch(/shoeSize/);
  });

  it('reads gzip and JSON lines', async () => {
    const gz = gzipSync(Buffer.from(prospectCsv([{ id: 'G1', city: 'Incheon' }])));
    const a = await upload(p.datasetId, gz, 'format=csv&fileName=g.csv.gz', 'application/gzip').expect(201);
    expect(a.body).toMatchObject({ status: 'success', counts: { input: 1, output: 1, failed: 0 } });
    const jl = '{"partnerID":"J1","homeAddress":{"city":"Daegu"},"consumer":{"age":33}}\n';
    const b = await upload(p.datasetId, jl, 'format=jsonl&fileName=j.jsonl', 'application/x-ndjson').expect(201);
    expect(b.body).toMatchObject({ status: 'success', counts: { output: 1 } });
    const profile = await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/J1`).expect(200);
    expect(profile.body.attributes).toMatchObject({ partnerID: 'J1', homeAddress: { city: 'Daegu' }, consumer: { age: 33 } });
  });
});

describe('batches, step by step', () => {
  it('create → upload two files → complete makes all rows visible at once', async () => {
    const created = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv' }).expect(201);
    const id = created.body.id;
    await api.as(p.token).put(`/v1/batches/${id}/files/part1.csv`).set('Content-Type', 'text/csv').send(prospectCsv([{ id: 'S1', city: 'Ulsan' }])).expect(200);
    await api.as(p.token).put(`/v1/batches/${id}/files/part2.csv`).set('Content-Type', 'text/csv').send(prospectCsv([{ id: 'S2', city: 'Jeju' }])).expect(200);
    expectProblem(await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/S1`), 404); // not visible before completion
    const done = await api.as(p.token).post(`/v1/batches/${id}/complete`, {}).expect(200);
    expect(done.body).toMatchObject({ status: 'success', counts: { input: 2, output: 2, failed: 0 } });
    expect(done.body.files.map((f: any) => f.name)).toEqual(['part1.csv', 'part2.csv']);
    await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/S2`).expect(200);
    // Completing again merges nothing twice.
    await api.as(p.token).post(`/v1/batches/${id}/complete`, {}).expect(200);
    expect((await api.as(p.token).get(`/v1/batches/${id}`)).body.counts.output).toBe(2);
    expectProblem(await api.as(p.token).put(`/v1/batches/${id}/files/late.csv`).set('Content-Type', 'text/csv').send('partnerID\nX\n'), 409);
  });

  it('an aborted batch leaves nothing', async () => {
    const created = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv' }).expect(201);
    await api.as(p.token).put(`/v1/batches/${created.body.id}/files/a.csv`).set('Content-Type', 'text/csv').send(prospectCsv([{ id: 'AB1' }])).expect(200);
    const aborted = await api.as(p.token).post(`/v1/batches/${created.body.id}/abort`, {}).expect(200);
    expect(aborted.body.status).toBe('aborted');
    expectProblem(await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/AB1`), 404);
  });

  it('later batches win, and deleting one brings the earlier values back', async () => {
    await upload(p.datasetId, prospectCsv([{ id: 'L1', city: 'Seoul', age: 30 }])).expect(201);
    const second = await upload(p.datasetId, prospectCsv([{ id: 'L1', city: 'Busan' }])).expect(201);
    const now = await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/L1`).expect(200);
    expect(now.body.attributes.homeAddress.city).toBe('Busan');
    expect(now.body.attributes.consumer).toBeUndefined(); // same dataset: the whole record is replaced
    await api.as(p.token).delete(`/v1/batches/${second.body.id}`).expect(200);
    const back = await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/L1`).expect(200);
    expect(back.body.attributes).toMatchObject({ homeAddress: { city: 'Seoul' }, consumer: { age: 30 } });
    expect((await api.as(p.token).get(`/v1/batches/${second.body.id}`)).body.status).toBe('deleted');
  });

  it('rejects bad batch options with a pointer', async () => {
    const body = expectProblem(await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'xml' }), 400);
    expect(body.errors[0].pointer).toBe('/format');
    const delim = expectProblem(await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv', delimiter: ';;' }), 422);
    expect(delim.errors[0].pointer).toBe('/delimiter');
  });
});

describe('prospect profiles', () => {
  it('browse shows the identity namespace of every profile, pages with a cursor and filters', async () => {
    const first = await api.as(p.token).get('/v1/profiles?limit=10').expect(200);
    expect(first.body.items).toHaveLength(10);
    expect(first.body.items[0].namespace).toMatchObject({ code: p.namespaceCode });
    const second = await api.as(p.token).get(`/v1/profiles?limit=10&cursor=${first.body.nextCursor}`).expect(200);
    const ids = [...first.body.items, ...second.body.items].map((r: any) => r.identity);
    expect(new Set(ids).size).toBe(ids.length);
    const seoul = await api.as(p.token).get('/v1/profiles?attribute=homeAddress.city&value=Seoul&limit=500').expect(200);
    expect(seoul.body.items.length).toBeGreaterThan(0);
    for (const item of seoul.body.items) {
      const one = await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/${item.identity}`).expect(200);
      expect(one.body.attributes.homeAddress.city).toBe('Seoul');
    }
  });

  it('fetches one profile with its datasets and batches', async () => {
    const res = await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/P1`).expect(200);
    expect(res.body).toMatchObject({ identity: 'P1', namespace: { code: p.namespaceCode, type: 'partner_id' }, attributes: { person: { name: { firstName: '이름1' } } } });
    expect(res.body.sources[0]).toMatchObject({ datasetId: p.datasetId, batchId: expect.stringMatching(/^batch_/) });
  });

  it('does not show records loaded before the dataset was enabled for profile', async () => {
    const late = await setUpProspects(api, 'Late', { enable: false, token: p.token });
    await upload(late.datasetId, prospectCsv([{ id: 'EARLY' }])).expect(201);
    await api.as(p.token).post(`/v1/datasets/${late.datasetId}/enable-profile`, {}).expect(200);
    expectProblem(await api.as(p.token).get(`/v1/profiles/${late.namespaceCode}/EARLY`), 404);
    await upload(late.datasetId, prospectCsv([{ id: 'AFTER' }])).expect(201);
    await api.as(p.token).get(`/v1/profiles/${late.namespaceCode}/AFTER`).expect(200);
  });

  it("answers 404 for another account's dataset, batch and profiles", async () => {
    const other = await api.otherAccount();
    expectProblem(await api.as(other.adminToken).get(`/v1/datasets/${p.datasetId}`), 404);
    const batches = await api.as(p.token).get(`/v1/datasets/${p.datasetId}/batches`).expect(200);
    expectProblem(await api.as(other.adminToken).get(`/v1/batches/${batches.body.items[0].id}`), 404);
    expectProblem(await api.as(other.adminToken).post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send('partnerID\nX\n'), 404);
    const browse = await api.as(other.adminToken).get('/v1/profiles').expect(200);
    expect(browse.body.items).toEqual([]);
  });
});

describe('crash safety', () => {
  it("a batch's loaded rows are as durable as the dataset: its table is logged, so a database restart cannot empty it", async () => {
    const created = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv' }).expect(201);
    await api.as(p.token).put(`/v1/batches/${created.body.id}/files/a.csv`).set('Content-Type', 'text/csv').send(prospectCsv([{ id: 'KEEP1' }, { id: 'KEEP2' }])).expect(200);
    const { rows } = await api.db.raw(`select relpersistence from pg_class where oid = ?::regclass`, [`cdp_staging.b_${created.body.id.replace(/^batch_/, '')}`]);
    expect(rows[0].relpersistence).toBe('p');
    expectProblem(await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/KEEP1`), 404);
    const done = await api.as(p.token).post(`/v1/batches/${created.body.id}/complete`, {}).expect(200);
    expect(done.body).toMatchObject({ status: 'success', counts: { output: 2 } });
    await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/KEEP1`).expect(200);
  });
});
