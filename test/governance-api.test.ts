/**
 * Governance over HTTP: the label catalog and custom labels, marketing actions, policies (core and
 * custom) with their validation pointers, evaluation with labels, roles and account isolation.
 */
import { expectProblem, startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
let governance: string;
let marketer: string;
let engineer: string;
beforeAll(async () => {
  api = await startTestApi();
  governance = await api.keyFor('governance');
  marketer = await api.keyFor('marketer');
  engineer = await api.keyFor('data_engineer');
});
afterAll(async () => api.close());

/** A custom label of this account: created here unless an earlier test of the file already made it. */
async function customLabel(code: string): Promise<void> {
  const res = await api.as(governance).get(`/v1/labels/${code}`);
  if (res.status === 404) await api.as(governance).post('/v1/labels', { code, friendlyName: code }).expect(201);
  else expect(res.status).toBe(200);
}

const CORE_CODES = ['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8', 'C9', 'C10', 'C11', 'C12', 'I1', 'I2', 'S1', 'S2', 'PSPD', 'RHD', 'THIRD_PARTY'];

describe('label catalog', () => {
  it('lists every core label, readable by every role', async () => {
    for (const token of [api.adminToken, governance, engineer, marketer]) {
      const res = await api.as(token).get('/v1/labels').expect(200);
      const codes = res.body.items.map((l: any) => l.code);
      expect(codes).toEqual(expect.arrayContaining(CORE_CODES));
    }
    const res = await api.as(marketer).get('/v1/labels').expect(200);
    const third = res.body.items.find((l: any) => l.code === 'THIRD_PARTY');
    expect(third).toMatchObject({ category: 'Partner ecosystem', friendlyName: 'Third-Party', core: true });
    expect(third.description).toMatch(/third-party data vendor/);
    const c4 = await api.as(marketer).get('/v1/labels/C4').expect(200);
    expect(c4.body).toMatchObject({ code: 'C4', category: 'Contract', core: true, implies: ['C5', 'C6', 'C7'] });
  });

  it('filters by category (case-insensitive) and by core', async () => {
    const contract = await api.as(marketer).get('/v1/labels?category=contract').expect(200);
    expect(contract.body.items.map((l: any) => l.code)).toEqual(CORE_CODES.slice(0, 12));
    const sensitive = await api.as(marketer).get('/v1/labels?category=Sensitive').expect(200);
    expect(sensitive.body.items.map((l: any) => l.code)).toEqual(['S1', 'S2', 'PSPD', 'RHD']);
    // A custom label first: `every` over an empty list could not fail.
    await api.as(governance).post('/v1/labels', { code: 'CUSTOM_FILTER', friendlyName: 'Filter check' }).expect(201);
    const custom = await api.as(marketer).get('/v1/labels?core=false').expect(200);
    expect(custom.body.items.length).toBeGreaterThan(0);
    expect(custom.body.items.map((l: any) => l.code)).toContain('CUSTOM_FILTER');
    expect(custom.body.items.every((l: any) => l.core === false)).toBe(true);
    const core = await api.as(marketer).get('/v1/labels?core=true').expect(200);
    expect(core.body.items.map((l: any) => l.code)).not.toContain('CUSTOM_FILTER');
    await api.as(governance).delete('/v1/labels/CUSTOM_FILTER').expect(204); // the next tests count the labels
  });

  it('treats codes case-sensitively: c2 is not C2', async () => {
    const body = expectProblem(await api.as(marketer).get('/v1/labels/c2'), 404);
    expect(body.detail).toMatch(/case-sensitive/);
  });

  it('keeps core labels read-only', async () => {
    expectProblem(await api.as(governance).patch('/v1/labels/C2', { friendlyName: 'x' }), 409);
    expectProblem(await api.as(governance).delete('/v1/labels/C2'), 409);
  });
});

describe('custom labels', () => {
  it('creates, reads, lists, updates and deletes a custom label, with audit entries', async () => {
    const created = await api
      .as(governance)
      .post('/v1/labels', { code: 'Vendor-A', category: 'Partner contracts', friendlyName: 'Vendor A terms', description: 'Only for vendor A' })
      .expect(201);
    expect(created.body).toMatchObject({ code: 'Vendor-A', category: 'Partner contracts', friendlyName: 'Vendor A terms', core: false, implies: [] });
    expect(created.body.createdAt).toEqual(expect.any(String));

    const got = await api.as(marketer).get('/v1/labels/Vendor-A').expect(200);
    expect(got.body.friendlyName).toBe('Vendor A terms');
    const byCategory = await api.as(marketer).get('/v1/labels?category=partner%20contracts').expect(200);
    expect(byCategory.body.items.map((l: any) => l.code)).toEqual(['Vendor-A']);
    const all = await api.as(marketer).get('/v1/labels').expect(200);
    expect(all.body.items.map((l: any) => l.code)).toEqual([...CORE_CODES, 'Vendor-A']);

    const updated = await api.as(governance).patch('/v1/labels/Vendor-A', { friendlyName: 'Vendor A contract' }).expect(200);
    expect(updated.body).toMatchObject({ code: 'Vendor-A', friendlyName: 'Vendor A contract', category: 'Partner contracts' });

    await api.as(governance).delete('/v1/labels/Vendor-A').expect(204);
    expectProblem(await api.as(governance).get('/v1/labels/Vendor-A'), 404);

    const audit = await api.as(governance).get('/v1/audit-log?resourceType=label&resourceId=Vendor-A').expect(200);
    expect(audit.body.items.map((e: any) => e.action)).toEqual(['delete', 'update', 'create']);
    expect(audit.body.items[1].before.friendlyName).toBe('Vendor A terms');
    expect(audit.body.items[1].after.friendlyName).toBe('Vendor A contract');
  });

  it('defaults the category to Custom', async () => {
    const res = await api.as(api.adminToken).post('/v1/labels', { code: 'internalOnly', friendlyName: 'Internal only' }).expect(201);
    expect(res.body.category).toBe('Custom');
  });

  it('refuses clashes with core codes, duplicates and malformed codes', async () => {
    const core = expectProblem(await api.as(governance).post('/v1/labels', { code: 'C2', friendlyName: 'x' }), 409);
    expect(core.errors[0].pointer).toBe('/code');
    const nearCore = expectProblem(await api.as(governance).post('/v1/labels', { code: 'third_party', friendlyName: 'x' }), 422);
    expect(nearCore.errors[0]).toMatchObject({ pointer: '/code', rule: 'core-label' });
    expect(nearCore.detail).toContain('THIRD_PARTY');
    await api.as(governance).post('/v1/labels', { code: 'Dup', friendlyName: 'x' }).expect(201);
    const dup = expectProblem(await api.as(governance).post('/v1/labels', { code: 'Dup', friendlyName: 'y' }), 409);
    expect(dup.errors[0].pointer).toBe('/code');
    // Case-sensitive: dup is another label than Dup.
    await api.as(governance).post('/v1/labels', { code: 'dup', friendlyName: 'z' }).expect(201);
    const bad = expectProblem(await api.as(governance).post('/v1/labels', { code: '1abc', friendlyName: 'x' }), 400);
    expect(bad.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/code', rule: 'pattern' })]));
    const missing = expectProblem(await api.as(governance).post('/v1/labels', { code: 'ok' }), 400);
    expect(missing.errors).toEqual([expect.objectContaining({ pointer: '/friendlyName', rule: 'required' })]);
    // A finding carries its rule's figures, so a client can word it in its own language.
    const long = expectProblem(await api.as(governance).post('/v1/labels', { code: 'Long', friendlyName: 'x'.repeat(201), category: 7 }), 400);
    expect(long.errors).toEqual(
      expect.arrayContaining([
        { pointer: '/friendlyName', rule: 'maxLength', message: expect.stringContaining('200'), params: { limit: 200 } },
        { pointer: '/category', rule: 'type', message: expect.any(String), params: { type: 'string' } },
      ]),
    );
  });

  it('refuses to delete a label a policy uses, listing the policy', async () => {
    await api.as(governance).post('/v1/labels', { code: 'Embargoed', friendlyName: 'Embargoed data' }).expect(201);
    const policy = await api
      .as(governance)
      .post('/v1/policies', { name: 'Embargo', marketingActions: ['analytics'], deny: { operator: 'OR', operands: [{ label: 'C8' }, { label: 'Embargoed' }] } })
      .expect(201);
    const body = expectProblem(await api.as(governance).delete('/v1/labels/Embargoed'), 409);
    expect(body.detail).toContain('Embargo');
    expect(body.usedBy.policies).toEqual([{ id: policy.body.id, name: 'Embargo' }]);
    await api.as(governance).delete(`/v1/policies/${policy.body.id}`).expect(204);
    await api.as(governance).delete('/v1/labels/Embargoed').expect(204);
  });

  it('marketers and data engineers cannot write labels (403)', async () => {
    await customLabel('dup');
    const body = expectProblem(await api.as(marketer).post('/v1/labels', { code: 'Mine', friendlyName: 'mine' }), 403);
    expect(body.detail).toContain('labels.write');
    expectProblem(await api.as(marketer).post('/v1/schemas/sch_any/labels', { labels: ['C2'], fields: '*' }), 403);
    expectProblem(await api.as(marketer).delete('/v1/schemas/sch_any/labels', { labels: ['C2'], fields: '*' }), 403);
    expectProblem(await api.as(engineer).post('/v1/labels', { code: 'Mine', friendlyName: 'mine' }), 403);
    expectProblem(await api.as(marketer).patch('/v1/labels/dup', { friendlyName: 'x' }), 403);
  });
});

describe('marketing actions', () => {
  it('lists the ten core actions with Adobe names', async () => {
    const res = await api.as(marketer).get('/v1/marketing-actions').expect(200);
    const core = res.body.items.filter((a: any) => a.core).map((a: any) => a.name);
    expect(core.sort()).toEqual(
      [
        'analytics', 'combineData', 'crossSiteTargeting', 'dataScience', 'emailTargeting', 'exportToThirdParty',
        'onsiteAdvertising', 'onsitePersonalization', 'segmentMatch', 'singleIdentityPersonalization',
      ].sort(),
    );
    const combine = await api.as(marketer).get('/v1/marketing-actions/combineData').expect(200);
    expect(combine.body.displayName).toBe('Combine with directly identifiable data');
  });

  it('creates, updates and deletes a custom action; core ones are read-only', async () => {
    const created = await api.as(governance).post('/v1/marketing-actions', { name: 'kakaoMomentTargeting', description: 'Kakao Moment audiences' }).expect(201);
    expect(created.body).toMatchObject({ name: 'kakaoMomentTargeting', core: false });
    const updated = await api.as(governance).patch('/v1/marketing-actions/kakaoMomentTargeting', { description: 'Kakao Moment custom audiences' }).expect(200);
    expect(updated.body.description).toBe('Kakao Moment custom audiences');
    expectProblem(await api.as(governance).post('/v1/marketing-actions', { name: 'kakaoMomentTargeting' }), 409);
    expectProblem(await api.as(governance).post('/v1/marketing-actions', { name: 'analytics' }), 409);
    const near = expectProblem(await api.as(governance).post('/v1/marketing-actions', { name: 'Analytics' }), 422);
    expect(near.errors[0].pointer).toBe('/name');
    expectProblem(await api.as(governance).post('/v1/marketing-actions', { name: 'has space' }), 400);
    expectProblem(await api.as(governance).patch('/v1/marketing-actions/analytics', { description: 'x' }), 409);
    expectProblem(await api.as(governance).delete('/v1/marketing-actions/analytics'), 409);
    expectProblem(await api.as(marketer).post('/v1/marketing-actions', { name: 'mine' }), 403);

    const policy = await api
      .as(governance)
      .post('/v1/policies', { name: 'No C2 in Kakao', marketingActions: ['kakaoMomentTargeting'], deny: { label: 'C2' }, status: 'ENABLED' })
      .expect(201);
    const used = expectProblem(await api.as(governance).delete('/v1/marketing-actions/kakaoMomentTargeting'), 409);
    expect(used.usedBy.policies[0].id).toBe(policy.body.id);
    await api.as(governance).delete(`/v1/policies/${policy.body.id}`).expect(204);
    await api.as(governance).delete('/v1/marketing-actions/kakaoMomentTargeting').expect(204);
    expectProblem(await api.as(governance).get('/v1/marketing-actions/kakaoMomentTargeting'), 404);

    const audit = await api.as(governance).get('/v1/audit-log?resourceType=marketing_action&resourceId=kakaoMomentTargeting').expect(200);
    expect(audit.body.items.map((e: any) => e.action)).toEqual(['delete', 'update', 'create']);
  });
});

describe('core policies', () => {
  it('exist in every new account with the documented statuses', async () => {
    const res = await api.as(marketer).get('/v1/policies?core=true').expect(200);
    const byKey = Object.fromEntries(res.body.items.map((p: any) => [p.coreKey, p]));
    expect(Object.keys(byKey).sort()).toEqual(['C12_ANY_EXPORT', 'C2_EXPORT_TO_THIRD_PARTY', 'C4_TARGETING', 'THIRD_PARTY_EMAIL_DATA_SCIENCE']);
    expect(byKey.C2_EXPORT_TO_THIRD_PARTY).toMatchObject({ status: 'ENABLED', core: true, marketingActions: ['exportToThirdParty'], deny: { label: 'C2' } });
    expect(byKey.C4_TARGETING.status).toBe('ENABLED');
    expect(byKey.C4_TARGETING.marketingActions.sort()).toEqual(
      ['crossSiteTargeting', 'emailTargeting', 'onsiteAdvertising', 'onsitePersonalization', 'segmentMatch', 'singleIdentityPersonalization'].sort(),
    );
    expect(byKey.C12_ANY_EXPORT).toMatchObject({ status: 'ENABLED', marketingActions: ['exportToThirdParty', 'segmentMatch'], deny: { label: 'C12' } });
    expect(byKey.THIRD_PARTY_EMAIL_DATA_SCIENCE).toMatchObject({
      status: 'DISABLED',
      marketingActions: ['emailTargeting', 'dataScience'],
      deny: { label: 'THIRD_PARTY' },
    });

    const other = await api.otherAccount();
    const theirs = await api.as(other.adminToken).get('/v1/policies?core=true').expect(200);
    expect(theirs.body.items).toHaveLength(4);
    expect(theirs.body.items.map((p: any) => p.id)).not.toContain(byKey.C2_EXPORT_TO_THIRD_PARTY.id);
  });

  it('can be enabled and disabled but not edited in deny/actions or deleted', async () => {
    const list = await api.as(governance).get('/v1/policies?core=true').expect(200);
    const third = list.body.items.find((p: any) => p.coreKey === 'THIRD_PARTY_EMAIL_DATA_SCIENCE');
    const on = await api.as(governance).patch(`/v1/policies/${third.id}`, { status: 'ENABLED' }).expect(200);
    expect(on.body.status).toBe('ENABLED');
    // Sending the unchanged deny is fine (PUT-like clients); a different one is not.
    await api.as(governance).patch(`/v1/policies/${third.id}`, { status: 'DISABLED', deny: { label: 'THIRD_PARTY' } }).expect(200);
    const deny = expectProblem(await api.as(governance).patch(`/v1/policies/${third.id}`, { deny: { label: 'C2' } }), 409);
    expect(deny.errors[0].pointer).toBe('/deny');
    const actions = expectProblem(await api.as(governance).patch(`/v1/policies/${third.id}`, { marketingActions: ['analytics'] }), 409);
    expect(actions.errors[0].pointer).toBe('/marketingActions');
    expectProblem(await api.as(governance).delete(`/v1/policies/${third.id}`), 409);
    const after = await api.as(governance).get(`/v1/policies/${third.id}`).expect(200);
    expect(after.body).toMatchObject({ status: 'DISABLED', deny: { label: 'THIRD_PARTY' }, marketingActions: ['emailTargeting', 'dataScience'] });
  });
});

describe('policies', () => {
  it('creates, reads, lists, updates and deletes a policy, with audit entries', async () => {
    const created = await api
      .as(governance)
      .post('/v1/policies', {
        name: 'No identified prospects by email',
        description: 'Third-party data joined with direct identifiers',
        marketingActions: ['emailTargeting', 'onsitePersonalization'],
        deny: { operator: 'AND', operands: [{ label: 'THIRD_PARTY' }, { operator: 'OR', operands: [{ label: 'I1' }, { label: 'I2' }] }] },
      })
      .expect(201);
    const id = created.body.id;
    expect(created.body).toMatchObject({ status: 'DRAFT', core: false, coreKey: null });
    expect(created.body.deny).toEqual({ operator: 'AND', operands: [{ label: 'THIRD_PARTY' }, { operator: 'OR', operands: [{ label: 'I1' }, { label: 'I2' }] }] });

    await api.as(marketer).get(`/v1/policies/${id}`).expect(200);
    const byLabel = await api.as(marketer).get('/v1/policies?label=I2').expect(200);
    expect(byLabel.body.items.map((p: any) => p.id)).toEqual([id]);
    const byAction = await api.as(marketer).get('/v1/policies?marketingAction=onsitePersonalization').expect(200);
    expect(byAction.body.items.map((p: any) => p.id)).toContain(id);
    const drafts = await api.as(marketer).get('/v1/policies?status=DRAFT').expect(200);
    expect(drafts.body.items.map((p: any) => p.id)).toEqual([id]);

    const enabled = await api.as(governance).patch(`/v1/policies/${id}`, { status: 'ENABLED' }).expect(200);
    expect(enabled.body.status).toBe('ENABLED');
    const edited = await api.as(governance).patch(`/v1/policies/${id}`, { deny: { label: 'I1' }, marketingActions: ['emailTargeting'] }).expect(200);
    expect(edited.body).toMatchObject({ deny: { label: 'I1' }, marketingActions: ['emailTargeting'], status: 'ENABLED' });

    await api.as(governance).delete(`/v1/policies/${id}`).expect(204);
    expectProblem(await api.as(governance).get(`/v1/policies/${id}`), 404);

    const audit = await api.as(governance).get(`/v1/audit-log?resourceType=policy&resourceId=${id}`).expect(200);
    expect(audit.body.items.map((e: any) => e.action)).toEqual(['delete', 'update', 'update', 'create']);
    expect(audit.body.items[2].before.status).toBe('DRAFT');
    expect(audit.body.items[2].after.status).toBe('ENABLED');
  });

  it('pages the list with a cursor', async () => {
    const first = await api.as(marketer).get('/v1/policies?limit=2').expect(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await api.as(marketer).get(`/v1/policies?limit=2&cursor=${first.body.nextCursor}`).expect(200);
    expect(second.body.items[0].id > first.body.items[1].id).toBe(true);
  });

  it('points at unknown labels inside the deny tree and unknown marketing actions', async () => {
    const res = await api.as(governance).post('/v1/policies', {
      name: 'Broken',
      marketingActions: ['analytics', 'exportToThirdparty'],
      deny: { operator: 'OR', operands: [{ label: 'C1' }, { label: 'c2' }, { operator: 'AND', operands: [{ label: 'I1' }, { label: 'NOPE' }] }] },
    });
    const body = expectProblem(res, 422);
    expect(body.errors).toEqual([
      expect.objectContaining({ pointer: '/deny/operands/1/label', rule: 'label' }),
      expect.objectContaining({ pointer: '/deny/operands/2/operands/1/label', rule: 'label' }),
      expect.objectContaining({ pointer: '/marketingActions/1', rule: 'marketing-action' }),
    ]);
    expect(body.errors[0].message).toContain('did you mean "C2"');
    expect(body.errors[2].message).toContain('did you mean "exportToThirdParty"');
    const list = await api.as(governance).get('/v1/policies').expect(200);
    expect(list.body.items.map((p: any) => p.name)).not.toContain('Broken');
  });

  it('rejects malformed deny expressions with 400 and a pointer', async () => {
    const noOperands = expectProblem(await api.as(governance).post('/v1/policies', { name: 'x', marketingActions: ['analytics'], deny: { operator: 'AND' } }), 400);
    expect(noOperands.errors.map((e: any) => e.pointer)).toContain('/deny/operands');
    const badOperator = expectProblem(
      await api.as(governance).post('/v1/policies', { name: 'x', marketingActions: ['analytics'], deny: { operator: 'XOR', operands: [{ label: 'C1' }] } }),
      400,
    );
    expect(badOperator.errors.map((e: any) => e.pointer)).toContain('/deny/operator');
    const nested = expectProblem(
      await api.as(governance).post('/v1/policies', { name: 'x', marketingActions: ['analytics'], deny: { operator: 'OR', operands: [{ label: 'C1', extra: 1 }] } }),
      400,
    );
    expect(nested.errors.map((e: any) => e.pointer)).toContain('/deny/operands/0/extra');
    const empty = expectProblem(await api.as(governance).post('/v1/policies', { name: 'x', marketingActions: [], deny: { label: 'C1' } }), 400);
    expect(empty.errors.map((e: any) => e.pointer)).toContain('/marketingActions');
  });

  it('refuses a duplicate name (case-insensitive)', async () => {
    await api.as(governance).post('/v1/policies', { name: 'Unique name', marketingActions: ['analytics'], deny: { label: 'C8' } }).expect(201);
    const body = expectProblem(await api.as(governance).post('/v1/policies', { name: 'UNIQUE NAME', marketingActions: ['analytics'], deny: { label: 'C8' } }), 409);
    expect(body.errors[0].pointer).toBe('/name');
  });

  it('is written by governance and admin only', async () => {
    const body = { name: 'Not mine', marketingActions: ['analytics'], deny: { label: 'C8' } };
    expectProblem(await api.as(marketer).post('/v1/policies', body), 403);
    expectProblem(await api.as(engineer).post('/v1/policies', body), 403);
    await api.as(api.adminToken).post('/v1/policies', body).expect(201);
  });

  it('answers 404 for another account\'s policy', async () => {
    const mine = await api.as(governance).post('/v1/policies', { name: 'Private', marketingActions: ['analytics'], deny: { label: 'C8' } }).expect(201);
    const other = await api.otherAccount();
    expectProblem(await api.as(other.adminToken).get(`/v1/policies/${mine.body.id}`), 404);
    expectProblem(await api.as(other.adminToken).patch(`/v1/policies/${mine.body.id}`, { status: 'ENABLED' }), 404);
    expectProblem(await api.as(other.adminToken).delete(`/v1/policies/${mine.body.id}`), 404);
    const theirs = await api.as(other.adminToken).get('/v1/policies').expect(200);
    expect(theirs.body.items.map((p: any) => p.name)).not.toContain('Private');
    // Custom labels are per account too.
    await customLabel('dup');
    expectProblem(await api.as(other.adminToken).get('/v1/labels/dup'), 404);
    const still = await api.as(governance).get(`/v1/policies/${mine.body.id}`).expect(200);
    expect(still.body.status).toBe('DRAFT');
  });
});

describe('POST /v1/policies/evaluate with labels', () => {
  it('reports the enabled core C2 policy for export to a third party, with the matched expression', async () => {
    const res = await api.as(marketer).post('/v1/policies/evaluate', { marketingActions: ['exportToThirdParty'], labels: ['C2', 'I2'] }).expect(200);
    expect(res.body.labels).toEqual(['C2', 'I2']);
    expect(res.body.violations).toHaveLength(1);
    expect(res.body.violations[0]).toMatchObject({
      policy: { name: 'Restrict data export to third parties (C2)', status: 'ENABLED' },
      marketingActions: ['exportToThirdParty'],
      matched: { label: 'C2' },
      labels: ['C2'],
      sources: [{ label: 'C2', kind: 'request' }],
    });
    const fine = await api.as(marketer).post('/v1/policies/evaluate', { marketingActions: ['analytics'], labels: ['C2', 'I2'] }).expect(200);
    expect(fine.body.violations).toEqual([]);
  });

  it('applies the C4 implication and reports the AND only when all labels meet', async () => {
    const policy = await api
      .as(governance)
      .post('/v1/policies', {
        name: 'No cross-site targeting of identified C5 data',
        status: 'ENABLED',
        marketingActions: ['crossSiteTargeting'],
        deny: { operator: 'AND', operands: [{ label: 'C5' }, { label: 'I1' }] },
      })
      .expect(201);
    const partial = await api.as(marketer).post('/v1/policies/evaluate', { marketingActions: ['crossSiteTargeting'], labels: ['C5'] }).expect(200);
    expect(partial.body.violations.map((v: any) => v.policy.id)).not.toContain(policy.body.id);

    const res = await api.as(marketer).post('/v1/policies/evaluate', { marketingActions: ['crossSiteTargeting'], labels: ['C4', 'I1'] }).expect(200);
    expect(res.body.effectiveLabels).toEqual(['C4', 'C5', 'C6', 'C7', 'I1']);
    const mine = res.body.violations.find((v: any) => v.policy.id === policy.body.id);
    expect(mine.matched).toEqual({ operator: 'AND', operands: [{ label: 'C5' }, { label: 'I1' }] });
    expect(mine.sources).toEqual([
      { label: 'C5', impliedBy: 'C4', kind: 'request' },
      { label: 'I1', kind: 'request' },
    ]);
    // The core C4 policy fires as well.
    expect(res.body.violations.map((v: any) => v.policy.name)).toContain('Restrict ad and content targeting (C4)');
  });

  it('ignores draft and disabled policies', async () => {
    const draft = await api
      .as(governance)
      .post('/v1/policies', { name: 'Draft S1', marketingActions: ['analytics'], deny: { label: 'S1' } })
      .expect(201);
    const res = await api.as(marketer).post('/v1/policies/evaluate', { marketingActions: ['analytics'], labels: ['S1'] }).expect(200);
    expect(res.body.violations).toEqual([]);
    await api.as(governance).patch(`/v1/policies/${draft.body.id}`, { status: 'ENABLED' }).expect(200);
    const now = await api.as(marketer).post('/v1/policies/evaluate', { marketingActions: ['analytics'], labels: ['S1'] }).expect(200);
    expect(now.body.violations.map((v: any) => v.policy.id)).toEqual([draft.body.id]);
    await api.as(governance).patch(`/v1/policies/${draft.body.id}`, { status: 'DISABLED' }).expect(200);
    const off = await api.as(marketer).post('/v1/policies/evaluate', { marketingActions: ['analytics'], labels: ['S1'] }).expect(200);
    expect(off.body.violations).toEqual([]);
  });

  it('points at unknown marketing actions and labels, and needs labels or fields', async () => {
    const body = expectProblem(
      await api.as(marketer).post('/v1/policies/evaluate', { marketingActions: ['analytics', 'emailtargeting'], labels: ['C1', 'c2'] }),
      422,
    );
    expect(body.errors.map((e: any) => e.pointer)).toEqual(['/marketingActions/1', '/labels/1']);
    expectProblem(await api.as(marketer).post('/v1/policies/evaluate', { marketingActions: ['analytics'] }), 400);
    expectProblem(await api.as(marketer).post('/v1/policies/evaluate', { labels: ['C1'] }), 400);
  });
});
