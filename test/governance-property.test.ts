/**
 * Property test of governance (issue 16 §5). For random labels on fields and datasets, random
 * core and custom policies (status, marketing actions, AND/OR deny trees), random audiences over
 * fields of several datasets of one namespace, random mapped attributes and a destination with its
 * marketing actions, the dry-run verdict must be exactly what an independent model
 * (helpers/governance-model.ts, no import from src/) says: refused naming exactly the policies whose
 * deny tree holds over the labels in play, with lineage to every place each named label sits;
 * otherwise allowed. Every 50th case also saves the activation (422 / 201) to check that saving
 * agrees with the dry-run.
 *
 * Reproducible: a fixed seed (FC_SEED overrides it, FC_RUNS the number of cases), printed first.
 */
import fc from 'fast-check';
import { startTestApi, TestApi } from './helpers/harness';
import {
  Deny,
  expectedViolations,
  KIND_ACTIONS,
  LabelState,
  leavesOf,
  lineageKey,
  ModelAudience,
  ModelDataset,
  ModelPolicy,
  Rule,
  ruleText,
  sourcesInPlay,
} from './helpers/governance-model';

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 160516;
const RUNS = process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : 500;
const SAVE_EVERY = 50;

/** Labels the cases apply (core, implied-capable C4, and two custom ones differing only by case). */
const APPLY = ['C1', 'C2', 'C4', 'C5', 'C9', 'C12', 'I1', 'S1', 'THIRD_PARTY', 'Gold', 'GOLD'];
/** Labels deny trees name: also C6 and C7, present only through C4. */
const DENY_LABELS = [...APPLY, 'C6', 'C7'];
const CUSTOM_ACTION = 'partnerShare';
const ACTIONS = ['exportToThirdParty', 'crossSiteTargeting', 'emailTargeting', 'dataScience', 'segmentMatch', 'analytics', CUSTOM_ACTION];

const TEXT_FIELDS = ['person.name.firstName', 'consumer.occupation', 'homeAddress.city', 'homeAddress.region', 'personalEmail.address', 'mobilePhone.number'];
const NUMBER_FIELDS = ['consumer.age', 'consumer.householdSize'];
const MAP_FIELDS = [...TEXT_FIELDS, ...NUMBER_FIELDS, 'consumer.income', 'homeAddress.postalCode', 'person.name.lastName', 'consumer.maritalStatus'];

/** Core policies as documented (deny and actions fixed; only status changes). */
const TARGETING = ['crossSiteTargeting', 'emailTargeting', 'onsiteAdvertising', 'onsitePersonalization', 'singleIdentityPersonalization', 'segmentMatch'];
const CORE: Record<string, { deny: Deny; marketingActions: string[] }> = {
  C2_EXPORT_TO_THIRD_PARTY: { deny: { label: 'C2' }, marketingActions: ['exportToThirdParty'] },
  C4_TARGETING: { deny: { label: 'C4' }, marketingActions: TARGETING },
  C12_ANY_EXPORT: { deny: { label: 'C12' }, marketingActions: ['exportToThirdParty', 'segmentMatch'] },
  THIRD_PARTY_EMAIL_DATA_SCIENCE: { deny: { label: 'THIRD_PARTY' }, marketingActions: ['emailTargeting', 'dataScience'] },
};
const CUSTOM_POLICIES = 4;

/** name → field groups; D is a prospect dataset that is not profile-enabled (its labels never count). */
const DATASETS: { key: string; groups: string[]; profile: boolean }[] = [
  { key: 'A', groups: ['fg:person-details', 'fg:consumer-demographics'], profile: true },
  { key: 'B', groups: ['fg:home-address', 'fg:personal-contact'], profile: true },
  { key: 'C', groups: ['fg:consumer-demographics', 'fg:home-address'], profile: true },
  { key: 'D', groups: ['fg:home-address', 'fg:consumer-demographics', 'fg:personal-contact'], profile: false },
];

interface DestinationModel {
  id: string;
  name: string;
  kind: 's3' | 'liveramp';
  actions: string[];
}

let api: TestApi;
let admin: string;
let namespaceCode: string;
const datasets: ModelDataset[] = [];
/** schema id → the addresses a label application may use: leaves, object paths and "*" */
const addresses = new Map<string, string[]>();
const destinations: DestinationModel[] = [];
/** Policies as the service holds them now (the model's view, updated after each successful write). */
const policies: (ModelPolicy & { core: boolean })[] = [];
const labels: LabelState = { fields: new Map(), datasets: new Map() };
let caseNo = 0;
let saved = 0;
let refusedCases = 0;

