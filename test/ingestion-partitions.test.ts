/**
 * Large batches become partitions of their dataset (src/datasets/storage.ts attachBatchSql) instead
 * of being merged row by row. The guarantees users rely on must hold on both paths: a multi-file
 * batch is all or nothing, a failed completion or a crash leaves nothing visible, the newest record
 * of an identity wins (within a batch and across partitions), and deleting a batch brings the
 * earlier records back. Here every batch of 3 rows or more gets its own partition.
 */
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { prospectCsv, PROSPECT_FIELD_GROUPS, ProspectSetup, setUpProspects } from './helpers/prospects';

let api: TestApi;
let p: ProspectSetup;
beforeAll(async () => {
  api = await startTestApi();
  api.runtime.services.batches.configure({ partitionRows: 3, maxPartitions: 32 });
  p = await setUpProspects(api, 'Parts');
});
afterAll(async () => api.close());

const csv = 'text/csv';
const upload = (datasetId: string, body: string) => api.as(p.token).post(`/v1/datasets/${datasetId}/data?format=csv&fileName=partner.csv`).set('Content-Type', csv).send(body);
const profile = (id: string) => api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/${id}`);

async function tableOf(datasetId: string): Promise<string> {
  const [row] = await api.db('datasets').where({ id: datasetId }).select('table_name');
  return row.table_name;
}

/** The dataset's partitions, by name. */
async function partitions(datasetId: string): Promise<string[]> {
  const table = await tableOf(datasetId);
  const { rows } = await api.db.raw(`select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = ?::regclass order by 1`, [`cdp_data.${table}`]);
  return rows.map((r: { relname: string }) => r.relname);
}

const batchTable = (batchId: string) => `b_${batchId.replace(/^batch_/, '')}`;

async function currentRecords(datasetId: string, identity: string): Promise<number> {
  const table = await tableOf(datasetId);
  const { rows } = await api.db.raw(`select count(*)::int as n from cdp_data.?? where "_cdp_identity" = ? and "_cdp_current"`, [table, identity]);
  return rows[0].n;
}

async function stagingTableExists(batchId: string): Promise<boolean> {
  const { rows } = await api.db.raw(`select to_regclass(?) is not null as present`, [`cdp_staging.${batchTable(batchId)}`]);
  return rows[0].present;
}

it('a two-file batch becomes one partition at completion; the last row of a repeated identity wins', async () => {
  const created = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv' }).expect(201);
  const id = created.body.id;
  await api.as(p.token).put(`/v1/batches/${id}/files/a.csv`).set('Content-Type', csv).send(prospectCsv([{ id: 'P1', city: 'Seoul' }, { id: 'P2', city: 'Busan' }])).expect(200);
  await api.as(p.token).put(`/v1/batches/${id}/files/b.csv`).set('Content-Type', csv).send(prospectCsv([{ id: 'P1', city: 'Jeju', age: 41 }, { id: 'P3' }])).expect(200);
  expectProblem(await profile('P2'), 404); // nothing visible before completion
  expect(await partitions(p.datasetId)).not.toContain(batchTable(id));

  const done = await api.as(p.token).post(`/v1/batches/${id}/complete`, {}).expect(200);
  expect(done.body).toMatchObject({ status: 'success', counts: { input: 4, output: 4, failed: 0 } });
  expect(await partitions(p.datasetId)).toContain(batchTable(id));
  expect((await profile('P1').expect(200)).body.attributes).toMatchObject({ homeAddress: { city: 'Jeju' }, consumer: { age: 41 } });
  expect(await currentRecords(p.datasetId, 'P1')).toBe(1);
  expect((await api.as(p.token).get(`/v1/datasets/${p.datasetId}`).expect(200)).body.counts.records).toBe(4);
  // The system fields were fixed at completion, as the row-by-row merge fills them.
  const table = await tableOf(p.datasetId);
  const { rows } = await api.db.raw(`select "_cdp_batch_seq" as seq, "_cdp_profile" as profile, "_cdp_part" as part from cdp_data.?? where "_cdp_batch_id" = ? limit 1`, [table, id]);
  const [batch] = await api.db('batches').where({ id }).select('seq', 'part');
  expect(rows[0]).toMatchObject({ seq: batch.seq, profile: true, part: batch.part });
});

it('the newest batch wins across partitions and partition 0, and deleting one brings the earlier record back', async () => {
  api.runtime.services.batches.configure({ partitionRows: 2 });
  try {
    const small = await upload(p.datasetId, prospectCsv([{ id: 'W1', city: 'Seoul', age: 30 }])).expect(201); // 1 row: merged into partition 0
    const large = await upload(p.datasetId, prospectCsv([{ id: 'W1', city: 'Busan' }, { id: 'W2', city: 'Daegu' }])).expect(201);
    expect(await partitions(p.datasetId)).toContain(batchTable(large.body.id));
    expect((await profile('W1').expect(200)).body.attributes.homeAddress.city).toBe('Busan');
    expect(await currentRecords(p.datasetId, 'W1')).toBe(1);

    const later = await upload(p.datasetId, prospectCsv([{ id: 'W2', city: 'Gwangju' }])).expect(201); // partition 0 again
    expect((await profile('W2').expect(200)).body.attributes.homeAddress.city).toBe('Gwangju');
    expect(await currentRecords(p.datasetId, 'W2')).toBe(1);

    await api.as(p.token).delete(`/v1/batches/${large.body.id}`).expect(200);
    expect(await partitions(p.datasetId)).not.toContain(batchTable(large.body.id));
    expect((await profile('W1').expect(200)).body.attributes).toMatchObject({ homeAddress: { city: 'Seoul' }, consumer: { age: 30 } });
    expect((await profile('W2').expect(200)).body.attributes.homeAddress.city).toBe('Gwangju');
    await api.as(p.token).delete(`/v1/batches/${later.body.id}`).expect(200);
    expectProblem(await profile('W2'), 404);
    await api.as(p.token).delete(`/v1/batches/${small.body.id}`).expect(200);
    expectProblem(await profile('W1'), 404);
  } finally {
    api.runtime.services.batches.configure({ partitionRows: 3 });
  }
});

it('two files, one failing: the batch fails, its table goes and nothing is visible', async () => {
  const created = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv' }).expect(201);
  const id = created.body.id;
  await api.as(p.token).put(`/v1/batches/${id}/files/good.csv`).set('Content-Type', csv).send(prospectCsv([{ id: 'F1' }, { id: 'F2' }, { id: 'F3' }])).expect(200);
  const bad = await api.as(p.token).put(`/v1/batches/${id}/files/bad.csv`).set('Content-Type', csv).send('no,partner,column\n1,2,3\n').expect(200);
  expect(bad.body.status).toBe('failed');
  expect((await api.as(p.token).get(`/v1/batches/${id}`).expect(200)).body.status).toBe('failed');
  expectProblem(await api.as(p.token).post(`/v1/batches/${id}/complete`, {}), 409);
  expectProblem(await profile('F1'), 404);
  expect(await stagingTableExists(id)).toBe(false);
  expect(await partitions(p.datasetId)).not.toContain(batchTable(id));
});

it('a completion that fails midway attaches nothing; completing again makes the batch visible once', async () => {
  let fail = true;
  api.runtime.services.batches.onMerged(async () => {
    if (fail) {
      fail = false;
      throw new Error('the process died while completing');
    }
  });
  const created = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv' }).expect(201);
  const id = created.body.id;
  await api.as(p.token).put(`/v1/batches/${id}/files/a.csv`).set('Content-Type', csv).send(prospectCsv([{ id: 'C1' }, { id: 'C2' }, { id: 'C3' }])).expect(200);
  expect((await api.as(p.token).post(`/v1/batches/${id}/complete`, {})).status).toBe(500);
  expect((await api.as(p.token).get(`/v1/batches/${id}`).expect(200)).body.status).toBe('loading');
  expectProblem(await profile('C1'), 404);
  expect(await partitions(p.datasetId)).not.toContain(batchTable(id));
  expect(await stagingTableExists(id)).toBe(true);

  await api.as(p.token).post(`/v1/batches/${id}/complete`, {}).expect(200);
  await profile('C1').expect(200);
  expect(await currentRecords(p.datasetId, 'C1')).toBe(1);
  expect((await api.as(p.token).get(`/v1/batches/${id}`).expect(200)).body.counts.output).toBe(3);
});

it('a load left behind by a process that died fails at recovery and its table goes', async () => {
  const created = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv' }).expect(201);
  const id = created.body.id;
  await api.as(p.token).put(`/v1/batches/${id}/files/a.csv`).set('Content-Type', csv).send(prospectCsv([{ id: 'D1' }, { id: 'D2' }, { id: 'D3' }])).expect(200);
  // What a process killed mid-file leaves: a file marked loading by an instance that is gone.
  await api.db('batch_files').insert({ id: `bf_dead_${Date.now()}`, ad_account_id: api.adAccountId, batch_id: id, file_index: 2, name: 'b.csv', status: 'loading', loader: 999_999 });
  expect(await api.runtime.services.batches.recoverLoads([], 0)).toBeGreaterThanOrEqual(1);
  const batch = (await api.as(p.token).get(`/v1/batches/${id}`).expect(200)).body;
  expect(batch.status).toBe('failed');
  expect(batch.failureReason).toMatch(/b\.csv: the load stopped/);
  expect(await stagingTableExists(id)).toBe(false);
  expectProblem(await profile('D1'), 404);
});

it('fields the schema gains while a large batch loads are columns of its partition (empty) and of later batches', async () => {
  const created = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv' }).expect(201);
  const id = created.body.id;
  await api.as(p.token).put(`/v1/batches/${id}/files/a.csv`).set('Content-Type', csv).send(prospectCsv([{ id: 'G1' }, { id: 'G2' }, { id: 'G3', city: 'Ulsan' }])).expect(200);
  const admin = api.as(api.adminToken);
  const fg = await admin
    .post('/v1/field-groups', { title: 'Loyalty', intendedToExtend: ['xdm:individual-prospect-profile'], definition: { loyalty: { type: 'object', properties: { points: { type: 'integer' } } } } })
    .expect(201);
  await admin.patch(`/v1/schemas/${p.schemaId}`, { fieldGroupIds: [...PROSPECT_FIELD_GROUPS, fg.body.id] }).expect(200);
  // A batch created now grows the dataset's table; it fills the new field.
  await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv&fileName=loyal.csv`).set('Content-Type', csv).send('partnerID,loyalty.points\nG9,70\n').expect(201);
  await api.as(p.token).post(`/v1/batches/${id}/complete`, {}).expect(200);
  expect(await partitions(p.datasetId)).toContain(batchTable(id));
  expect((await profile('G3').expect(200)).body.attributes.homeAddress.city).toBe('Ulsan');
  expect((await profile('G9').expect(200)).body.attributes.loyalty).toEqual({ points: 70 });
  const later = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv&fileName=loyal2.csv`).set('Content-Type', csv).send('partnerID,loyalty.points\nG1,5\nG2,6\nG3,7\n').expect(201);
  expect(await partitions(p.datasetId)).toContain(batchTable(later.body.id));
  expect((await profile('G3').expect(200)).body.attributes.loyalty).toEqual({ points: 7 });
});

it('past the partition limit a large batch is merged row by row, with the same result', async () => {
  api.runtime.services.batches.configure({ maxPartitions: 0 });
  try {
    const before = await partitions(p.datasetId);
    const done = await upload(p.datasetId, prospectCsv([{ id: 'M1', city: 'Seoul' }, { id: 'M2' }, { id: 'M1', city: 'Suwon' }])).expect(201);
    expect(done.body.counts.output).toBe(3);
    expect(await partitions(p.datasetId)).toEqual(before);
    expect((await profile('M1').expect(200)).body.attributes.homeAddress.city).toBe('Suwon');
    expect(await currentRecords(p.datasetId, 'M1')).toBe(1);
  } finally {
    api.runtime.services.batches.configure({ maxPartitions: 32 });
  }
});

it('deleting the dataset takes its partitions with it', async () => {
  const other = await setUpProspects(api, 'PartsGone', { token: p.token });
  await upload(other.datasetId, prospectCsv([{ id: 'X1' }, { id: 'X2' }, { id: 'X3' }])).expect(201);
  const table = await tableOf(other.datasetId);
  expect((await partitions(other.datasetId)).length).toBe(2);
  await api.as(p.token).delete(`/v1/datasets/${other.datasetId}`).expect(204);
  const { rows } = await api.db.raw(`select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'cdp_data' and c.relname like ?`, [`${table}%`]);
  expect(rows[0].n).toBe(0);
});

it('a file of many blocks is stored exactly as written, on parse threads and without', async () => {
  // ~4 MB: a dozen 512 KiB blocks, more than the window of blocks in flight, read out of order by two
  // threads and written in file order.
  const rows = Array.from({ length: 50_000 }, (_, i) => ({
    id: `M${String(i).padStart(6, '0')}`,
    city: ['서울', 'Busan', '"Jeju, 제주"', '대구 수성구', ''][i % 5],
    age: i % 7 === 0 ? '' : (i * 37) % 120,
    firstName: `이름${i}${'ㄱ'.repeat(i % 13)}`,
    email: i % 3 === 0 ? '' : `m${i}@example.com`,
  }));
  const file = prospectCsv(rows);
  const expected = rows.map((r) => [r.id, r.city.replace(/^"|"$/g, ''), r.age, r.firstName, r.email].join('|')).join('\n');
  // The file's last test: the threads setting it leaves applies to no other.
  for (const parseThreads of [2, 0]) {
    api.runtime.services.batches.configure({ parseThreads });
    const s = await setUpProspects(api, `Blocks${parseThreads}`, { token: p.token });
    const done = await api.as(s.token).post(`/v1/datasets/${s.datasetId}/data?format=csv&fileName=many.csv`).set('Content-Type', csv).send(file).expect(201);
    expect(done.body.counts).toMatchObject({ input: rows.length, output: rows.length, failed: 0 });
    expect(await partitions(s.datasetId)).toContain(batchTable(done.body.id));
    const table = await tableOf(s.datasetId);
    const { rows: stored } = await api.db.raw(
      `select string_agg(concat_ws('|', "partnerID", coalesce("homeAddress__city", ''), coalesce("consumer__age"::text, ''), coalesce("person__name__firstName", ''), coalesce("personalEmail__address", '')), E'\\n' order by "_cdp_row") as text from cdp_data.??`,
      [table],
    );
    expect(stored[0].text).toBe(expected);
  }
});
