/**
 * Builds an ad account's first-party universe through HTTP, the way a data engineer would: a
 * profile-enabled Individual Profile schema and dataset whose records carry an ADID, an app user
 * id, a phone number and an email as identities, then CSV loads of people.
 *
 *   const datasetId = await loadPeople(api, token, [
 *     { adid: ADID(1), appUserId: '1001' },        // one person with two identities
 *     { adid: ADID(2), appUserId: '1001' },        // shares the app user id: same person, 2nd device
 *     { phone: '010-1234-5678', email: 'a@b.kr' }, // another person
 *   ]);
 *
 * - `token` must be allowed to create schemas and datasets (admin or data_engineer); people go to
 *   that key's ad account. The schema and dataset are made once per account and reused.
 * - Each row is one first-party record: its identities join one person, and rows sharing any
 *   identity are the same person (the universe links them). Values are normalised as usual
 *   (phones to E.164, ADIDs lowercased).
 * - Every record also carries a generated row key (its primary identity, namespace
 *   `UniverseTestKey`), so a row may leave any of the four identities out.
 * - Records reach the universe inbox; populations link them before counting, or call
 *   `POST /v1/universe/link` yourself.
 */
import { randomUUID } from 'node:crypto';
import type { TestApi } from './harness';

export interface UniversePersonRow {
  adid?: string;
  appUserId?: string;
  phone?: string;
  email?: string;
}

const HEADER = 'universeTest.rowKey,mobileIdentifiers.adid,mobileIdentifiers.appUserId,mobilePhone.number,personalEmail.address';
const datasets = new Map<string, Promise<string>>();

/** Loads the rows as people into the token's account; returns the dataset id. */
export async function loadPeople(api: TestApi, token: string, people: readonly UniversePersonRow[]): Promise<string> {
  const datasetId = await universeDataset(api, token);
  if (people.length === 0) return datasetId;
  const cell = (v?: string) => (v === undefined ? '' : /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const csv = [HEADER, ...people.map((p) => [randomUUID(), p.adid, p.appUserId, p.phone, p.email].map(cell).join(','))].join('\n') + '\n';
  const res = await api.as(token).post(`/v1/datasets/${datasetId}/data?format=csv&errorThreshold=0`).set('Content-Type', 'text/csv').send(csv);
  if (res.status !== 201 || res.body.status !== 'success') {
    throw new Error(`loadPeople: the universe dataset refused the rows (${res.status} ${JSON.stringify(res.body)})`);
  }
  return datasetId;
}

/** The account's universe dataset (created on first use). */
export async function universeDataset(api: TestApi, token: string): Promise<string> {
  const me = await api.as(token).get('/v1/accounts/me').expect(200);
  const key = `${api.url} ${me.body.adAccount.id}`;
  let made = datasets.get(key);
  if (!made) {
    made = create(api, token);
    datasets.set(key, made);
  }
  return made;
}

async function create(api: TestApi, token: string): Promise<string> {
  const as = api.as(token);
  await as.post('/v1/namespaces', { name: 'Universe test row key', code: 'UniverseTestKey', type: 'cross_device' }).expect(201);
  const fg = await as
    .post('/v1/field-groups', {
      title: 'Universe test row key',
      intendedToExtend: ['xdm:individual-profile'],
      definition: { universeTest: { type: 'object', properties: { rowKey: { type: 'string' } } } },
    })
    .expect(201);
  const schema = await as
    .post('/v1/schemas', {
      title: 'First-party people',
      classId: 'xdm:individual-profile',
      fieldGroupIds: ['fg:mobile-identifiers', 'fg:personal-contact', fg.body.id],
      identities: [
        { fieldPath: 'universeTest.rowKey', namespace: 'UniverseTestKey', primary: true },
        { fieldPath: 'mobileIdentifiers.adid', namespace: 'GAID', primary: false },
        { fieldPath: 'mobileIdentifiers.appUserId', namespace: 'AppUserId', primary: false },
        { fieldPath: 'mobilePhone.number', namespace: 'Phone', primary: false },
        { fieldPath: 'personalEmail.address', namespace: 'Email', primary: false },
      ],
    })
    .expect(201);
  await as.post(`/v1/schemas/${schema.body.id}/enable-profile`, {}).expect(200);
  const dataset = await as.post('/v1/datasets', { name: 'First-party people', schemaId: schema.body.id }).expect(201);
  await as.post(`/v1/datasets/${dataset.body.id}/enable-profile`, {}).expect(200);
  return dataset.body.id as string;
}