function fail(message: string, details: unknown): never {
  throw new Error(`${message}\n${JSON.stringify(details, null, 1)}`);
}

async function ok(res: Promise<{ status: number; body: any }> | { status: number; body: any }, what: string): Promise<any> {
  const r = await res;
  if (r.status >= 300) fail(`${what} answered ${r.status}`, r.body);
  return r.body;
}

beforeAll(async () => {
  api = await startTestApi();
  admin = api.adminToken;
  const as = api.as(admin);
  namespaceCode = 'vendorGov';
  await ok(as.post('/v1/namespaces', { name: 'Governed vendor partner id', code: namespaceCode, type: 'partner_id' }), 'namespace');
  for (const spec of DATASETS) {
    const schema = await ok(
      as.post('/v1/schemas', {
        title: `Governed ${spec.key}`,
        classId: 'xdm:individual-prospect-profile',
        fieldGroupIds: spec.groups,
        identities: [{ fieldPath: 'partnerID', namespace: namespaceCode, primary: true }],
      }),
      'schema',
    );
    await ok(as.post(`/v1/schemas/${schema.id}/enable-profile`, {}), 'schema profile');
    const ds = await ok(as.post('/v1/datasets', { name: `Governed ${spec.key}`, schemaId: schema.id }), 'dataset');
    if (spec.profile) await ok(as.post(`/v1/datasets/${ds.id}/enable-profile`, {}), 'dataset profile');
    const leaves: string[] = (await ok(as.get(`/v1/schemas/${schema.id}/labels`), 'leaves')).fields.map((f: { path: string }) => f.path);
    for (const f of [...TEXT_FIELDS, ...NUMBER_FIELDS]) {
      if (spec.groups.some((g) => (f.startsWith('person.') && g === 'fg:person-details') || (f.startsWith('consumer.') && g === 'fg:consumer-demographics') || (f.startsWith('homeAddress.') && g === 'fg:home-address') || ((f.startsWith('personalEmail.') || f.startsWith('mobilePhone.')) && g === 'fg:personal-contact'))) {
        expect(leaves).toContain(f);
      }
    }
    const objects = new Set<string>();
    for (const l of leaves) {
      const parts = l.split('.');
      for (let i = 1; i < parts.length; i++) objects.add(parts.slice(0, i).join('.'));
    }
    // Leaves the cases care about, every object path, and "*".
    addresses.set(schema.id, [...leaves.filter((l) => MAP_FIELDS.includes(l) || l === 'partnerID'), ...objects]);
    datasets.push({ id: ds.id, schemaId: schema.id, profileEnabled: spec.profile, leaves });
    labels.fields.set(schema.id, new Map());
    labels.datasets.set(ds.id, new Set());
    // A few rows, so the dry-run counts something.
    const header = ['partnerID', ...leaves.filter((l) => ['consumer.age', 'homeAddress.city', 'person.name.firstName', 'personalEmail.address'].includes(l))];
    const rows = [1, 2, 3].map((i) => header.map((h) => (h === 'partnerID' ? `G${spec.key}${i}` : h === 'consumer.age' ? String(25 + i * 10) : h === 'homeAddress.city' ? (i % 2 ? 'Seoul' : 'Busan') : h === 'personalEmail.address' ? `g${i}@example.com` : `N${i}`)).join(','));
    const loaded = await api.as(admin).post(`/v1/datasets/${ds.id}/data?format=csv`).set('Content-Type', 'text/csv').send([header.join(','), ...rows].join('\n') + '\n');
    if (loaded.status !== 201) fail('load', loaded.body);
  }

  await ok(as.post('/v1/labels', { code: 'Gold', friendlyName: 'Gold vendor terms' }), 'label Gold');
  await ok(as.post('/v1/labels', { code: 'GOLD', friendlyName: 'GOLD (another label: codes are case-sensitive)' }), 'label GOLD');
  await ok(as.post('/v1/marketing-actions', { name: CUSTOM_ACTION, description: 'Sharing with a partner' }), 'action');

  const s3 = { region: 'us-east-1', bucket: 'exports', endpoint: 'http://127.0.0.1:9' };
  const s3Keys = { accessKeyId: 'a', secretAccessKey: 'b' };
  const lr = { host: '127.0.0.1', port: 9, username: 'u', org: 'ACME', instanceId: 'INST01' };
  const specs: { name: string; kind: 's3' | 'liveramp'; extra?: string[] }[] = [
    { name: 'S3 plain', kind: 's3' },
    { name: 'S3 email', kind: 's3', extra: ['emailTargeting'] },
    { name: 'S3 partner', kind: 's3', extra: [CUSTOM_ACTION, 'dataScience'] },
    { name: 'LiveRamp plain', kind: 'liveramp' },
    { name: 'LiveRamp match', kind: 'liveramp', extra: ['segmentMatch'] },
  ];
  for (const d of specs) {
    const body = {
      name: d.name,
      kind: d.kind,
      settings: d.kind === 's3' ? { ...s3, prefix: `${d.name.replace(/\W/g, '')}/` } : lr,
      credentials: d.kind === 's3' ? s3Keys : { password: 'p' },
      ...(d.extra ? { marketingActions: d.extra } : {}),
    };
    const created = await ok(as.post('/v1/destinations', body), 'destination');
    const actions = [...new Set([...KIND_ACTIONS[d.kind], ...(d.extra ?? [])])].sort();
    expect([...created.marketingActions].sort()).toEqual(actions);
    destinations.push({ id: created.id, name: d.name, kind: d.kind, actions });
  }

  const core = (await ok(as.get('/v1/policies?core=true&limit=100'), 'core policies')).items;
  expect(core.map((p: any) => p.coreKey).sort()).toEqual(Object.keys(CORE).sort());
  for (const p of core) {
    expect({ deny: p.deny, actions: [...p.marketingActions].sort() }).toEqual({ deny: CORE[p.coreKey].deny, actions: [...CORE[p.coreKey].marketingActions].sort() });
    policies.push({ id: p.id, status: p.status, marketingActions: CORE[p.coreKey].marketingActions, deny: CORE[p.coreKey].deny, core: true });
  }
  for (let i = 0; i < CUSTOM_POLICIES; i++) {
    const p = await ok(as.post('/v1/policies', { name: `Property policy ${i}`, status: 'DRAFT', marketingActions: ['analytics'], deny: { label: 'C1' } }), 'policy');
    policies.push({ id: p.id, status: 'DRAFT', marketingActions: ['analytics'], deny: { label: 'C1' }, core: false });
  }
  console.log(`governance property test: seed=${SEED} runs=${RUNS} (FC_SEED / FC_RUNS override)`);
}, 120_000);

