/**
 * Prospect audiences through HTTP: text and JSON rules agree, rules are checked against prospect
 * attributes with pointers into the rule, estimate equals evaluation, snapshots count entered and
 * exited, labels come from fields and datasets, and profiles show memberships.
 */
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { prospectCsv, ProspectSetup, setUpProspects } from './helpers/prospects';

let api: TestApi;
let p: ProspectSetup;
let marketer: string;

const people = [
  { id: 'A1', city: 'Seoul', age: 31, firstName: '민준' },
  { id: 'A2', city: 'Seoul', age: 45 },
  { id: 'A3', city: 'Busan', age: 33 },
  { id: 'A4', city: 'Daegu', age: 29 },
  { id: 'A5', city: 'Seoul', age: 38 },
  { id: 'A6', age: 52 },
];

async function evaluate(audienceId: string) {
  const started = await api.as(marketer).post(`/v1/audiences/${audienceId}/evaluations`, {}).expect(202);
  return eventually(async () => {
    const res = await api.as(marketer).get(`/v1/audiences/${audienceId}/evaluations/${started.body.id}`).expect(200);
    return res.body.status === 'success' || res.body.status === 'failed' ? res.body : undefined;
  }, 'the evaluation to finish', 10_000);
}

beforeAll(async () => {
  api = await startTestApi();
  p = await setUpProspects(api, 'Aud');
  marketer = await api.keyFor('marketer');
  await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv(people)).expect(201);
});
afterAll(async () => api.close());

describe('audience rules', () => {
  it('text and JSON forms select the same members, and estimate equals the evaluated size', async () => {
    const text = 'homeAddress.city in ["Seoul", "Busan"] and consumer.age >= 30 and consumer.age < 40';
    const json = {
      and: [
        { field: 'homeAddress.city', op: 'in', value: ['Seoul', 'Busan'] },
        { field: 'consumer.age', op: '>=', value: 30 },
        { field: 'consumer.age', op: '<', value: 40 },
      ],
    };
    const a = await api.as(marketer).post('/v1/audiences', { name: 'Thirties (text)', rule: text }).expect(201);
    const b = await api.as(marketer).post('/v1/audiences', { name: 'Thirties (json)', rule: json }).expect(201);
    expect(a.body.rule.text).toBe(b.body.rule.text);
    const estimate = await api.as(marketer).post('/v1/audiences/estimate', { rule: text }).expect(200);
    expect(estimate.body.size).toBe(3);
    const ea = await evaluate(a.body.id);
    const eb = await evaluate(b.body.id);
    expect(ea.counts.members).toBe(estimate.body.size);
    expect(eb.counts.members).toBe(estimate.body.size);
    const profile = await api.as(marketer).get(`/v1/profiles/${p.namespaceCode}/A1`).expect(200);
    expect(profile.body.audienceMemberships.map((m: any) => m.audienceId).sort()).toEqual([a.body.id, b.body.id].sort());
  });

  it('refuses unknown and first-party fields with a pointer into the rule', async () => {
    const unknown = expectProblem(await api.as(marketer).post('/v1/audiences', { name: 'Bad', rule: 'consumer.shoeSize > 40' }), 422);
    expect(unknown.errors[0].pointer).toMatch(/^\/rule/);
    expect(JSON.stringify(unknown)).toContain('consumer.shoeSize');
    const jsonUnknown = expectProblem(
      await api.as(marketer).post('/v1/audiences', { name: 'Bad json', rule: { and: [{ field: 'consumer.age', op: '>', value: 3 }, { field: 'nope.nope', op: '=', value: 'x' }] } }),
      422,
    );
    expect(jsonUnknown.errors[0].pointer).toBe('/rule/and/1/field');

    // a first-party dataset of the same account: its fields may not appear in prospect audiences
    const engineer = p.token;
    await api.as(engineer).post('/v1/namespaces', { name: 'CRM id', code: 'crmId', type: 'cross_device' }).expect(201);
    const fp = await api
      .as(engineer)
      .post('/v1/schemas', { title: 'Customers', classId: 'xdm:individual-profile', fieldGroupIds: ['fg:mobile-identifiers'], identities: [{ fieldPath: '_id', namespace: 'crmId', primary: true }] })
      .expect(201);
    await api.as(engineer).post(`/v1/schemas/${fp.body.id}/enable-profile`, {}).expect(200);
    const ds = await api.as(engineer).post('/v1/datasets', { name: 'Customers', schemaId: fp.body.id }).expect(201);
    await api.as(engineer).post(`/v1/datasets/${ds.body.id}/enable-profile`, {}).expect(200);
    const firstParty = expectProblem(await api.as(marketer).post('/v1/audiences', { name: 'FP', rule: 'mobileIdentifiers.appUserId = "1"' }), 422);
    expect(firstParty.errors[0].rule).toBe('first-party-field');
  });

  it('compiles hostile strings to bound parameters', async () => {
    for (const hostile of [`'); drop table audiences; --`, `" or 1=1 --`, '%', '\\', '?', '$1']) {
      const res = await api.as(marketer).post('/v1/audiences/estimate', { rule: { field: 'homeAddress.city', op: '=', value: hostile } }).expect(200);
      expect(res.body.size).toBe(0);
    }
    await api.as(marketer).get('/v1/audiences').expect(200);
  });
});

