import { expectProblem, startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api.close());

const STANDARD = [
  ['Email', 'email'],
  ['Email_LC_SHA256', 'email'],
  ['Phone', 'phone'],
  ['Phone_E.164', 'phone'],
  ['Phone_SHA256_E.164', 'phone'],
  ['GAID', 'device'],
  ['IDFA', 'device'],
  ['AppUserId', 'cross_device'],
];

const partner = { name: 'Acme Partner ID', code: 'Acme_PID', type: 'partner_id', description: 'Ids issued by Acme Data' };

/** A namespace of the account by code, created unless an earlier test already made it; its id. */
async function ensureNamespace(body: { name: string; code: string; type: string }): Promise<string> {
  const res = await api.as(api.adminToken).get(`/v1/namespaces/${body.code}`);
  if (res.status === 200) return res.body.id;
  return (await api.as(api.adminToken).post('/v1/namespaces', body).expect(201)).body.id;
}

/** The partner namespace as the rename test leaves it (renamed twice), for a test run without it. */
async function renamedPartner(): Promise<string> {
  const id = await ensureNamespace(partner);
  if ((await api.as(api.adminToken).get(`/v1/namespaces/${id}`).expect(200)).body.name === partner.name) {
    await api.as(api.adminToken).patch(`/v1/namespaces/${id}`, { name: 'Acme PID', description: 'Acme Data ids (v2)' }).expect(200);
    await api.as(api.adminToken).patch(`/v1/namespaces/${id}`, { name: 'ACME PID' }).expect(200);
  }
  return id;
}

