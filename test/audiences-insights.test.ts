/**
 * Audience insights (issue 16 §3) over real PostgreSQL: two datasets of one Partner ID namespace
 * (demographics, then addresses whose later cities win) and a dataset of another namespace. Every
 * figure the API gives — sample attributes, counts by namespace, top values with "other" and nulls,
 * histogram bins and their edges, overlap regions — is checked against a count this test computes
 * itself from the seeded rows, merged by hand (per attribute, the later file's non-null value).
 */
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { setUpProspects } from './helpers/prospects';

let api: TestApi;
let engineer: string;
let marketer: string;
let nsA: { id: string; code: string };
let nsB: { id: string; code: string };

type Value = string | number | boolean | null;
type Profile = Record<string, Value>;
/** namespace code → identity → merged attributes (by hand). */
const merged: Record<string, Record<string, Profile>> = {};

const CITIES = ['Seoul', 'Busan', 'Incheon', 'Daegu', 'Gwangju'];
const FIELDS = ['consumer.age', 'consumer.income', 'consumer.carOwner', 'consumer.lastPurchaseDate', 'homeAddress.city'];

/** Demographics rows (with a few cities of their own). */
function demographics(prefix: string, n: number, shift: number): Profile[] {
  return Array.from({ length: n }, (_v, i) => ({
    partnerID: `${prefix}${i}`,
    'consumer.age': (i + shift) % 7 === 0 ? null : 20 + ((i * 7 + shift) % 50),
    'consumer.income': i % 5 === 0 ? null : 1000 * ((i + shift) % 13) + 0.5 * i,
    'consumer.carOwner': i % 3 === 0 ? null : (i + shift) % 2 === 0,
    'consumer.lastPurchaseDate': i % 4 === 0 ? null : `2024-0${1 + (i % 3)}-${String(1 + ((i * 5) % 28)).padStart(2, '0')}`,
    'homeAddress.city': i % 6 === 0 ? null : CITIES[(i + shift) % 5],
  }));
}

function csv(rows: Profile[], fields: string[]): string {
  return [['partnerID', ...fields].join(','), ...rows.map((r) => [r.partnerID, ...fields.map((f) => (r[f] === null || r[f] === undefined ? '' : String(r[f])))].join(','))].join('\n') + '\n';
}