afterAll(async () => {
  await api?.close();
});

/** Where a label application points: "*" (every field) or 1–n dot paths (leaves or objects). */
type Where = '*' | string[];
const whereOf = (schemaId: string, max: number): fc.Arbitrary<Where> =>
  fc.oneof({ weight: 1, arbitrary: fc.constant('*' as const) }, { weight: 8, arbitrary: fc.uniqueArray(fc.constantFrom(...addresses.get(schemaId)!), { minLength: 1, maxLength: max }) });
const pathsOf = (where: Where): string[] => (where === '*' ? ['*'] : where);

// ---- arbitraries ---------------------------------------------------------------------------------

const leafDeny: fc.Arbitrary<Deny> = fc.constantFrom(...DENY_LABELS).map((label) => ({ label }));
function denyAt(depth: number): fc.Arbitrary<Deny> {
  if (depth === 0) return leafDeny;
  return fc.oneof(
    { weight: 2, arbitrary: leafDeny },
    {
      weight: 2,
      arbitrary: fc.record({ operator: fc.constantFrom('AND' as const, 'OR' as const), operands: fc.array(denyAt(depth - 1), { minLength: 1, maxLength: 3 }) }),
    },
  );
}

const atom: fc.Arbitrary<Rule> = fc.oneof(
  fc.record({ kind: fc.constant('eq' as const), field: fc.constantFrom(...TEXT_FIELDS), value: fc.constantFrom('Seoul', 'Busan', 'N1') }),
  fc.record({ kind: fc.constant('gt' as const), field: fc.constantFrom(...NUMBER_FIELDS), value: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ kind: fc.constant('isNull' as const), field: fc.constantFrom(...TEXT_FIELDS, ...NUMBER_FIELDS) }),
  fc.record({ kind: fc.constant('isNotNull' as const), field: fc.constantFrom(...TEXT_FIELDS, ...NUMBER_FIELDS) }),
);
function ruleAt(depth: number): fc.Arbitrary<Rule> {
  if (depth === 0) return atom;
  return fc.oneof(
    { weight: 3, arbitrary: atom },
    { weight: 1, arbitrary: ruleAt(depth - 1).map((rule) => ({ kind: 'not' as const, rule })) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), rules: fc.array(ruleAt(depth - 1), { minLength: 2, maxLength: 3 }) }) },
  );
}

