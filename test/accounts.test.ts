import { expectProblem, startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api.close());

describe('accounts and API keys', () => {
  it('bootstraps an org-wide admin key that can see its account', async () => {
    const res = await api.as(api.adminToken).get('/v1/accounts/me').expect(200);
    expect(res.body.caller).toMatchObject({ role: 'admin', adAccountId: api.adAccountId, orgWide: true });
    expect(res.body.adAccount.id).toBe(api.adAccountId);
  });

  it('answers 401 problem+json without a key, with a malformed key and with a revoked key', async () => {
    const none = await api.as('').get('/v1/accounts/me');
    expectProblem(none, 401);
    expectProblem(await api.as('cdp_nope').get('/v1/accounts/me'), 401);
    const created = await api.as(api.adminToken).post(`/v1/accounts/${api.adAccountId}/api-keys`, { role: 'marketer', name: 'm' }).expect(201);
    expect(created.body.token).toMatch(/^cdp_/);
    await api.as(created.body.token).get('/v1/accounts/me').expect(200);
    await api.as(api.adminToken).delete(`/v1/accounts/${api.adAccountId}/api-keys/${created.body.key.id}`).expect(200);
    expectProblem(await api.as(created.body.token).get('/v1/accounts/me'), 401);
  });

  it('never returns secrets when listing keys', async () => {
    const res = await api.as(api.adminToken).get(`/v1/accounts/${api.adAccountId}/api-keys`).expect(200);
    expect(res.body.items.length).toBeGreaterThan(0);
    expect(JSON.stringify(res.body)).not.toMatch(/secret|cdp_[0-9a-z]{24}\./);
  });

  it('lets an org-wide admin create and switch to a second ad account; others get 404', async () => {
    const created = await api.as(api.adminToken).post('/v1/accounts', { name: 'Second brand' }).expect(201);
    const second = created.body.id as string;
    const me = await api.as(api.adminToken).get('/v1/accounts/me').set('X-Ad-Account-Id', second).expect(200);
    expect(me.body.caller.adAccountId).toBe(second);
    const marketer = await api.keyFor('marketer');
    expectProblem(await api.as(marketer).get('/v1/accounts/me').set('X-Ad-Account-Id', second), 404);
    expectProblem(await api.as(marketer).get(`/v1/accounts/${second}`), 404);
    const other = await api.otherAccount();
    expectProblem(await api.as(api.adminToken).get('/v1/accounts/me').set('X-Ad-Account-Id', other.adAccountId), 404);
    expectProblem(await api.as(other.adminToken).get(`/v1/accounts/${api.adAccountId}/api-keys`), 404);
  });

  it('refuses a non-admin role with 403 naming the permission', async () => {
    const marketer = await api.keyFor('marketer');
    const body = expectProblem(await api.as(marketer).post('/v1/accounts', { name: 'x' }), 403);
    expect(body.detail).toContain('accounts.manage');
  });

  it('validates bodies with a pointer and rule', async () => {
    const body = expectProblem(await api.as(api.adminToken).post(`/v1/accounts/${api.adAccountId}/api-keys`, { role: 'root' }), 400);
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: '/role', rule: 'enum' }),
        expect.objectContaining({ pointer: '/name', rule: 'required' }),
      ]),
    );
  });

  it('answers malformed JSON with a 400 problem', async () => {
    const res = await api
      .as(api.adminToken)
      .post('/v1/accounts')
      .set('Content-Type', 'application/json')
      .send('{"name": ');
    expectProblem(res, 400);
  });
});