async function load(datasetId: string, body: string): Promise<void> {
  const res = await api.as(engineer).post(`/v1/datasets/${datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(body).expect(201);
  expect(res.body).toMatchObject({ status: 'success', counts: { failed: 0 } });
}

/** Later rows' non-null values win, attribute by attribute. */
function mergeInto(code: string, rows: Profile[]): void {
  const ns = (merged[code] ??= {});
  for (const r of rows) {
    const p = (ns[r.partnerID as string] ??= Object.fromEntries(FIELDS.map((f) => [f, null])));
    for (const f of FIELDS) if (r[f] !== null && r[f] !== undefined) p[f] = r[f];
  }
}

function everyone(): { ns: string; id: string; p: Profile }[] {
  return Object.entries(merged).flatMap(([ns, ps]) => Object.entries(ps).map(([id, p]) => ({ ns, id, p })));
}

const RULES: { rule: string; judge: (p: Profile) => boolean }[] = [
  { rule: 'consumer.age > 30', judge: (p) => typeof p['consumer.age'] === 'number' && p['consumer.age'] > 30 },
  { rule: 'consumer.age > 25 and homeAddress.city = "Seoul"', judge: (p) => typeof p['consumer.age'] === 'number' && p['consumer.age'] > 25 && p['homeAddress.city'] === 'Seoul' },
  { rule: 'isNull(consumer.age)', judge: (p) => p['consumer.age'] === null },
];

/** Members with and without each attribute (histograms count nulls apart). */
const WIDE = { rule: 'consumer.age > 30 or homeAddress.city = "Seoul"', judge: (p: Profile) => (typeof p['consumer.age'] === 'number' && p['consumer.age'] > 30) || p['homeAddress.city'] === 'Seoul' };

function members(judge: (p: Profile) => boolean) {
  return everyone().filter((m) => judge(m.p));
}

function topValues(values: Value[], top: number) {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const shown = sorted.slice(0, top);
  const nonNull = values.filter((v) => v !== null).length;
  return { nulls: values.length - nonNull, shown, other: nonNull - shown.reduce((s, [, n]) => s + n, 0), distinct: counts.size };
}

async function evaluated(name: string, rule: string): Promise<string> {
  const audience = (await api.as(marketer).post('/v1/audiences', { name, rule, status: 'published' }).expect(201)).body;
  const started = (await api.as(marketer).post(`/v1/audiences/${audience.id}/evaluations`, {}).expect(202)).body;
  await eventually(async () => (await api.as(marketer).get(`/v1/audiences/${audience.id}/evaluations/${started.id}`).expect(200)).body.status === 'success', 'the evaluation');
  return audience.id;
}

beforeAll(async () => {
  api = await startTestApi();
  const a = await setUpProspects(api, 'Ins');
  engineer = a.token;
  marketer = await api.keyFor('marketer');
  const as = api.as(engineer);
  // A second dataset of namespace A: addresses only.
  const schema = await as.post('/v1/schemas', { title: 'Ins addresses', classId: 'xdm:individual-prospect-profile', fieldGroupIds: ['fg:home-address'], identities: [{ fieldPath: 'partnerID', namespace: a.namespaceCode, primary: true }] }).expect(201);
  await as.post(`/v1/schemas/${schema.body.id}/enable-profile`, {}).expect(200);
  const addresses = (await as.post('/v1/datasets', { name: 'Ins addresses', schemaId: schema.body.id }).expect(201)).body.id;
  await as.post(`/v1/datasets/${addresses}/enable-profile`, {}).expect(200);
  const b = await setUpProspects(api, 'Other', { token: engineer });

  const rowsA = demographics('P', 40, 0);
  const rowsAddr: Profile[] = Array.from({ length: 30 }, (_v, k) => ({ partnerID: `P${k + 20}`, 'homeAddress.city': k % 4 === 0 ? null : CITIES[(k * 2) % 5] }));
  const rowsB = demographics('P', 15, 3); // same identities as A's P0…P14, another namespace: never merged with A
  await load(a.datasetId, csv(rowsA, FIELDS));
  await load(addresses, csv(rowsAddr, ['homeAddress.city']));
  await load(b.datasetId, csv(rowsB, FIELDS));
  mergeInto(a.namespaceCode, rowsA);
  mergeInto(a.namespaceCode, rowsAddr);
  mergeInto(b.namespaceCode, rowsB);
  const namespaces = (await api.as(marketer).get('/v1/namespaces').expect(200)).body.items as { id: string; code: string }[];
  nsA = namespaces.find((n) => n.code === a.namespaceCode)!;
  nsB = namespaces.find((n) => n.code === b.namespaceCode)!;
}, 60_000);
afterAll(async () => api.close());

describe('sample', () => {
  it.each(RULES)('shows qualifying profiles of "$rule" with their merged attributes', async ({ rule, judge }) => {
    const res = await api.as(marketer).post('/v1/audiences/sample', { rule, limit: 50, fields: FIELDS }).expect(200);
    const expected = members(judge);
    expect(expected.length).toBeGreaterThan(0);
    expect(res.body.fields).toEqual(FIELDS);
    expect(res.body.items).toHaveLength(Math.min(50, expected.length));
    for (const item of res.body.items) {
      const p = merged[item.namespace.code]?.[item.identity];
      expect({ who: `${item.namespace.code}:${item.identity}`, qualifies: p !== undefined && judge(p) }).toEqual({ who: `${item.namespace.code}:${item.identity}`, qualifies: true });
      expect(item.attributes).toEqual(p);
    }
  });

  it('defaults to 10 profiles and the first prospect fields', async () => {
    const res = await api.as(marketer).post('/v1/audiences/sample', { rule: 'consumer.age > 0' }).expect(200);
    expect(res.body.items).toHaveLength(10);
    expect(res.body.fields.length).toBeGreaterThan(0);
    expect(res.body.fields.length).toBeLessThanOrEqual(20);
    expect(res.body.fields).not.toContain('_repo.createDate');
    for (const item of res.body.items) expect(Object.keys(item.attributes)).toEqual(res.body.fields);
  });

  it('refuses an unknown field, a limit over 50, and answers an empty sample', async () => {
    const unknown = expectProblem(await api.as(marketer).post('/v1/audiences/sample', { rule: 'consumer.age > 30', fields: ['consumer.shoeSize'] }), 422);
    expect(unknown.errors).toEqual([expect.objectContaining({ pointer: '/fields/0', rule: 'field' })]);
    const tooMany = expectProblem(await api.as(marketer).post('/v1/audiences/sample', { rule: 'consumer.age > 30', limit: 51 }), 400);
    expect(tooMany.errors[0].pointer).toBe('/limit');
    expect((await api.as(marketer).post('/v1/audiences/sample', { rule: 'consumer.age > 500', fields: FIELDS }).expect(200)).body.items).toEqual([]);
  });
});

describe('breakdown of a rule', () => {
  it.each(RULES)('counts "$rule" by namespace', async ({ rule, judge }) => {
    const res = await api.as(marketer).post('/v1/audiences/breakdown', { rule }).expect(200);
    const expected = members(judge);
    expect(res.body.total).toBe(expected.length);
    const by = Object.fromEntries(res.body.byNamespace.map((x: { namespace: { code: string }; count: number }) => [x.namespace.code, x.count]));
    const mine: Record<string, number> = {};
    for (const m of expected) mine[m.ns] = (mine[m.ns] ?? 0) + 1;
    expect(by).toEqual(mine);
    expect(res.body.attribute).toBeUndefined();
  });

  it.each(RULES.flatMap((r) => [3, 10].map((top) => ({ ...r, top }))))('lists the top $top cities of "$rule" with other and nulls', async ({ rule, judge, top }) => {
    const res = await api.as(marketer).post('/v1/audiences/breakdown', { rule, field: 'homeAddress.city', top }).expect(200);
    const expected = topValues(members(judge).map((m) => m.p['homeAddress.city']), top);
    expect(res.body.attribute).toEqual({
      field: 'homeAddress.city',
      kind: 'string',
      type: 'values',
      nulls: expected.nulls,
      values: expected.shown.map(([value, count]) => ({ value, count })),
      other: expected.other,
      distinct: expected.distinct,
    });
    if (top === 3 && !rule.includes('Seoul')) expect(expected.other).toBeGreaterThan(0); // "other" is really exercised
    expect(res.body.attribute.nulls + res.body.attribute.other + res.body.attribute.values.reduce((s: number, v: { count: number }) => s + v.count, 0)).toBe(res.body.total);
  });

  it('breaks booleans down by value', async () => {
    const { rule, judge } = RULES[0];
    const res = await api.as(marketer).post('/v1/audiences/breakdown', { rule, field: 'consumer.carOwner' }).expect(200);
    const expected = topValues(members(judge).map((m) => m.p['consumer.carOwner']), 10);
    expect(res.body.attribute.values).toEqual(expected.shown.map(([value, count]) => ({ value: value === 'true', count })));
    expect(res.body.attribute.nulls).toBe(expected.nulls);
    expect(res.body.attribute.other).toBe(0);
  });

  it.each([
    { field: 'consumer.age', bins: 5 },
    { field: 'consumer.age', bins: 50 },
    { field: 'consumer.income', bins: 4 },
    { field: 'consumer.income', bins: 1 },
    { field: 'consumer.lastPurchaseDate', bins: 6 },
  ])('draws $field in $bins equal-width bins with min, max and nulls', async ({ field, bins }) => {
    const { rule, judge } = WIDE;
    const res = await api.as(marketer).post('/v1/audiences/breakdown', { rule, field, bins }).expect(200);
    const values = members(judge).map((m) => m.p[field]);
    const present = values.filter((v): v is number | string => v !== null);
    const isDate = field === 'consumer.lastPurchaseDate';
    const key = (v: number | string) => (isDate ? Date.parse(`${v}T00:00:00Z`) / 86_400_000 : (v as number));
    const day = (d: number) => new Date(d * 86_400_000).toISOString().slice(0, 10);
    const keys = present.map(key);
    const lo = Math.min(...keys);
    const hi = Math.max(...keys);
    const discrete = field !== 'consumer.income';
    // Independent bins: integers and dates in whole units (inclusive edges), numbers real-valued.
    const w = discrete ? Math.max(1, Math.ceil((hi - lo + 1) / bins)) : hi > lo ? (hi - lo) / bins : 1;
    const n = discrete ? Math.floor((hi - lo) / w) + 1 : hi > lo ? bins : 1;
    const counts = Array.from({ length: n }, () => 0);
    for (const k of keys) counts[discrete ? Math.floor((k - lo) / w) : Math.min(Math.floor((k - lo) / w), bins - 1)] += 1;
    const a = res.body.attribute;
    expect({ type: a.type, nulls: a.nulls, min: a.min, max: a.max, binWidth: a.binWidth }).toEqual({
      type: 'histogram',
      nulls: values.length - present.length,
      min: isDate ? day(lo) : lo,
      max: isDate ? day(hi) : hi,
      binWidth: w,
    });
    expect(a.bins.map((b: { count: number }) => b.count)).toEqual(counts);
    expect(a.bins.length).toBeLessThanOrEqual(bins);
    // Edges: the first bin starts at min, the last ends at or past max, each value inside its bin.
    expect(a.bins[0].from).toBe(isDate ? day(lo) : lo);
    const edge = (v: number | string) => (isDate ? key(v as string) : (v as number));
    expect(edge(a.bins[a.bins.length - 1].to)).toBeGreaterThanOrEqual(hi);
    a.bins.forEach((b: { from: number | string; to: number | string }, i: number) => {
      expect(edge(b.from)).toBeCloseTo(lo + i * w, 6);
      if (discrete) expect(edge(b.to)).toBe(edge(b.from) + w - 1);
    });
    expect(a.nulls + counts.reduce((s, c) => s + c, 0)).toBe(res.body.total);
    expect(a.nulls).toBeGreaterThan(0);
  });

  it('refuses an unknown field, a list field, and too many values or bins', async () => {
    const as = api.as(marketer);
    const unknown = expectProblem(await as.post('/v1/audiences/breakdown', { rule: 'consumer.age > 30', field: 'consumer.shoeSize' }), 422);
    expect(unknown.errors).toEqual([expect.objectContaining({ pointer: '/field', rule: 'field' })]);
    const list = expectProblem(await as.post('/v1/audiences/breakdown', { rule: 'consumer.age > 30', field: 'consumer.interests' }), 422);
    expect(list.errors).toEqual([expect.objectContaining({ pointer: '/field', rule: 'breakable' })]);
    expect(expectProblem(await as.post('/v1/audiences/breakdown', { rule: 'consumer.age > 30', field: 'homeAddress.city', top: 51 }), 400).errors[0].pointer).toBe('/top');
    expect(expectProblem(await as.post('/v1/audiences/breakdown', { rule: 'consumer.age > 30', field: 'consumer.age', bins: 0 }), 400).errors[0].pointer).toBe('/bins');
    expect(expectProblem(await as.post('/v1/audiences/breakdown', { rule: 'consumer.age >', field: 'consumer.age' }), 422).errors[0].pointer).toMatch(/^\/rule/);
  });
});

describe('saved audiences', () => {
  let over30: string;
  let seoul: string;
  let noAge: string;

  beforeAll(async () => {
    over30 = await evaluated('Over 30', RULES[0].rule);
    seoul = await evaluated('Seoul over 25', RULES[1].rule);
    noAge = await evaluated('No age', RULES[2].rule);
  }, 60_000);

  it("breaks the latest evaluation down like the rule's breakdown", async () => {
    const saved = (await api.as(marketer).post(`/v1/audiences/${over30}/breakdown`, { field: 'homeAddress.city', top: 3 }).expect(200)).body;
    const live = (await api.as(marketer).post('/v1/audiences/breakdown', { rule: RULES[0].rule, field: 'homeAddress.city', top: 3 }).expect(200)).body;
    expect(saved.evaluationId).toEqual(expect.any(String));
    expect({ ...saved, evaluationId: undefined }).toEqual({ ...live, evaluationId: undefined });
    const ages = (await api.as(marketer).post(`/v1/audiences/${noAge}/breakdown`, { field: 'consumer.age' }).expect(200)).body;
    expect(ages.attribute).toMatchObject({ nulls: members(RULES[2].judge).length, bins: [], min: null, max: null });
    const plain = (await api.as(marketer).post(`/v1/audiences/${seoul}/breakdown`, {}).expect(200)).body;
    expect(plain.total).toBe(members(RULES[1].judge).length);
  });

  it("samples the snapshot's members with their attributes", async () => {
    const res = (await api.as(marketer).post(`/v1/audiences/${seoul}/sample`, { fields: FIELDS, limit: 50 }).expect(200)).body;
    const expected = members(RULES[1].judge);
    expect(res.items.map((i: { namespace: { code: string }; identity: string }) => `${i.namespace.code}:${i.identity}`).sort()).toEqual(expected.map((m) => `${m.ns}:${m.id}`).sort());
    for (const item of res.items) expect(item.attributes).toEqual(merged[item.namespace.code][item.identity]);
  });

  it.each([{ picks: [0, 1] }, { picks: [0, 2] }, { picks: [1, 2] }, { picks: [0, 1, 2] }])('sizes every region of audiences $picks', async ({ picks }) => {
    const ids = [over30, seoul, noAge];
    const chosen = picks.map((i) => ids[i]);
    const res = (await api.as(marketer).post('/v1/audiences/overlap', { audienceIds: chosen }).expect(200)).body;
    const sets = picks.map((i) => new Set(members(RULES[i].judge).map((m) => `${m.ns}:${m.id}`)));
    const all = new Set(sets.flatMap((s) => [...s]));
    expect(res.regions).toHaveLength(2 ** picks.length - 1);
    expect(res.regions.filter((r: { count: number }) => r.count > 0).length).toBeGreaterThan(1);
    for (const region of res.regions) {
      const inIdx = region.in.map((id: string) => chosen.indexOf(id));
      const expected = [...all].filter((k) => sets.every((s, j) => s.has(k) === inIdx.includes(j))).length;
      expect({ region: region.in, count: region.count }).toEqual({ region: region.in, count: expected });
    }
    expect(res.union).toBe(all.size);
    expect(res.regions.reduce((s: number, r: { count: number }) => s + r.count, 0)).toBe(all.size);
    expect(res.audiences.map((a: { size: number }) => a.size)).toEqual(sets.map((s) => s.size));
  });

  it('refuses 1 or 4 audiences, a repeated one, an unevaluated one and an unknown one', async () => {
    const as = api.as(marketer);
    expect(expectProblem(await as.post('/v1/audiences/overlap', { audienceIds: [over30] }), 400).errors[0].pointer).toBe('/audienceIds');
    expect(expectProblem(await as.post('/v1/audiences/overlap', { audienceIds: [over30, seoul, noAge, over30] }), 400).errors[0].pointer).toBe('/audienceIds');
    expect(expectProblem(await as.post('/v1/audiences/overlap', { audienceIds: [over30, over30] }), 422).errors).toEqual([expect.objectContaining({ pointer: '/audienceIds/1', rule: 'unique' })]);
    const draft = (await as.post('/v1/audiences', { name: 'Never evaluated', rule: 'consumer.age > 60' }).expect(201)).body.id;
    const refused = expectProblem(await as.post('/v1/audiences/overlap', { audienceIds: [over30, draft] }), 409);
    expect(refused.errors).toEqual([expect.objectContaining({ pointer: '/audienceIds/1', rule: 'evaluated' })]);
    expect(refused.detail).toMatch(/evaluate it first/);
    expect(expectProblem(await as.post(`/v1/audiences/${draft}/breakdown`, { field: 'consumer.age' }), 409).errors[0].rule).toBe('evaluated');
    expect(expectProblem(await as.post(`/v1/audiences/${draft}/sample`, {}), 409).errors[0].rule).toBe('evaluated');
    expectProblem(await as.post('/v1/audiences/overlap', { audienceIds: [over30, 'aud_nope'] }), 404);
  });

  it("answers 404 for another account's audiences", async () => {
    const other = await api.otherAccount();
    const as = api.as(other.adminToken);
    expectProblem(await as.post('/v1/audiences/overlap', { audienceIds: [over30, seoul] }), 404);
    expectProblem(await as.post(`/v1/audiences/${over30}/breakdown`, {}), 404);
    expectProblem(await as.post(`/v1/audiences/${over30}/sample`, {}), 404);
  });
});

it('keeps the namespaces apart', () => {
  // The same identities in two namespaces are two profiles each (the seeds above rely on it).
  expect(Object.keys(merged[nsA.code]).length).toBe(50);
  expect(Object.keys(merged[nsB.code]).length).toBe(15);
});