const labelSet = (max: number) => fc.subarray(APPLY, { minLength: 1, maxLength: max });
const fieldLabelsOf = (schemaId: string) =>
  fc.record({
    add: fc.array(fc.record({ labels: labelSet(2), fields: whereOf(schemaId, 3) }), { maxLength: 2 }),
    remove: fc.option(fc.record({ labels: labelSet(2), fields: whereOf(schemaId, 2) }), { freq: 3 }),
  });

interface Case {
  fieldLabels: { add: { labels: string[]; fields: Where }[]; remove: { labels: string[]; fields: Where } | null }[];
  datasetLabels: string[][];
  coreStatus: ('ENABLED' | 'DISABLED')[];
  custom: { status: 'ENABLED' | 'DISABLED' | 'DRAFT'; marketingActions: string[]; deny: Deny }[];
  rules: Rule[];
  destination: number;
  mapped: string[];
}

function caseArbitrary(): fc.Arbitrary<Case> {
  return fc
    .record({
      fieldLabels: fc.tuple(...datasets.map((d) => fieldLabelsOf(d.schemaId))),
      datasetLabels: fc.tuple(...datasets.map(() => fc.oneof({ weight: 3, arbitrary: fc.constant([] as string[]) }, { weight: 1, arbitrary: labelSet(2) }))),
      coreStatus: fc.tuple(...policies.filter((p) => p.core).map(() => fc.constantFrom('ENABLED' as const, 'DISABLED' as const))),
      custom: fc.tuple(
        ...policies
          .filter((p) => !p.core)
          .map(() =>
            fc.record({
              status: fc.constantFrom('ENABLED' as const, 'ENABLED' as const, 'DISABLED' as const, 'DRAFT' as const),
              marketingActions: fc.subarray(ACTIONS, { minLength: 1, maxLength: 3 }),
              deny: denyAt(3),
            }),
          ),
      ),
      rules: fc.array(ruleAt(2), { minLength: 1, maxLength: 2 }),
      destination: fc.integer({ min: 0, max: destinations.length - 1 }),
      mapped: fc.uniqueArray(fc.constantFrom(...MAP_FIELDS), { maxLength: 3 }),
    })
    .map((c) => ({ ...c, mapped: destinations[c.destination].kind === 'liveramp' ? [] : c.mapped }));
}

// ---- applying a case -----------------------------------------------------------------------------

/** Each schema's and dataset's labels are independent of the others': they are written side by side. */
async function applyLabels(c: Case): Promise<void> {
  const as = api.as(admin);
  await Promise.all(datasets.map(async (d, i) => {
    const wanted = new Set(c.datasetLabels[i]);
    const have = labels.datasets.get(d.id)!;
    const datasetWrite = wanted.size !== have.size || [...wanted].some((l) => !have.has(l))
      ? ok(as.put(`/v1/datasets/${d.id}/labels`, { labels: [...wanted] }), 'dataset labels').then(() => labels.datasets.set(d.id, wanted))
      : undefined;
    const current = labels.fields.get(d.schemaId)!;
    const spec = c.fieldLabels[i];
    if (current.size > 0) {
      await ok(as.delete(`/v1/schemas/${d.schemaId}/labels`, { labels: APPLY, fields: '*' }), 'reset field labels');
      current.clear();
    }
    for (const a of spec.add) {
      await ok(as.post(`/v1/schemas/${d.schemaId}/labels`, a), 'add field labels');
      for (const f of pathsOf(a.fields)) {
        for (const leaf of leavesOf(d.leaves, f)) {
          const set = current.get(leaf) ?? new Set<string>();
          for (const l of a.labels) set.add(l);
          current.set(leaf, set);
        }
      }
    }
    if (spec.remove && current.size > 0) {
      await ok(as.delete(`/v1/schemas/${d.schemaId}/labels`, spec.remove), 'remove field labels');
      for (const f of pathsOf(spec.remove.fields)) {
        for (const leaf of leavesOf(d.leaves, f)) {
          const set = current.get(leaf);
          if (!set) continue;
          for (const l of spec.remove.labels) set.delete(l);
          if (set.size === 0) current.delete(leaf);
        }
      }
    }
    await datasetWrite;
  }));
}

