/**
 * The first-party identity universe: identities of one first-party record join one person, records
 * sharing an identity merge people, the identity cap refuses runaway merges, partner ids never join,
 * and relink rebuilds the graph from its sources.
 */
import { MAX_IDENTITIES_PER_PERSON } from '../src/universe/nodes';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { prospectCsv, setUpProspects } from './helpers/prospects';

let api: TestApi;
let engineer: string;
let datasetId: string;

const ADID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

async function load(rows: { adid: string; app?: string; phone?: string }[]): Promise<void> {
  const csv = ['mobileIdentifiers.adid,mobileIdentifiers.appUserId,mobilePhone.number', ...rows.map((r) => `${r.adid},${r.app ?? ''},${r.phone ?? ''}`)].join('\n') + '\n';
  const res = await api.as(engineer).post(`/v1/datasets/${datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(csv);
  expect(res.status).toBe(201);
  expect(res.body.status).toBe('success');
}

const stats = async (token = engineer) => (await api.as(token).get('/v1/universe').expect(200)).body;
const link = async () => api.as(engineer).post('/v1/universe/link', {}).expect(200);

beforeAll(async () => {
  api = await startTestApi();
  engineer = await api.keyFor('data_engineer');
  const as = api.as(engineer);
  const schema = await as
    .post('/v1/schemas', {
      title: 'App users',
      classId: 'xdm:individual-profile',
      fieldGroupIds: ['fg:mobile-identifiers', 'fg:personal-contact'],
      identities: [
        { fieldPath: 'mobileIdentifiers.adid', namespace: 'GAID', primary: true },
        { fieldPath: 'mobileIdentifiers.appUserId', namespace: 'AppUserId', primary: false },
        { fieldPath: 'mobilePhone.number', namespace: 'Phone', primary: false },
      ],
    })
    .expect(201);
  await as.post(`/v1/schemas/${schema.body.id}/enable-profile`, {}).expect(200);
  const dataset = await as.post('/v1/datasets', { name: 'App users', schemaId: schema.body.id }).expect(201);
  datasetId = dataset.body.id;
  await as.post(`/v1/datasets/${datasetId}/enable-profile`, {}).expect(200);
});
afterAll(async () => api.close());

describe('first-party universe', () => {
  it('joins the identities of one record into one person and merges people sharing an identity', async () => {
    await load([
      { adid: ADID(1), app: '1001' },
      { adid: ADID(2), app: '1001' }, // same app user on a second device
      { adid: ADID(3), phone: '010-1234-5678' },
    ]);
    expect((await stats()).pendingRecords).toBe(3);
    await link();
    const s = await stats();
    expect(s).toMatchObject({ people: 2, identities: 5, pendingRecords: 0, identitiesByKind: { adid: 3, app_user_id: 1, phone: 1 } });

    const person = (await api.as(engineer).get('/v1/universe/people').query({ kind: 'adid', value: ADID(2) }).expect(200)).body;
    expect(person.identities.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`).sort()).toEqual(
      [`adid:${ADID(1)}`, `adid:${ADID(2)}`, 'app_user_id:1001'].sort(),
    );
    // Phone numbers are stored in E.164, as the Phone namespace normalises them.
    const byPhone = (await api.as(engineer).get('/v1/universe/people').query({ kind: 'phone', value: '+821012345678' }).expect(200)).body;
    expect(byPhone.identities.map((i: { value: string }) => i.value)).toContain(ADID(3));

    // A later record linking the app user to the phone owner's device merges the two people.
    await load([{ adid: ADID(3), app: '1001' }]);
    await link();
    expect(await stats()).toMatchObject({ people: 1, identities: 5 });
    const merged = (await api.as(engineer).get('/v1/universe/people').query({ kind: 'phone', value: '+821012345678' }).expect(200)).body;
    expect(merged.identities).toHaveLength(5);
  });

  it('never lets a person grow past the identity cap', async () => {
    const universe = api.runtime.services.universe;
    const big = Array.from({ length: MAX_IDENTITIES_PER_PERSON }, (_, i) => `cookie:shared-device-${i}`);
    await universe.append(api.db, api.adAccountId, [big, ['cookie:loner', 'app_user_id:777']]);
    await universe.linkPending(api.adAccountId);
    const before = await stats();
    // This record would join a 50-identity person with a 2-identity one: refused, counted.
    await universe.append(api.db, api.adAccountId, [['cookie:shared-device-0', 'cookie:loner']]);
    await universe.linkPending(api.adAccountId);
    const after = await stats();
    expect(after.people).toBe(before.people);
    expect(after.refusedMerges).toBe(before.refusedMerges + 1);
    const loner = (await api.as(engineer).get('/v1/universe/people').query({ kind: 'cookie', value: 'loner' }).expect(200)).body;
    expect(loner.identities).toHaveLength(2);
    const shared = (await api.as(engineer).get('/v1/universe/people').query({ kind: 'cookie', value: 'shared-device-7' }).expect(200)).body;
    expect(shared.identities).toHaveLength(MAX_IDENTITIES_PER_PERSON);
  });

  it('keeps partner ids and prospect data out of the universe', async () => {
    const before = await stats();
    const prospects = await setUpProspects(api, 'U', { token: engineer });
    await api.as(engineer).post(`/v1/datasets/${prospects.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv([{ id: 'P-1', email: 'a@example.com' }])).expect(201);
    await link();
    const after = await stats();
    expect(after.people).toBe(before.people);
    expect(after.identities).toBe(before.identities);
    await expectProblem(await api.as(engineer).get('/v1/universe/people').query({ kind: `ns_vendorU`, value: 'P-1' }), 404);
  });

  it("is the account's own: another account sees an empty universe and none of these people", async () => {
    const other = await api.otherAccount();
    expect(await stats(other.adminToken)).toMatchObject({ people: 0, identities: 0, pendingRecords: 0 });
    await expectProblem(await api.as(other.adminToken).get('/v1/universe/people').query({ kind: 'adid', value: ADID(1) }), 404);
  });

  it('relinks from its sources: a deleted dataset no longer joins people', async () => {
    const res = await api.as(engineer).post('/v1/universe/relink', {}).expect(200);
    // Only the dataset is a replayable source here; identities appended by hand are gone.
    expect(res.body).toMatchObject({ people: 1, identities: 5, refusedMerges: 0 });
    await api.as(engineer).delete(`/v1/datasets/${datasetId}`).expect(204);
    expect((await api.as(engineer).post('/v1/universe/relink', {}).expect(200)).body).toMatchObject({ people: 0, identities: 0 });
  });

  it('refuses an unknown identity kind with a problem', async () => {
    await expectProblem(await api.as(engineer).get('/v1/universe/people').query({ kind: 'ADID!', value: 'x' }), 400);
    await expectProblem(await api.as(engineer).get('/v1/universe/people').query({ kind: 'adid' }), 400);
  });
});
