/**
 * A prospect profile says where each attribute came from: the dataset and batch whose value won
 * the merge (the most recently merged batch that holds a value; a null never wins).
 */
import { startTestApi, TestApi } from './helpers/harness';
import { prospectCsv, ProspectSetup, setUpProspects } from './helpers/prospects';

let api: TestApi;
let p: ProspectSetup;
beforeAll(async () => {
  api = await startTestApi();
  p = await setUpProspects(api, 'Src');
});
afterAll(async () => api.close());

const upload = (datasetId: string, body: string) =>
  api.as(p.token).post(`/v1/datasets/${datasetId}/data?format=csv&fileName=partner.csv`).set('Content-Type', 'text/csv').send(body).expect(201);

it('names the dataset and batch behind every attribute value', async () => {
  const second = await api.as(p.token).post('/v1/datasets', { name: 'Second vendor file', schemaId: p.schemaId }).expect(201);
  await api.as(p.token).post(`/v1/datasets/${second.body.id}/enable-profile`, {}).expect(200);
  const first = await upload(p.datasetId, prospectCsv([{ id: 'S1', city: 'Busan', age: 41, firstName: '민수' }]));
  // Later batch in another dataset: a new city, no age — the age of the first batch stays.
  const later = await upload(second.body.id, prospectCsv([{ id: 'S1', city: 'Seoul' }]));

  const profile = await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/S1`).expect(200);
  expect(profile.body.attributes).toMatchObject({ homeAddress: { city: 'Seoul' }, consumer: { age: 41 }, person: { name: { firstName: '민수' } } });
  expect(profile.body.attributeSources['homeAddress.city']).toEqual({ datasetId: second.body.id, datasetName: 'Second vendor file', batchId: later.body.id });
  expect(profile.body.attributeSources['consumer.age']).toEqual({ datasetId: p.datasetId, datasetName: 'Prospects Src', batchId: first.body.id });
  expect(profile.body.attributeSources['person.name.firstName']).toMatchObject({ batchId: first.body.id });
  expect(profile.body.attributeSources['personalEmail.address']).toBeUndefined(); // never given a value
  expect(profile.body.sources.map((s: { batchId: string }) => s.batchId)).toEqual([first.body.id, later.body.id]);
});
