/**
 * Field labels on a prospect schema and evaluation from fields: "*" labels every leaf field, object
 * paths stand for their leaves, labels do not spread upward, and violations say which field each
 * label came from.
 */
import { expectProblem, startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
let engineer: string;
let governance: string;
let marketer: string;
let schemaId: string;
let allPaths: string[];

beforeAll(async () => {
  api = await startTestApi();
  engineer = await api.keyFor('data_engineer');
  governance = await api.keyFor('governance');
  marketer = await api.keyFor('marketer');
  await api.as(engineer).post('/v1/namespaces', { name: 'Acme Data partner id', code: 'acmePartnerId', type: 'partner_id' }).expect(201);
  const schema = await api
    .as(engineer)
    .post('/v1/schemas', {
      title: 'Acme prospects',
      classId: 'xdm:individual-prospect-profile',
      fieldGroupIds: ['fg:person-details', 'fg:home-address', 'fg:consumer-demographics'],
      identities: [{ fieldPath: 'partnerID', namespace: 'acmePartnerId', primary: true }],
    })
    .expect(201);
  // The schema document carries its id as meta:altId (Adobe's convention).
  schemaId = schema.body.id ?? schema.body['meta:altId'];
});
afterAll(async () => api.close());

const labelsOf = (body: any): Record<string, string[]> => Object.fromEntries(body.fields.map((f: any) => [f.path, f.labels]));

describe('field labels', () => {
  it('lists every leaf field of the schema, unlabelled at first', async () => {
    const res = await api.as(marketer).get(`/v1/schemas/${schemaId}/labels`).expect(200);
    expect(res.body.schemaId).toBe(schemaId);
    allPaths = res.body.fields.map((f: any) => f.path);
    expect(allPaths).toEqual(expect.arrayContaining(['partnerID', 'person.name.firstName', 'homeAddress.city', 'consumer.interests']));
    expect(allPaths).not.toContain('person');
    expect(res.body.fields.every((f: any) => f.labels.length === 0)).toBe(true);
  });

  it('labels all fields at once with "*"', async () => {
    const res = await api.as(governance).post(`/v1/schemas/${schemaId}/labels`, { labels: ['THIRD_PARTY'], fields: '*' }).expect(200);
    expect(res.body.fields.map((f: any) => f.path)).toEqual(allPaths);
    for (const f of res.body.fields) expect(f.labels).toEqual(['THIRD_PARTY']);
    // Adding again changes nothing.
    await api.as(governance).post(`/v1/schemas/${schemaId}/labels`, { labels: ['THIRD_PARTY'], fields: '*' }).expect(200);
  });

  it('applies an object path to all its leaves, and does not spread labels upward', async () => {
    await api.as(governance).post(`/v1/schemas/${schemaId}/labels`, { labels: ['C2'], fields: ['person.name'] }).expect(200);
    await api.as(governance).post(`/v1/schemas/${schemaId}/labels`, { labels: ['I1'], fields: ['person.name.lastName'] }).expect(200);
    const res = await api.as(marketer).get(`/v1/schemas/${schemaId}/labels`).expect(200);
    const labels = labelsOf(res.body);
    expect(labels['person.name.firstName']).toEqual(['C2', 'THIRD_PARTY']);
    expect(labels['person.name.lastName']).toEqual(['C2', 'I1', 'THIRD_PARTY']);
    expect(labels['person.name.fullName']).toEqual(['C2', 'THIRD_PARTY']);
    // Siblings of the object and the rest of the schema are untouched.
    expect(labels['person.gender']).toEqual(['THIRD_PARTY']);
    expect(labels['homeAddress.city']).toEqual(['THIRD_PARTY']);
  });

  it('points at unknown field paths and labels, and changes nothing', async () => {
    const body = expectProblem(
      await api.as(governance).post(`/v1/schemas/${schemaId}/labels`, { labels: ['C9', 'c9'], fields: ['person.name', 'person.nickname', 'pers'] }),
      422,
    );
    expect(body.errors.map((e: any) => e.pointer)).toEqual(['/fields/1', '/fields/2', '/labels/1']);
    expect(body.errors[0].message).toContain('person.nickname');
    expect(body.errors[2].message).toContain('did you mean "C9"');
    const res = await api.as(marketer).get(`/v1/schemas/${schemaId}/labels`).expect(200);
    expect(Object.values(labelsOf(res.body)).flat()).not.toContain('C9');
  });

  it('removes labels with the same addressing', async () => {
    await api.as(governance).post(`/v1/schemas/${schemaId}/labels`, { labels: ['S1', 'S2'], fields: ['homeAddress'] }).expect(200);
    const some = await api.as(governance).delete(`/v1/schemas/${schemaId}/labels`, { labels: ['S1'], fields: ['homeAddress.city'] }).expect(200);
    expect(labelsOf(some.body)['homeAddress.city']).toEqual(['S2', 'THIRD_PARTY']);
    expect(labelsOf(some.body)['homeAddress.postalCode']).toEqual(['S1', 'S2', 'THIRD_PARTY']);
    const all = await api.as(governance).delete(`/v1/schemas/${schemaId}/labels`, { labels: ['S1', 'S2'], fields: '*' }).expect(200);
    expect(Object.values(labelsOf(all.body)).flat()).not.toEqual(expect.arrayContaining(['S1']));
    expect(Object.values(labelsOf(all.body)).flat()).not.toEqual(expect.arrayContaining(['S2']));
    expect(labelsOf(all.body)['homeAddress.city']).toEqual(['THIRD_PARTY']);
  });

  it('refuses to delete a custom label still applied to a field, naming it', async () => {
    await api.as(governance).post('/v1/labels', { code: 'VendorOnly', friendlyName: 'Vendor-only data' }).expect(201);
    await api.as(governance).post(`/v1/schemas/${schemaId}/labels`, { labels: ['VendorOnly'], fields: ['consumer.income'] }).expect(200);
    const body = expectProblem(await api.as(governance).delete('/v1/labels/VendorOnly'), 409);
    expect(body.usedBy.fields).toEqual([{ schemaId, path: 'consumer.income' }]);
    expect(body.detail).toContain('consumer.income');
    await api.as(governance).delete(`/v1/schemas/${schemaId}/labels`, { labels: ['VendorOnly'], fields: ['consumer.income'] }).expect(200);
    await api.as(governance).delete('/v1/labels/VendorOnly').expect(204);
  });

  it('is written by governance and admin only, and hidden from other accounts', async () => {
    expectProblem(await api.as(marketer).post(`/v1/schemas/${schemaId}/labels`, { labels: ['C2'], fields: '*' }), 403);
    expectProblem(await api.as(engineer).post(`/v1/schemas/${schemaId}/labels`, { labels: ['C2'], fields: '*' }), 403);
    const other = await api.otherAccount();
    expectProblem(await api.as(other.adminToken).get(`/v1/schemas/${schemaId}/labels`), 404);
    expectProblem(await api.as(other.adminToken).post(`/v1/schemas/${schemaId}/labels`, { labels: ['C2'], fields: '*' }), 404);
    expectProblem(
      await api.as(other.adminToken).post('/v1/policies/evaluate', { marketingActions: ['exportToThirdParty'], fields: [{ schemaId }] }),
      404,
    );
  });

  it('audits each change with the before and after labels', async () => {
    const res = await api.as(governance).get(`/v1/audit-log?resourceType=field_labels&resourceId=${schemaId}`).expect(200);
    // "*" (its repetition changed nothing and is not logged), person.name, lastName, homeAddress, two removals, VendorOnly add and removal.
    expect(res.body.items).toHaveLength(8);
    const first = res.body.items[res.body.items.length - 1];
    expect(first.action).toBe('update');
    expect(first.before).toEqual({});
    expect(first.after.partnerID).toEqual(['THIRD_PARTY']);
  });
});

describe('evaluate from fields', () => {
  it('finds a THIRD_PARTY × exportToThirdParty violation once the policy is enabled, with the matched expression and lineage', async () => {
    const policy = await api
      .as(governance)
      .post('/v1/policies', { name: 'No third-party data to third parties', marketingActions: ['exportToThirdParty'], deny: { label: 'THIRD_PARTY' } })
      .expect(201);
    const draft = await api.as(marketer).post('/v1/policies/evaluate', { marketingActions: ['exportToThirdParty'], fields: [{ schemaId }] }).expect(200);
    expect(draft.body.violations.map((v: any) => v.policy.id)).not.toContain(policy.body.id);

    await api.as(governance).patch(`/v1/policies/${policy.body.id}`, { status: 'ENABLED' }).expect(200);
    const res = await api.as(marketer).post('/v1/policies/evaluate', { marketingActions: ['exportToThirdParty'], fields: [{ schemaId }] }).expect(200);
    expect(res.body.labels).toEqual(['C2', 'I1', 'THIRD_PARTY']);
    const violation = res.body.violations.find((v: any) => v.policy.id === policy.body.id);
    expect(violation).toMatchObject({
      policy: { id: policy.body.id, name: 'No third-party data to third parties', status: 'ENABLED' },
      marketingActions: ['exportToThirdParty'],
      matched: { label: 'THIRD_PARTY' },
      labels: ['THIRD_PARTY'],
    });
    expect(violation.sources).toHaveLength(allPaths.length);
    expect(violation.sources).toContainEqual({ label: 'THIRD_PARTY', kind: 'field', schemaId, path: 'partnerID' });
    // The core C2 policy fires too, from the person.name fields only.
    const c2 = res.body.violations.find((v: any) => v.matched.label === 'C2');
    expect(c2.sources.map((s: any) => s.path).sort()).toEqual(['person.name.firstName', 'person.name.fullName', 'person.name.lastName']);
  });

  it('evaluates only the named paths (object paths stand for their leaves)', async () => {
    const address = await api
      .as(marketer)
      .post('/v1/policies/evaluate', { marketingActions: ['exportToThirdParty'], fields: [{ schemaId, paths: ['homeAddress'] }] })
      .expect(200);
    expect(address.body.labels).toEqual(['THIRD_PARTY']);
    expect(address.body.violations.map((v: any) => v.matched)).toEqual([{ label: 'THIRD_PARTY' }]);

    const name = await api
      .as(marketer)
      .post('/v1/policies/evaluate', { marketingActions: ['exportToThirdParty'], fields: [{ schemaId, paths: ['person.name.firstName'] }] })
      .expect(200);
    expect(name.body.labels).toEqual(['C2', 'THIRD_PARTY']);

    const bad = expectProblem(
      await api.as(marketer).post('/v1/policies/evaluate', { marketingActions: ['exportToThirdParty'], fields: [{ schemaId, paths: ['person', 'nope'] }] }),
      422,
    );
    expect(bad.errors[0]).toMatchObject({ pointer: '/fields/0/paths/1', rule: 'field' });
  });

  it('traces an implied label back to the field that carries C4', async () => {
    await api.as(governance).post(`/v1/schemas/${schemaId}/labels`, { labels: ['C4'], fields: ['consumer.interests'] }).expect(200);
    const policy = await api
      .as(governance)
      .post('/v1/policies', { name: 'No on-site ads from C6 data', status: 'ENABLED', marketingActions: ['onsiteAdvertising'], deny: { label: 'C6' } })
      .expect(201);
    const res = await api
      .as(marketer)
      .post('/v1/policies/evaluate', { marketingActions: ['onsiteAdvertising'], fields: [{ schemaId, paths: ['consumer'] }], labels: ['S1'] })
      .expect(200);
    expect(res.body.labels).toEqual(['C4', 'S1', 'THIRD_PARTY']);
    const mine = res.body.violations.find((v: any) => v.policy.id === policy.body.id);
    expect(mine.matched).toEqual({ label: 'C6' });
    expect(mine.sources).toEqual([{ label: 'C6', impliedBy: 'C4', kind: 'field', schemaId, path: 'consumer.interests' }]);
  });
});
