/**
 * Dataset lifecycle: isolated storage, dataset labels, one-way enable, deletion that leaves nothing
 * behind, and expiration executed by the scheduled job on an injected clock.
 */
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually, GiveUp } from './helpers/poll';
import { prospectCsv, setUpProspects } from './helpers/prospects';

let api: TestApi;
let governance: string;
beforeAll(async () => {
  api = await startTestApi();
  governance = await api.keyFor('governance');
});
afterAll(async () => api.close());

async function leftovers(datasetId: string, batchIds: string[]) {
  const db = api.db;
  const tables = await db.raw(
    `select schemaname || '.' || tablename as name from pg_tables where schemaname in ('cdp_data', 'cdp_staging')
     and (tablename = ? or tablename = any(?))`,
    [`ds_${datasetId.replace(/^ds_/, '')}`, batchIds.map((b) => `b_${b.replace(/^batch_/, '')}`)],
  );
  const count = async (table: string, where: Record<string, unknown>, whereIn?: [string, string[]]) => {
    const q = db(table).where(where);
    if (whereIn) q.whereIn(whereIn[0], whereIn[1]);
    return Number((await q.count('* as n'))[0].n);
  };
  return {
    tables: tables.rows.map((r: { name: string }) => r.name),
    datasets: await count('datasets', { id: datasetId }),
    columns: await count('dataset_columns', { dataset_id: datasetId }),
    batches: await count('batches', { dataset_id: datasetId }),
    files: await count('batch_files', {}, ['batch_id', batchIds]),
    rowErrors: await count('batch_row_errors', {}, ['batch_id', batchIds]),
    labels: await count('label_assignments', { target_kind: 'dataset', target_id: datasetId }),
  };
}

const NOTHING = { tables: [], datasets: 0, columns: 0, batches: 0, files: 0, rowErrors: 0, labels: 0 };

async function loadSome(token: string, datasetId: string): Promise<string[]> {
  const ids: string[] = [];
  for (const csv of [prospectCsv([{ id: 'D1', city: 'Seoul' }, { id: 'D2', age: 'bad' }]), prospectCsv([{ id: 'D3' }])]) {
    const res = await api.as(token).post(`/v1/datasets/${datasetId}/data?format=csv&errorThreshold=50`).set('Content-Type', 'text/csv').send(csv).expect(201);
    ids.push(res.body.id);
  }
  // and one left loading, with a staging table
  const open = await api.as(token).post(`/v1/datasets/${datasetId}/batches`, { format: 'csv' }).expect(201);
  await api.as(token).put(`/v1/batches/${open.body.id}/files/x.csv`).set('Content-Type', 'text/csv').send(prospectCsv([{ id: 'D4' }])).expect(200);
  ids.push(open.body.id);
  return ids;
}

describe('datasets', () => {
  it('each dataset gets its own typed table', async () => {
    const p = await setUpProspects(api, 'Tbl');
    const ds = await api.as(p.token).get(`/v1/datasets/${p.datasetId}`).expect(200);
    expect(ds.body.table).toBe(`cdp_data.ds_${p.datasetId.replace(/^ds_/, '')}`);
    const cols = await api.db.raw(
      `select column_name, data_type from information_schema.columns where table_schema = 'cdp_data' and table_name = ?`,
      [ds.body.table.split('.')[1]],
    );
    const types = Object.fromEntries(cols.rows.map((r: any) => [r.column_name, r.data_type]));
    expect(types).toMatchObject({ partnerID: 'text', homeAddress__city: 'text', consumer__age: 'integer', consumer__interests: 'ARRAY', _cdp_current: 'boolean' });
  });

  it('carries dataset-level labels set by governance into policy evaluation', async () => {
    const p = await setUpProspects(api, 'Lbl');
    expectProblem(await api.as(p.token).put(`/v1/datasets/${p.datasetId}/labels`, { labels: ['C2'] }), 403);
    const res = await api.as(governance).put(`/v1/datasets/${p.datasetId}/labels`, { labels: ['THIRD_PARTY', 'C2'] }).expect(200);
    expect(res.body.labels.sort()).toEqual(['C2', 'THIRD_PARTY']);
    const evaluation = await api.as(governance).post('/v1/policies/evaluate', { marketingActions: ['exportToThirdParty'], datasetIds: [p.datasetId] }).expect(200);
    const c2 = evaluation.body.violations.find((v: any) => v.matched?.label === 'C2');
    expect(c2).toBeDefined();
    expect(c2.sources).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'dataset', datasetId: p.datasetId })]));
    const other = await api.otherAccount();
    expectProblem(await api.as(other.adminToken).post('/v1/policies/evaluate', { marketingActions: ['exportToThirdParty'], datasetIds: [p.datasetId] }), 404);
    const bad = expectProblem(await api.as(governance).put(`/v1/datasets/${p.datasetId}/labels`, { labels: ['NOPE'] }), 422);
    expect(bad.errors[0].pointer).toBe('/labels/0');
  });

  it('enable for profile is one-way and needs an enabled schema', async () => {
    const p = await setUpProspects(api, 'OneWay');
    expectProblem(await api.as(p.token).post(`/v1/datasets/${p.datasetId}/enable-profile`, { enabled: false }), 422);
    const engineer = p.token;
    await api.as(engineer).post('/v1/namespaces', { name: 'Draft vendor', code: 'draftVendor', type: 'partner_id' }).expect(201);
    const schema = await api
      .as(engineer)
      .post('/v1/schemas', { title: 'Draft prospects', classId: 'xdm:individual-prospect-profile', fieldGroupIds: [], identities: [{ fieldPath: 'partnerID', namespace: 'draftVendor', primary: true }] })
      .expect(201);
    const ds = await api.as(engineer).post('/v1/datasets', { name: 'Draft ds', schemaId: schema.body.id }).expect(201);
    const refused = expectProblem(await api.as(engineer).post(`/v1/datasets/${ds.body.id}/enable-profile`, {}), 422);
    expect(refused.detail).toMatch(/not enabled for profile/);
    expectProblem(await api.as(engineer).delete(`/v1/schemas/${schema.body.id}`), 409); // datasets depend on it
  });

  it('delete removes records, batches, row errors, staging, labels and profiles: nothing is left', async () => {
    const p = await setUpProspects(api, 'Del');
    await api.as(governance).put(`/v1/datasets/${p.datasetId}/labels`, { labels: ['THIRD_PARTY'] }).expect(200);
    const batchIds = await loadSome(p.token, p.datasetId);
    const before = await leftovers(p.datasetId, batchIds);
    expect(before.tables).toHaveLength(2);
    expect(before.rowErrors).toBeGreaterThan(0);
    await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/D1`).expect(200);

    await api.as(p.token).delete(`/v1/datasets/${p.datasetId}`).expect(204);
    expect(await leftovers(p.datasetId, batchIds)).toEqual(NOTHING);
    expectProblem(await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/D1`), 404);
    expectProblem(await api.as(p.token).get(`/v1/datasets/${p.datasetId}`), 404);
  });
});

