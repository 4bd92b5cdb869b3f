/**
 * Audiences over the merged profile (issue 16 §1): a vendor's demographics dataset and its address
 * dataset share one Partner ID namespace. A rule over fields of both counts the merged profiles —
 * per attribute the most recently merged batch's non-null value — exactly as GET /v1/profiles shows
 * them, for every profile, and an export writes the merged values; a later batch changes the merge; rules that match missing values reach
 * profiles that only one dataset holds; another namespace never merges in; the audience carries the
 * labels of both datasets.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { setUpProspects } from './helpers/prospects';
import { startS3Server, TestS3Server } from './setup/s3-server';

let api: TestApi;
let engineer: string;
let marketer: string;
let namespaceCode: string;
let demographics: string;
let addresses: string;
let schemaA: string;
let schemaB: string;
let s3: TestS3Server;

const IDS = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6'];

async function load(datasetId: string, csv: string): Promise<void> {
  const res = await api.as(engineer).post(`/v1/datasets/${datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(csv).expect(201);
  expect(res.body).toMatchObject({ status: 'success', counts: { failed: 0 } }); // loaded when answered
}

async function size(rule: string): Promise<number> {
  const res = await api.as(marketer).post('/v1/audiences/estimate', { rule });
  expect({ rule, status: res.status, detail: res.body.detail }).toEqual({ rule, status: 200, detail: undefined });
  return res.body.size;
}

beforeAll(async () => {
  api = await startTestApi();
  const p = await setUpProspects(api, 'Merge');
  engineer = p.token;
  marketer = await api.keyFor('marketer');
  namespaceCode = p.namespaceCode;
  demographics = p.datasetId;
  schemaA = p.schemaId;
  const as = api.as(engineer);
  const schema = await as.post('/v1/schemas', { title: 'Vendor addresses', classId: 'xdm:individual-prospect-profile', fieldGroupIds: ['fg:home-address'], identities: [{ fieldPath: 'partnerID', namespace: namespaceCode, primary: true }] }).expect(201);
  schemaB = schema.body.id;
  await as.post(`/v1/schemas/${schemaB}/enable-profile`, {}).expect(200);
  addresses = (await as.post('/v1/datasets', { name: 'Vendor addresses', schemaId: schemaB }).expect(201)).body.id;
  await as.post(`/v1/datasets/${addresses}/enable-profile`, {}).expect(200);
  // Demographics first (a few cities too), then the address file: its later non-null values win.
  await load(demographics, ['partnerID,consumer.age,homeAddress.city', 'P1,40,', 'P2,25,', 'P3,50,Seoul', 'P4,35,Seoul', 'P5,,'].join('\n') + '\n');
  await load(addresses, ['partnerID,homeAddress.city', 'P1,Seoul', 'P2,Seoul', 'P3,Busan', 'P4,', 'P6,Seoul'].join('\n') + '\n');
}, 60_000);
afterAll(async () => {
  await api.close();
  await s3?.stop();
});

const RULE = 'consumer.age > 30 and homeAddress.city = "Seoul"';

it('counts a rule over fields of two datasets on the merged profiles', async () => {
  // P1: 40 (A) + Seoul (B). P3: Busan from the later file beats Seoul. P4: a null never overwrites.
  expect(await size(RULE)).toBe(2);
  expect(await size('homeAddress.city = "Seoul"')).toBe(4); // P1, P2, P4, P6
  expect(await size('consumer.age > 30')).toBe(3); // P1, P3, P4
});

it('agrees with the profile view for every profile', async () => {
  const audience = (await api.as(marketer).post('/v1/audiences', { name: 'Seoul over 30', rule: RULE, status: 'published' }).expect(201)).body;
  const started = (await api.as(marketer).post(`/v1/audiences/${audience.id}/evaluations`, {}).expect(202)).body;
  const done = await eventually(async () => {
    const e = (await api.as(marketer).get(`/v1/audiences/${audience.id}/evaluations/${started.id}`).expect(200)).body;
    return e.status === 'success' ? e : undefined;
  }, 'the evaluation');
  expect(done.counts.members).toBe(2);
  const judged: Record<string, boolean> = {};
  const listed: Record<string, boolean> = {};
  for (const id of IDS) {
    const profile = (await api.as(marketer).get(`/v1/profiles/${namespaceCode}/${id}`).expect(200)).body;
    const age = profile.attributes.consumer?.age;
    const city = profile.attributes.homeAddress?.city;
    judged[id] = typeof age === 'number' && age > 30 && city === 'Seoul';
    listed[id] = profile.audienceMemberships.some((m: { audienceId: string }) => m.audienceId === audience.id);
  }
  expect(listed).toEqual(judged);
  expect(judged).toEqual({ P1: true, P2: false, P3: false, P4: true, P5: false, P6: false });
});

it('follows a later batch: the newest non-null value wins', async () => {
  await load(addresses, ['partnerID,homeAddress.city', 'P3,Seoul'].join('\n') + '\n');
  expect(await size(RULE)).toBe(3); // P3 is Seoul again, 50
  expect((await api.as(marketer).get(`/v1/profiles/${namespaceCode}/P3`).expect(200)).body.attributes.homeAddress.city).toBe('Seoul');
});

it('exports the merged values: each attribute from the newest batch that has it', async () => {
  s3 = await startS3Server();
  await s3.createBucket('merged');
  const audience = (await api.as(marketer).post('/v1/audiences', { name: 'Over 30', rule: 'consumer.age > 30', status: 'published' }).expect(201)).body;
  const ev = (await api.as(marketer).post(`/v1/audiences/${audience.id}/evaluations`, {}).expect(202)).body;
  await eventually(async () => (await api.as(marketer).get(`/v1/audiences/${audience.id}/evaluations/${ev.id}`).expect(200)).body.status === 'success', 'the evaluation');
  const dest = (
    await api
      .as(api.adminToken)
      .post('/v1/destinations', {
        name: 'Merged S3',
        kind: 's3',
        settings: { region: s3.region, endpoint: s3.endpoint, bucket: 'merged', prefix: 'out/', compression: 'none' },
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      })
      .expect(201)
  ).body;
  const activation = (
    await api
      .as(marketer)
      .post('/v1/activations', {
        name: 'Over 30 with cities',
        destinationId: dest.id,
        audienceIds: [audience.id],
        schedule: { type: 'after_evaluation' },
        mapping: { identity: { namespace: namespaceCode, column: 'partner_id' }, attributes: [{ field: 'consumer.age', column: 'age' }, { field: 'homeAddress.city', column: 'city' }] },
      })
      .expect(201)
  ).body.activation;
  const run = (await api.as(marketer).post(`/v1/activations/${activation.id}/runs`, {}).expect(202)).body;
  const done = await eventually(async () => {
    const r = (await api.as(marketer).get(`/v1/activations/${activation.id}/runs/${run.id}`).expect(200)).body;
    return r.status === 'success' || r.status === 'failed' ? r : undefined;
  }, 'the run');
  expect({ status: done.status, error: done.error }).toEqual({ status: 'success', error: null });
  const files = await Promise.all(done.files.map(async (f: { path: string }) => (await (await s3.client().send(new GetObjectCommand({ Bucket: 'merged', Key: f.path }))).Body!.transformToString())));
  const lines = files.join('').trim().split(/\r?\n/);
  // P1: age from the demographics file, city from the address file; P3: the address file's later Seoul; P4: its own Seoul.
  expect(lines).toEqual(['partner_id,age,city', 'P1,40,Seoul', 'P3,50,Seoul', 'P4,35,Seoul']);
  // The audit log filters by these resource types too (they were missing from its query schema).
  for (const [type, id] of [['audience', audience.id], ['destination', dest.id], ['activation', activation.id]]) {
    const entries = (await api.as(api.adminToken).get(`/v1/audit-log?resourceType=${type}&resourceId=${id}`).expect(200)).body.items;
    expect(entries.map((e: { action: string }) => e.action)).toContain('create');
  }
});

it('reaches profiles one dataset holds when the rule matches missing values', async () => {
  expect(await size('isNull(consumer.age)')).toBe(2); // P5 (no age) and P6 (only in the address file)
  expect(await size('not (homeAddress.city = "Seoul")')).toBe(1); // P5: no city anywhere
  expect(await size('isNull(consumer.age) or consumer.age < 30')).toBe(3); // P2, P5, P6
});

it('never merges another namespace in', async () => {
  const other = await setUpProspects(api, 'Other', { token: engineer });
  await load(other.datasetId, ['partnerID,consumer.age,homeAddress.city', 'P1,99,Seoul', 'P9,45,Seoul'].join('\n') + '\n');
  // P1 of the other namespace is its own profile (99, Seoul); P9 too: 2 more, and nothing mixed.
  expect(await size(RULE)).toBe(3 + 2);
  expect(await size('isNull(consumer.age)')).toBe(2);
});

it('carries the labels of both datasets and of the fields it reads', async () => {
  const governance = await api.keyFor('governance');
  await api.as(governance).post(`/v1/schemas/${schemaA}/labels`, { labels: ['C8'], fields: ['consumer.age'] }).expect(200);
  await api.as(governance).put(`/v1/datasets/${addresses}/labels`, { labels: ['C9'] }).expect(200);
  const estimate = (await api.as(marketer).post('/v1/audiences/estimate', { rule: RULE }).expect(200)).body;
  expect(estimate.labels).toEqual(expect.arrayContaining(['C8', 'C9']));
  expect(estimate.datasets).toEqual(expect.arrayContaining([demographics, addresses]));
});

it('governs an exported attribute by the dataset it is merged from, even one the rule does not read', async () => {
  const governance = await api.keyFor('governance');
  await api.as(governance).post(`/v1/schemas/${schemaB}/labels`, { labels: ['C2'], fields: ['homeAddress.city'] }).expect((r) => expect(r.status).toBeLessThan(300));
  const audience = (await api.as(marketer).post('/v1/audiences', { name: 'Over 40', rule: 'consumer.age > 40', status: 'published' }).expect(201)).body;
  const destination = (await api.as(marketer).get('/v1/destinations').expect(200)).body.items.find((d: { name: string }) => d.name === 'Merged S3');
  const body = {
    name: 'Over 40 with cities',
    destinationId: destination.id,
    audienceIds: [audience.id],
    schedule: { type: 'after_evaluation' },
    mapping: { identity: { namespace: namespaceCode, column: 'partner_id' }, attributes: [{ field: 'homeAddress.city', column: 'city' }] },
  };
  const dry = (await api.as(marketer).post('/v1/activations/dry-run', body).expect(200)).body;
  expect(dry.verdict.allowed).toBe(false);
  const lineage = dry.verdict.violations[0].lineage as { label: string; dataset: { id: string } | null; field: string | null }[];
  const entry = lineage.find((e) => e.label === 'C2' && e.dataset?.id === addresses && e.field === 'homeAddress.city') as unknown as { merge: unknown; path: string };
  // dataset → field → merge → audience: the city reached the file through the merged profile.
  expect(entry.merge).toEqual({ namespaceId: expect.any(String), datasets: 2 });
  expect(entry.path).toMatch(/^dataset "Vendor addresses" → field homeAddress\.city → merged profile \(2 datasets\) → audience "Over 40" → activation "Over 40 with cities" → destination "Merged S3"$/);
});