async function applyPolicies(c: Case): Promise<void> {
  const as = api.as(admin);
  const core = policies.filter((p) => p.core);
  const custom = policies.filter((p) => !p.core);
  const writes = core.map(async (p, i) => {
    if (p.status === c.coreStatus[i]) return;
    await ok(as.patch(`/v1/policies/${p.id}`, { status: c.coreStatus[i] }), 'core policy status');
    p.status = c.coreStatus[i];
  });
  writes.push(...custom.map(async (p, i) => {
    const want = c.custom[i];
    const patch: Record<string, unknown> = {};
    if (p.status !== want.status) patch.status = want.status;
    if (JSON.stringify([...p.marketingActions].sort()) !== JSON.stringify([...want.marketingActions].sort())) patch.marketingActions = want.marketingActions;
    if (JSON.stringify(p.deny) !== JSON.stringify(want.deny)) patch.deny = want.deny;
    if (Object.keys(patch).length === 0) return;
    await ok(as.patch(`/v1/policies/${p.id}`, patch), 'custom policy');
    Object.assign(p, { status: want.status, marketingActions: want.marketingActions, deny: want.deny });
  }));
  await Promise.all(writes);
}

/** One audience per rule text, made when a case first needs it. */
const audienceIds = new Map<string, Promise<string>>();
let audienceNo = 0;
function audienceFor(rule: Rule): Promise<string> {
  const text = ruleText(rule);
  let id = audienceIds.get(text);
  if (!id) {
    id = ok(api.as(admin).post('/v1/audiences', { name: `Property audience ${++audienceNo}`, rule: text }), `audience ${text}`).then((a) => a.id as string);
    // A failed creation is not remembered: the next case asks again.
    id.catch(() => audienceIds.delete(text));
    audienceIds.set(text, id);
  }
  return id;
}

/** The model's labels against what the service stores (tells a labelling disagreement from a verdict one). */
async function checkStoredLabels(): Promise<void> {
  for (const d of datasets) {
    const stored = (await ok(api.as(admin).get(`/v1/schemas/${d.schemaId}/labels`), 'field labels')).fields as { path: string; labels: string[] }[];
    const model = labels.fields.get(d.schemaId)!;
    for (const f of stored) {
      const want = [...(model.get(f.path) ?? [])].sort();
      if (JSON.stringify([...f.labels].sort()) !== JSON.stringify(want)) fail(`field labels of ${d.schemaId} ${f.path} differ from the model`, { stored: f.labels, model: want });
    }
  }
}

// ---- the property --------------------------------------------------------------------------------

type Entry = { label: string; impliedBy?: string; dataset: { id: string } | null; field: string | null; audience: { id: string } | null };
const entryKey = (e: Entry) => lineageKey({ label: e.label, impliedBy: e.impliedBy, datasetId: e.dataset?.id ?? '-', field: e.field, audienceId: e.audience?.id ?? '-' });
const sorted = (xs: Iterable<string>) => [...xs].sort();

const timing: Record<string, number> = {};
async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t = Date.now();
  try {
    return await f();
  } finally {
    timing[what] = (timing[what] ?? 0) + Date.now() - t;
  }
}

