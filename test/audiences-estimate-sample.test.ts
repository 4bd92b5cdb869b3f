/**
 * The estimate's sample (Adobe's "View profiles" in the segment builder), asked for with
 * `sample: true`: up to 10 qualifying members, each once, also when two datasets of one namespace
 * hold the same prospects. Without it the estimate is the count alone.
 */
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { prospectCsv, ProspectSetup, setUpProspects } from './helpers/prospects';

let api: TestApi;
let p: ProspectSetup;
let marketer: string;
let namespaceId: string;

const seoul = Array.from({ length: 12 }, (_, i) => ({ id: `S${i}`, city: 'Seoul', age: 20 + i }));
const busan = [
  { id: 'B1', city: 'Busan', age: 40 },
  { id: 'B2', city: 'Busan', age: 41 },
  { id: 'B3', city: 'Busan', age: 42 },
];

beforeAll(async () => {
  api = await startTestApi();
  p = await setUpProspects(api, 'Sample');
  marketer = await api.keyFor('marketer');
  const as = api.as(p.token);
  await as.post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv([...seoul.slice(0, 3), ...busan])).expect(201);
  // A later vendor file of the same schema and namespace: all 12 Seoul prospects, 3 of them again.
  // The first dataset is read first, so a sample that kept repeats would show only 7.
  const second = await as.post('/v1/datasets', { name: 'Prospects Sample (refresh)', schemaId: p.schemaId }).expect(201);
  await as.post(`/v1/datasets/${second.body.id}/enable-profile`, {}).expect(200);
  await as.post(`/v1/datasets/${second.body.id}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv(seoul)).expect(201);
  namespaceId = (await api.as(marketer).get('/v1/namespaces').expect(200)).body.items.find((n: { code: string }) => n.code === p.namespaceCode).id;
});
afterAll(async () => api.close());

it('samples 10 distinct qualifying members of a larger audience, across datasets sharing identities', async () => {
  const res = await api.as(marketer).post('/v1/audiences/estimate', { rule: 'homeAddress.city = "Seoul"', sample: true }).expect(200);
  expect(res.body.size).toBe(12);
  expect(res.body.datasets).toHaveLength(2);
  const sample: { namespaceId: string; identity: string }[] = res.body.sample;
  expect(sample).toHaveLength(10);
  expect(new Set(sample.map((s) => s.identity)).size).toBe(10);
  for (const s of sample) {
    expect(s.namespaceId).toBe(namespaceId);
    expect(seoul.map((x) => x.id)).toContain(s.identity);
  }
});

it('samples every member of a small audience and none of an empty one', async () => {
  const small = await api.as(marketer).post('/v1/audiences/estimate', { rule: { field: 'homeAddress.city', op: '=', value: 'Busan' }, sample: true }).expect(200);
  expect(small.body.size).toBe(3);
  expect(small.body.sample.map((s: { identity: string }) => s.identity).sort()).toEqual(['B1', 'B2', 'B3']);
  const none = await api.as(marketer).post('/v1/audiences/estimate', { rule: 'homeAddress.city = "Jeju"', sample: true }).expect(200);
  expect(none.body).toMatchObject({ size: 0, sample: [] });
});

it('answers the count alone unless a sample is asked for, and refuses a sample flag that is not a boolean', async () => {
  const res = await api.as(marketer).post('/v1/audiences/estimate', { rule: 'homeAddress.city = "Seoul"' }).expect(200);
  expect(res.body.size).toBe(12);
  expect(res.body).not.toHaveProperty('sample');
  const bad = expectProblem(await api.as(marketer).post('/v1/audiences/estimate', { rule: 'homeAddress.city = "Seoul"', sample: 'yes' }), 400);
  expect(JSON.stringify(bad)).toContain('/sample');
});
