/**
 * The foundation issue's demonstration, through HTTP only, as a data engineer and a governance
 * user of one ad account would do it — and what another account sees.
 */
import { expectProblem, startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api.close());

describe('prospect data model and governance, end to end', () => {
  let engineer: string;
  let governance: string;
  let schemaId: string;

  beforeAll(async () => {
    engineer = await api.keyFor('data_engineer');
    governance = await api.keyFor('governance');
  });

  it('data engineer creates a Partner ID namespace and a prospect schema with partnerID as primary identity', async () => {
    const ns = await api.as(engineer).post('/v1/namespaces', { name: 'Acme Data partner id', code: 'acmePartnerId', type: 'partner_id' }).expect(201);
    expect(ns.body).toMatchObject({ code: 'acmePartnerId', type: 'partner_id', standard: false });

    const schema = await api
      .as(engineer)
      .post('/v1/schemas', {
        title: 'Acme prospects',
        classId: 'xdm:individual-prospect-profile',
        fieldGroupIds: ['fg:person-details', 'fg:home-address', 'fg:consumer-demographics'],
        identities: [{ fieldPath: 'partnerID', namespace: 'acmePartnerId', primary: true }],
      })
      .expect(201);
    schemaId = schema.body.id;
    await api.as(engineer).post(`/v1/schemas/${schemaId}/enable-profile`, {}).expect(200);
    const doc = await api.as(engineer).get(`/v1/schemas/${schemaId}`).expect(200);
    expect(doc.body['meta:class']).toBe('xdm:individual-prospect-profile');
    expect(doc.body['meta:immutableTags']).toContain('union');
  });

  it('governance labels all fields Third-Party, enables a policy and gets a violation for export to third party', async () => {
    const labelled = await api.as(governance).post(`/v1/schemas/${schemaId}/labels`, { labels: ['THIRD_PARTY'], fields: '*' });
    expect(labelled.status).toBeLessThan(300);
    const fields = await api.as(governance).get(`/v1/schemas/${schemaId}/labels`).expect(200);
    expect(fields.body.fields.length).toBeGreaterThan(10);
    for (const f of fields.body.fields) expect(f.labels).toContain('THIRD_PARTY');

    const policy = await api
      .as(governance)
      .post('/v1/policies', {
        name: 'No third-party data to third parties',
        status: 'DRAFT',
        marketingActions: ['exportToThirdParty'],
        deny: { label: 'THIRD_PARTY' },
      })
      .expect(201);
    // Not enabled yet: no violation.
    const before = await api
      .as(governance)
      .post('/v1/policies/evaluate', { marketingActions: ['exportToThirdParty'], fields: [{ schemaId }] })
      .expect(200);
    expect(before.body.violations.filter((v: any) => v.policy.id === policy.body.id)).toEqual([]);

    await api.as(governance).patch(`/v1/policies/${policy.body.id}`, { status: 'ENABLED' }).expect(200);
    const after = await api
      .as(governance)
      .post('/v1/policies/evaluate', { marketingActions: ['exportToThirdParty'], fields: [{ schemaId }] })
      .expect(200);
    const violation = after.body.violations.find((v: any) => v.policy.id === policy.body.id);
    expect(violation).toBeDefined();
    expect(violation.matched).toEqual({ label: 'THIRD_PARTY' });
    expect(violation.marketingActions).toEqual(['exportToThirdParty']);
  });

  it('marketers cannot edit labels', async () => {
    const marketer = await api.keyFor('marketer');
    expectProblem(await api.as(marketer).post(`/v1/schemas/${schemaId}/labels`, { labels: ['C2'], fields: '*' }), 403);
  });

  it('refuses a prospect schema whose identity is an Email namespace, naming the field', async () => {
    const res = await api.as(engineer).post('/v1/schemas', {
      title: 'Prospects keyed by email',
      classId: 'xdm:individual-prospect-profile',
      fieldGroupIds: ['fg:personal-contact'],
      identities: [{ fieldPath: 'personalEmail.address', namespace: 'Email', primary: true }],
    });
    const body = expectProblem(res, 422);
    expect(body.errors[0].pointer).toMatch(/^\/identities\/0/);
    expect(JSON.stringify(body)).toContain('personalEmail.address');
    const list = await api.as(engineer).get('/v1/schemas').expect(200);
    expect(list.body.items.map((s: any) => s.title)).not.toContain('Prospects keyed by email');
  });

  it('answers 404 for another account\'s schema, on reads and writes', async () => {
    const other = await api.otherAccount();
    expectProblem(await api.as(other.adminToken).get(`/v1/schemas/${schemaId}`), 404);
    expectProblem(await api.as(other.adminToken).post(`/v1/schemas/${schemaId}/labels`, { labels: ['C2'], fields: '*' }), 404);
    expectProblem(await api.as(other.adminToken).patch(`/v1/schemas/${schemaId}`, { title: 'stolen' }), 404);
    const mine = await api.as(engineer).get(`/v1/schemas/${schemaId}`).expect(200);
    expect(mine.body.title).toBe('Acme prospects');
  });

  it('keeps an audit trail of who changed what', async () => {
    const res = await api.as(governance).get(`/v1/audit-log?resourceId=${schemaId}`).expect(200);
    const actions = res.body.items.map((e: any) => `${e.resourceType}:${e.action}`);
    expect(actions).toEqual(expect.arrayContaining(['schema:create', 'field_labels:update']));
    expect(res.body.items.every((e: any) => e.actor.keyId && e.at)).toBe(true);
  });
});

describe('deleting a schema', () => {
  it('removes its field labels in the same transaction', async () => {
    const engineer = await api.keyFor('data_engineer');
    const governance = await api.keyFor('governance');
    await api.as(engineer).post('/v1/namespaces', { name: 'Temp vendor', code: 'tempVendor', type: 'partner_id' }).expect(201);
    const created = await api
      .as(engineer)
      .post('/v1/schemas', {
        title: 'Short-lived prospects',
        classId: 'xdm:individual-prospect-profile',
        fieldGroupIds: ['fg:home-address'],
        identities: [{ fieldPath: 'partnerID', namespace: 'tempVendor', primary: true }],
      })
      .expect(201);
    await api.as(governance).post(`/v1/schemas/${created.body.id}/labels`, { labels: ['C2'], fields: '*' }).expect((r) => expect(r.status).toBeLessThan(300));
    expect(Number((await api.db('label_assignments').where({ target_id: created.body.id }).count('* as n'))[0].n)).toBeGreaterThan(0);
    await api.as(engineer).delete(`/v1/schemas/${created.body.id}`).expect((r) => expect(r.status).toBeLessThan(300));
    expect(Number((await api.db('label_assignments').where({ target_id: created.body.id }).count('* as n'))[0].n)).toBe(0);
    expectProblem(await api.as(engineer).get(`/v1/schemas/${created.body.id}`), 404);
  });
});