async function check(c: Case): Promise<void> {
  caseNo++;
  // Labels, policies and audiences do not depend on each other: written side by side.
  const [ids] = await timed('setup', () => Promise.all([Promise.all(c.rules.map(audienceFor)), applyLabels(c), applyPolicies(c)]));
  if (caseNo % 25 === 1) await checkStoredLabels();
  const audiences: ModelAudience[] = [];
  c.rules.forEach((rule, i) => {
    if (!audiences.some((a) => a.id === ids[i])) audiences.push({ id: ids[i], rule });
  });
  const destination = destinations[c.destination];
  const sources = sourcesInPlay(datasets, labels, audiences, c.mapped);
  const expected = expectedViolations(policies, destination.actions, sources);
  const body = {
    name: `Property case ${caseNo}`,
    destinationId: destination.id,
    audienceIds: audiences.map((a) => a.id),
    schedule: { type: 'after_evaluation' },
    enabled: false,
    mapping: { identity: { namespace: namespaceCode, column: 'pid' }, attributes: c.mapped.map((field, i) => ({ field, column: `c${i}` })) },
  };
  const context = { case: caseNo, rules: c.rules.map(ruleText), destination: destination.name, mapped: c.mapped, sources, policies: policies.map((p) => ({ id: p.id, status: p.status, actions: p.marketingActions, deny: p.deny })) };
  const dry = await timed('dry-run', async () => api.as(admin).post('/v1/activations/dry-run', body));
  if (dry.status !== 200) fail(`dry-run answered ${dry.status}`, { body: dry.body, context });
  const verdict = dry.body.verdict;
  const got = new Map<string, any>(verdict.violations.map((v: any) => [v.policy.id, v]));

  // Refusals name only policies the model says are violated, and the model's violations are all named.
  for (const v of verdict.violations) {
    if (!expected.some((e) => e.policyId === v.policy.id)) fail(`refused by policy ${v.policy.name}, whose deny expression the labels in play do not satisfy (or which is not enabled or not for these actions)`, { violation: v, context });
  }
  for (const e of expected) if (!got.has(e.policyId)) fail(`allowed although enabled policy ${e.policyId} is violated`, { expected: e, verdict, context });
  if (verdict.allowed !== (expected.length === 0)) fail('allowed does not match the violations', { verdict, context });
  expect(sorted(verdict.marketingActions)).toEqual(destination.actions);
  if (JSON.stringify(sorted(verdict.labels)) !== JSON.stringify(sorted(new Set(sources.map((s) => s.label))))) {
    fail('the labels in play differ from the model', { service: verdict.labels, model: sorted(new Set(sources.map((s) => s.label))), context });
  }
  for (const e of expected) {
    const v = got.get(e.policyId);
    expect({ policy: e.policyId, actions: sorted(v.marketingActions), matched: v.matched, labels: sorted(v.labels) }).toEqual({ policy: e.policyId, actions: e.marketingActions, matched: e.matched, labels: e.labels });
    const lineage = new Set<string>((v.lineage as Entry[]).map(entryKey));
    const extra = [...lineage].filter((k) => !e.lineage.has(k));
    const missing = [...e.lineage].filter((k) => !lineage.has(k));
    if (extra.length || missing.length) fail(`lineage of policy ${v.policy.name} is wrong (label|impliedBy|dataset|field|audience)`, { extra, missing, lineage: v.lineage, context });
  }
  if (expected.length) refusedCases++;

  // Saving agrees with the dry-run.
  if (caseNo % SAVE_EVERY === 0) {
    saved++;
    const res = await api.as(admin).post('/v1/activations', body);
    if (expected.length) {
      if (res.status !== 422 || !String(res.body.type).includes('policy-violation')) fail(`saving a refused case answered ${res.status}`, { body: res.body, context });
      expect(sorted(res.body.violations.map((v: any) => v.policy.id))).toEqual(sorted(expected.map((e) => e.policyId)));
    } else {
      if (res.status !== 201) fail(`saving an allowed case answered ${res.status}`, { body: res.body, context });
      expect(res.body.verdict.allowed).toBe(true);
      await ok(api.as(admin).delete(`/v1/activations/${res.body.activation.id}`), 'delete activation');
    }
  }
}

it(`dry-run verdicts agree with an independent model of governance (${RUNS} cases)`, async () => {
  const started = Date.now();
  await fc.assert(fc.asyncProperty(caseArbitrary(), check), { seed: SEED, numRuns: RUNS });
  console.log(`governance property test: ${caseNo} cases (${refusedCases} refused, ${saved} also saved) in ${((Date.now() - started) / 1000).toFixed(1)} s, seed=${SEED}; ms per step ${JSON.stringify(timing)}`);
  // The cases must exercise both outcomes, or the property says little.
  expect(refusedCases).toBeGreaterThan(RUNS / 10);
  expect(caseNo - refusedCases).toBeGreaterThan(RUNS / 10);
}, 600_000);