describe('dataset expiration', () => {
  it('must be at least 24 hours ahead, one per dataset, and only pending ones cancel', async () => {
    const p = await setUpProspects(api, 'ExpRules');
    const soon = new Date(Date.now() + 23 * 3600_000).toISOString();
    const early = expectProblem(await api.as(p.token).post(`/v1/datasets/${p.datasetId}/expiration`, { expiresAt: soon }), 422);
    expect(early.errors[0]).toMatchObject({ pointer: '/expiresAt', rule: 'min-lead-time' });
    const at = new Date(Date.now() + 48 * 3600_000).toISOString();
    const created = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/expiration`, { expiresAt: at }).expect(201);
    expect(created.body.status).toBe('pending');
    expectProblem(await api.as(p.token).post(`/v1/datasets/${p.datasetId}/expiration`, { expiresAt: at }), 409);
    const cancelled = await api.as(p.token).delete(`/v1/datasets/${p.datasetId}/expiration`).expect(200);
    expect(cancelled.body.status).toBe('cancelled');
    expectProblem(await api.as(p.token).delete(`/v1/datasets/${p.datasetId}/expiration`), 404);
  });

  it('is executed by the scheduled job once its time has come, leaving nothing behind', async () => {
    const p = await setUpProspects(api, 'Exp');
    const batchIds = await loadSome(p.token, p.datasetId);
    const at = new Date(Date.now() + 25 * 3600_000);
    await api.as(p.token).post(`/v1/datasets/${p.datasetId}/expiration`, { expiresAt: at.toISOString() }).expect(201);
    const services = api.runtime.services;
    const jobs = services.jobs;

    // Not yet due: the job runs and deletes nothing.
    const first = await jobs.enqueue('datasets.expire', {});
    await waitForJob(jobs, first);
    await api.as(p.token).get(`/v1/datasets/${p.datasetId}`).expect(200);

    // Move the clock past the expiration.
    const realNow = services.clock.now;
    services.clock.now = () => new Date(at.getTime() + 60_000);
    try {
      const second = await jobs.enqueue('datasets.expire', {});
      const result = await waitForJob(jobs, second);
      expect(result).toEqual({ executed: 1 });
    } finally {
      services.clock.now = realNow;
    }
    expect(await leftovers(p.datasetId, batchIds)).toEqual(NOTHING);
    const history = await api.as(p.token).get('/v1/dataset-expirations?status=completed').expect(200);
    expect(history.body.items).toEqual([expect.objectContaining({ datasetId: p.datasetId, status: 'completed', completedAt: expect.any(String) })]);
  });
});

async function waitForJob(jobs: TestApi['runtime']['services']['jobs'], id: string): Promise<unknown> {
  const info = await eventually(async () => {
    const info = await jobs.get('datasets.expire', id);
    if (info?.status === 'failed') throw new GiveUp(info.failedReason);
    return info?.status === 'completed' ? info : undefined;
  }, `job ${id} to finish`, 10_000, 20);
  return info.result;
}