describe('identity namespaces over HTTP', () => {
  it('ships the standard namespaces in the bootstrap account and in every new account', async () => {
    const created = await api.as(api.adminToken).post('/v1/accounts', { name: 'Brand with namespaces' }).expect(201);
    const other = await api.otherAccount();
    for (const [token, account] of [
      [api.adminToken, api.adAccountId],
      [api.adminToken, created.body.id],
      [other.adminToken, other.adAccountId],
    ]) {
      const res = await api.as(token).get('/v1/namespaces').set('X-Ad-Account-Id', account).expect(200);
      const codes = res.body.items.map((n: { code: string; type: string }) => [n.code, n.type]);
      expect(codes).toEqual(expect.arrayContaining(STANDARD));
      expect(res.body.items.every((n: { standard: boolean }) => n.standard)).toBe(true);
    }
  });

  it('lists by type and reads one by id or by code (case-insensitive)', async () => {
    const phones = await api.as(api.adminToken).get('/v1/namespaces?type=phone').expect(200);
    expect(phones.body.items.map((n: { code: string }) => n.code).sort()).toEqual(['Phone', 'Phone_E.164', 'Phone_SHA256_E.164']);
    expectProblem(await api.as(api.adminToken).get('/v1/namespaces?type=fax'), 400);
    const byCode = await api.as(api.adminToken).get('/v1/namespaces/phone_e.164').expect(200);
    expect(byCode.body).toMatchObject({ code: 'Phone_E.164', type: 'phone', standard: true, stitchable: true });
    const byId = await api.as(api.adminToken).get(`/v1/namespaces/${byCode.body.id}`).expect(200);
    expect(byId.body).toEqual(byCode.body);
    expectProblem(await api.as(api.adminToken).get('/v1/namespaces/NoSuchCode'), 404);
  });

  it('creates a Partner ID namespace (201) that never stitches', async () => {
    const res = await api.as(api.adminToken).post('/v1/namespaces', partner).expect(201);
    expect(res.body).toMatchObject({ ...partner, standard: false, stitchable: false, id: expect.stringMatching(/^ns_/) });
    const partnerId = res.body.id;
    const listed = await api.as(api.adminToken).get('/v1/namespaces?type=partner_id&standard=false').expect(200);
    expect(listed.body.items.map((n: { id: string }) => n.id)).toEqual([partnerId]);
  });

  it('lets a data engineer create; a marketer may read but not create (403)', async () => {
    const partnerId = await ensureNamespace(partner);
    const engineer = await api.keyFor('data_engineer');
    await api.as(engineer).post('/v1/namespaces', { name: 'Web cookie', code: 'WebCookie', type: 'cookie' }).expect(201);
    const marketer = await api.keyFor('marketer');
    await api.as(marketer).get('/v1/namespaces').expect(200);
    await api.as(marketer).get(`/v1/namespaces/${partnerId}`).expect(200);
    const body = expectProblem(await api.as(marketer).post('/v1/namespaces', { name: 'M', code: 'M', type: 'cookie' }), 403);
    expect(body.detail).toContain('namespaces.write');
    expectProblem(await api.as(marketer).patch(`/v1/namespaces/${partnerId}`, { name: 'x' }), 403);
  });

  it('answers 409 naming the field for a duplicate code or name, case-insensitively', async () => {
    await ensureNamespace(partner);
    const code = expectProblem(await api.as(api.adminToken).post('/v1/namespaces', { name: 'Another', code: 'acme_pid', type: 'partner_id' }), 409);
    expect(code.errors).toEqual([expect.objectContaining({ pointer: '/code', rule: 'unique' })]);
    const name = expectProblem(await api.as(api.adminToken).post('/v1/namespaces', { name: 'ACME partner id', code: 'Other_PID', type: 'partner_id' }), 409);
    expect(name.errors).toEqual([expect.objectContaining({ pointer: '/name', rule: 'unique' })]);
    const both = expectProblem(await api.as(api.adminToken).post('/v1/namespaces', { name: 'email', code: 'EMAIL', type: 'email' }), 409);
    expect(both.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/code', '/name']);
  });

  it('validates the body: code pattern, type enum, unknown fields (400)', async () => {
    const res = expectProblem(await api.as(api.adminToken).post('/v1/namespaces', { name: 'Bad', code: 'has space', type: 'fax', extra: 1 }), 400);
    expect(res.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: '/code', rule: 'pattern' }),
        expect.objectContaining({ pointer: '/type', rule: 'enum' }),
        expect.objectContaining({ pointer: '/extra' }),
      ]),
    );
    expectProblem(await api.as(api.adminToken).post('/v1/namespaces', { name: 'Long', code: 'x'.repeat(65), type: 'cookie' }), 400);
  });

  it('renames and re-describes a custom namespace; code and type are immutable (422 with pointer)', async () => {
    const partnerId = await ensureNamespace(partner);
    await ensureNamespace({ name: 'Web cookie', code: 'WebCookie', type: 'cookie' }); // its name is taken
    const renamed = await api.as(api.adminToken).patch(`/v1/namespaces/${partnerId}`, { name: 'Acme PID', description: 'Acme Data ids (v2)' }).expect(200);
    expect(renamed.body).toMatchObject({ name: 'Acme PID', description: 'Acme Data ids (v2)', code: 'Acme_PID', type: 'partner_id' });

    const code = expectProblem(await api.as(api.adminToken).patch(`/v1/namespaces/${partnerId}`, { code: 'Acme_PID2' }), 422);
    expect(code.errors).toEqual([expect.objectContaining({ pointer: '/code', rule: 'immutable' })]);
    const type = expectProblem(await api.as(api.adminToken).patch('/v1/namespaces/Acme_PID', { type: 'cookie', name: 'x' }), 422);
    expect(type.errors).toEqual([expect.objectContaining({ pointer: '/type', rule: 'immutable' })]);
    // Sending the unchanged code and type back is fine.
    await api.as(api.adminToken).patch(`/v1/namespaces/${partnerId}`, { code: 'Acme_PID', type: 'partner_id', name: 'Acme PID' }).expect(200);

    const dup = expectProblem(await api.as(api.adminToken).patch(`/v1/namespaces/${partnerId}`, { name: 'web cookie' }), 409);
    expect(dup.errors).toEqual([expect.objectContaining({ pointer: '/name', rule: 'unique' })]);
    await api.as(api.adminToken).patch(`/v1/namespaces/${partnerId}`, { name: 'ACME PID' }).expect(200); // own name, other case
  });

  it('keeps standard namespaces read-only', async () => {
    const res = expectProblem(await api.as(api.adminToken).patch('/v1/namespaces/Email', { name: 'Mail' }), 422);
    expect(res.errors).toEqual([expect.objectContaining({ pointer: '/name', rule: 'standard' })]);
  });

  it('refuses to delete any namespace with 409 and keeps it', async () => {
    const partnerId = await ensureNamespace(partner);
    for (const target of [partnerId, 'Email']) {
      const body = expectProblem(await api.as(api.adminToken).delete(`/v1/namespaces/${target}`), 409);
      expect(body.detail).toMatch(/cannot be deleted/);
      expect(body.errors).toEqual([expect.objectContaining({ rule: 'undeletable' })]);
    }
    await api.as(api.adminToken).get(`/v1/namespaces/${partnerId}`).expect(200);
  });

  it('answers 404 for another account\'s namespace, whatever the method', async () => {
    const partnerId = await ensureNamespace(partner);
    const other = await api.otherAccount();
    const theirs = await api.as(other.adminToken).post('/v1/namespaces', { name: 'Their PID', code: 'Their_PID', type: 'partner_id' }).expect(201);
    const id = theirs.body.id;
    expectProblem(await api.as(api.adminToken).get(`/v1/namespaces/${id}`), 404);
    expectProblem(await api.as(api.adminToken).get('/v1/namespaces/Their_PID'), 404);
    expectProblem(await api.as(api.adminToken).patch(`/v1/namespaces/${id}`, { name: 'Mine now' }), 404);
    expectProblem(await api.as(api.adminToken).delete(`/v1/namespaces/${id}`), 404);
    expectProblem(await api.as(api.adminToken).post(`/v1/namespaces/${id}/normalize`, { values: ['x'] }), 404);
    expectProblem(await api.as(other.adminToken).get(`/v1/namespaces/${partnerId}`), 404);
    // Same code in two accounts is fine: uniqueness is per ad account.
    await api.as(other.adminToken).post('/v1/namespaces', partner).expect(201);
  });

  it('normalises values with the namespace rule and reports counts', async () => {
    const partnerId = await ensureNamespace(partner);
    const marketer = await api.keyFor('marketer');
    const res = await api
      .as(marketer)
      .post('/v1/namespaces/Phone_E.164/normalize', { values: ['010-1234-5678', '+82 10-1234-5678', '+1 415 555 2671', '12345', ''] })
      .expect(200);
    expect(res.body.namespace).toMatchObject({ code: 'Phone_E.164', type: 'phone' });
    expect(res.body.counts).toEqual({ received: 5, valid: 3, invalid: 2, duplicate: 1 });
    expect(res.body.items).toEqual([
      { input: '010-1234-5678', value: '+821012345678' },
      { input: '+82 10-1234-5678', value: '+821012345678', duplicate: true },
      { input: '+1 415 555 2671', value: '+14155552671' },
      { input: '12345', error: expect.objectContaining({ rule: 'phone', message: expect.any(String) }) },
      { input: '', error: expect.objectContaining({ rule: 'required' }) },
    ]);
    const gaid = await api.as(marketer).post('/v1/namespaces/GAID/normalize', { values: ['3F1B2C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D'] }).expect(200);
    expect(gaid.body.items[0].value).toBe('3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d');
    const pid = await api.as(marketer).post(`/v1/namespaces/${partnerId}/normalize`, { values: ['  v-1 ', 'a\nb'] }).expect(200);
    expect(pid.body.items).toEqual([{ input: '  v-1 ', value: 'v-1' }, { input: 'a\nb', error: expect.objectContaining({ rule: 'control_characters' }) }]);
  });

  it('limits normalize to 1000 values (400)', async () => {
    const body = expectProblem(await api.as(api.adminToken).post('/v1/namespaces/Email/normalize', { values: Array(1001).fill('a@b.co') }), 400);
    expect(body.errors).toEqual([expect.objectContaining({ pointer: '/values', rule: 'maxItems' })]);
    await api.as(api.adminToken).post('/v1/namespaces/Email/normalize', { values: Array(1000).fill('a@b.co') }).expect(200);
  });

  it('writes audit entries for create and update with before/after', async () => {
    const partnerId = await renamedPartner();
    const res = await api.as(api.adminToken).get(`/v1/audit-log?resourceType=namespace&resourceId=${partnerId}`).expect(200);
    const actions = res.body.items.map((e: { action: string }) => e.action);
    expect(actions[actions.length - 1]).toBe('create');
    expect(actions.filter((a: string) => a === 'update').length).toBeGreaterThanOrEqual(2);
    const create = res.body.items[res.body.items.length - 1];
    expect(create).toMatchObject({ resourceType: 'namespace', after: expect.objectContaining({ code: 'Acme_PID' }), actor: expect.objectContaining({ role: 'admin' }) });
    const rename = res.body.items.find((e: { action: string; after: { name: string } }) => e.action === 'update' && e.after.name === 'Acme PID');
    expect(rename.before).toMatchObject({ name: 'Acme Partner ID' });
    // Refused changes and no-op updates leave no entry.
    const all = await api.as(api.adminToken).get('/v1/audit-log?resourceType=namespace').expect(200);
    expect(all.body.items.every((e: { action: string }) => e.action !== 'delete')).toBe(true);
  });
});