describe('evaluations', () => {
  it('count entered and exited against the previous snapshot', async () => {
    const a = await api.as(marketer).post('/v1/audiences', { name: 'Seoulites', rule: 'homeAddress.city = "Seoul"', status: 'published' }).expect(201);
    const first = await evaluate(a.body.id);
    expect(first.counts).toEqual({ members: 3, entered: 3, exited: 0 });
    await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv([{ id: 'A2', city: 'Busan', age: 45 }, { id: 'A7', city: 'Seoul', age: 60 }])).expect(201);
    const second = await evaluate(a.body.id);
    expect(second.counts).toEqual({ members: 3, entered: 1, exited: 1 });
    const list = await api.as(marketer).get(`/v1/audiences/${a.body.id}/evaluations`).expect(200);
    expect(list.body.items.map((e: any) => e.id)).toEqual([second.id, first.id]);
    const audience = await api.as(marketer).get(`/v1/audiences/${a.body.id}`).expect(200);
    expect(audience.body.size).toBe(3);
  });

  it('keep two snapshots, and deleting the audience removes them and its evaluations', async () => {
    const a = await api.as(marketer).post('/v1/audiences', { name: 'Over thirty', rule: 'consumer.age > 30' }).expect(201);
    const evaluations = [await evaluate(a.body.id), await evaluate(a.body.id), await evaluate(a.body.id)];
    expect(evaluations[2].counts).toEqual({ members: evaluations[0].counts.members, entered: 0, exited: 0 });
    const ids = evaluations.map((e) => e.id);
    const kept = async () => (await api.db('audience_members').whereIn('evaluation_id', ids).select('evaluation_id').groupBy('evaluation_id')).map((r: any) => r.evaluation_id).sort();
    expect(await kept()).toEqual([ids[1], ids[2]].sort());
    await api.as(marketer).delete(`/v1/audiences/${a.body.id}`).expect(204);
    expect(await kept()).toEqual([]);
    expect(await api.db('audience_evaluations').whereIn('id', ids).count()).toEqual([{ count: '0' }]);
  });

  it('run daily at the set UTC time through the scheduler', async () => {
    const a = await api.as(marketer).post('/v1/audiences', { name: 'Daily', rule: 'consumer.age > 50', schedule: { dailyAt: '03:15' } }).expect(201);
    const next = new Date(a.body.nextEvaluationAt);
    expect(next.getUTCHours()).toBe(3);
    expect(next.getUTCMinutes()).toBe(15);
    const services = api.runtime.services;
    const realNow = services.clock.now;
    services.clock.now = () => new Date(next.getTime() + 1000);
    try {
      await services.audiences.queueDueEvaluations();
    } finally {
      services.clock.now = realNow;
    }
    const evals = await api.as(marketer).get(`/v1/audiences/${a.body.id}/evaluations`).expect(200);
    expect(evals.body.items[0]).toMatchObject({ trigger: 'schedule' });
    const after = await api.as(marketer).get(`/v1/audiences/${a.body.id}`).expect(200);
    expect(new Date(after.body.nextEvaluationAt).getTime()).toBe(next.getTime() + 86_400_000);
  });
});

describe('labels and access', () => {
  it('an audience carries the labels of its rule fields and of the datasets it reads', async () => {
    const governance = await api.keyFor('governance');
    await api.as(governance).post(`/v1/schemas/${p.schemaId}/labels`, { labels: ['S2'], fields: ['homeAddress.city'] }).expect((r) => expect(r.status).toBeLessThan(300));
    await api.as(governance).put(`/v1/datasets/${p.datasetId}/labels`, { labels: ['THIRD_PARTY'] }).expect(200);
    const a = await api.as(marketer).post('/v1/audiences', { name: 'Labelled', rule: 'homeAddress.city = "Seoul"' }).expect(201);
    expect(a.body.labels).toEqual(['S2', 'THIRD_PARTY']);
    const ageOnly = await api.as(marketer).post('/v1/audiences', { name: 'Age only', rule: 'consumer.age > 1' }).expect(201);
    expect(ageOnly.body.labels).toEqual(['THIRD_PARTY']);
  });

  it("another account sees none of it; data engineers cannot create audiences", async () => {
    await api.as(marketer).post('/v1/audiences', { name: 'Not theirs', rule: 'consumer.age > 1' }).expect(201);
    const list = await api.as(marketer).get('/v1/audiences').expect(200);
    expect(list.body.items.length).toBeGreaterThan(0);
    const other = await api.otherAccount();
    expectProblem(await api.as(other.adminToken).get(`/v1/audiences/${list.body.items[0].id}`), 404);
    expectProblem(await api.as(other.adminToken).post(`/v1/audiences/${list.body.items[0].id}/evaluations`, {}), 404);
    expectProblem(await api.as(p.token).post('/v1/audiences', { name: 'nope', rule: 'consumer.age > 1' }), 403);
  });
});
