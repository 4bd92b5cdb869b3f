/**
 * Route × role × foreign account. Every registered route is called with a key of every role, and
 * every route that takes an id is called with another account's ids:
 * - a role outside the route's permission gets 403, a role inside never gets 401/403/5xx;
 * - a body field with a permission of its own (GUARDED_FIELDS) gets 403 for the other roles;
 * - another account's ids answer 404 and change nothing in that account.
 * A new route fails this test until its sample body and id kind are added below.
 */
import { ACCESS, type Permission, roleMay } from '../src/http/access';
import { ROLES, type Role } from '../src/core/types';
import type { RouteSpec } from '../src/http/route';
import { allRoutes } from '../src/services';
import { startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
let seq = 0;
const unique = (p: string) => `${p}${Date.now().toString(36)}${++seq}`;

/** Ids of one account's resources, keyed by the path segment that precedes the parameter. */
type Fixture = Record<string, string>;

async function makeFixture(token: string, accountId: string, tag: string): Promise<Fixture> {
  const as = api.as(token);
  const ns = await as.post('/v1/namespaces', { name: `Vendor ${tag}`, code: `vendor${tag}`, type: 'partner_id' }).expect(201);
  const fg = await as
    .post('/v1/field-groups', {
      title: `Loyalty ${tag}`,
      intendedToExtend: ['xdm:individual-prospect-profile'],
      definition: { [`loyalty${tag}`]: { type: 'object', properties: { points: { type: 'integer' } } } },
    })
    .expect(201);
  const schema = await as
    .post('/v1/schemas', {
      title: `Prospects ${tag}`,
      classId: 'xdm:individual-prospect-profile',
      fieldGroupIds: ['fg:home-address', fg.body.id],
      identities: [{ fieldPath: 'partnerID', namespace: `vendor${tag}`, primary: true }],
    })
    .expect(201);
  const ids = await as.get(`/v1/schemas/${schema.body.id}/identities`).expect(200);
  const label = await as.post('/v1/labels', { code: `ONLY_${tag}`, friendlyName: `Only ${tag}` }).expect(201);
  const action = await as.post('/v1/marketing-actions', { name: `action${tag}` }).expect(201);
  const policy = await as
    .post('/v1/policies', { name: `Policy ${tag}`, status: 'DRAFT', marketingActions: ['exportToThirdParty'], deny: { label: 'C2' } })
    .expect(201);
  const key = await as.post(`/v1/accounts/${accountId}/api-keys`, { role: 'marketer', name: `key ${tag}` }).expect(201);
  const items = (ids.body.items ?? ids.body) as { id: string }[];
  await as.post(`/v1/schemas/${schema.body.id}/enable-profile`, {}).expect(200);
  const dataset = await as.post('/v1/datasets', { name: `Dataset ${tag}`, schemaId: schema.body.id }).expect(201);
  const batch = await as.post(`/v1/datasets/${dataset.body.id}/batches`, { format: 'csv' }).expect(201);
  const connection = await as.post('/v1/connections', S3_CONNECTION()).expect(201);
  const flow = await as
    .post('/v1/dataflows', { name: `Flow ${tag}`, connectionId: connection.body.id, datasetId: dataset.body.id, folder: 'in/', format: { format: 'csv' }, schedule: { frequency: 'day' } })
    .expect(201);
  const run = await as.post(`/v1/dataflows/${flow.body.id}/runs`, {}).expect(202);
  await as.post(`/v1/datasets/${dataset.body.id}/enable-profile`, {}).expect(200);
  const audience = await as.post('/v1/audiences', { name: `Audience ${tag}`, rule: 'homeAddress.city = "Seoul"' }).expect(201);
  const evaluation = await as.post(`/v1/audiences/${audience.body.id}/evaluations`, {}).expect(202);
  const destination = await as.post('/v1/destinations', { ...S3_DESTINATION(), name: `Destination ${tag}` }).expect(201);
  const activation = await as
    .post('/v1/activations', { name: `Activation ${tag}`, destinationId: destination.body.id, audienceIds: [audience.body.id], schedule: { type: 'after_evaluation' }, enabled: false, mapping: { identity: { namespace: `vendor${tag}`, column: 'id' } } })
    .expect(201);
  // Disabled: the evaluation above cannot start a run of its own (one run at a time), so this one is ours.
  const activationRun = await as.post(`/v1/activations/${activation.body.activation.id}/runs`, {}).expect(202);
  // [fixture:customer-files]
  const csvUpload = (path: string, csv: string) => as.post(path).set('Content-Type', 'text/csv').send(csv).expect(201);
  const fileUpload = await csvUpload('/v1/targets/customer-files/uploads', 'adid\n3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d\n');
  const customerFile = await as.post('/v1/targets/customer-files', { uploadId: fileUpload.body.id, name: `Customers ${tag}` }).expect(201);
  const spareFileUpload = await csvUpload('/v1/targets/customer-files/uploads', 'adid\n3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5e\n');
  const talkChannel = await as.post('/v1/talk-channels', { name: `Channel ${tag}`, searchId: `@channel${tag}` }).expect(201);
  const groupUploadPath = `/v1/targets/friend-groups/uploads?channelId=${talkChannel.body.id}&type=PHONE_NUMBER`;
  const groupUpload = await csvUpload(groupUploadPath, 'phone_number\n010-1234-5678\n');
  const friendGroup = await as.post('/v1/targets/friend-groups', { uploadId: groupUpload.body.id, name: `Friends ${tag}` }).expect(201);
  const spareGroupUpload = await csvUpload(groupUploadPath, 'phone_number\n010-1234-5679\n');
  // [fixture:trackers]
  const trackerAdid = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
  const tracker = await as.post('/v1/trackers', { name: `Pixel ${tag}` }).expect(201);
  await as.post(`/v1/collect/${tracker.body.trackId}`, { event: 'purchase', adid: trackerAdid }).expect(202);
  const pixelTarget = await as.post('/v1/targets/pixel', { name: `Purchasers ${tag}`, trackId: tracker.body.trackId, event: 'purchase', days: 30 }).expect(201);
  const linkCode = await as.post('/v1/mat/link-codes', { name: `App ${tag}` }).expect(201);
  await as.post(`/v1/mat/postbacks/appsflyer/${linkCode.body.code}`, { event: 'install', adid: trackerAdid }).expect(202);
  const matLink = await as.post('/v1/targets/mat', { name: `Installers ${tag}`, linkCodeId: linkCode.body.id, vendor: 'appsflyer', event: 'install' }).expect(201);
  // [fixture:campaigns]
  const campaign = await as.post('/v1/campaigns', { name: `Display ${tag}`, type: 'DISPLAY' }).expect(201);
  const adGroup = await as.post('/v1/ad-groups', { campaignId: campaign.body.id, name: `Ad group ${tag}` }).expect(201);
  const campaignChannel = await as.post('/v1/talk-channels', { name: `Campaign channel ${tag}`, searchId: `@campaigns${tag}` }).expect(201);
  const messageCampaign = await as.post('/v1/campaigns', { name: `Message ${tag}`, type: 'MESSAGE', talkChannelId: campaignChannel.body.id }).expect(201);
  const messageGroup = await as.post('/v1/ad-groups', { campaignId: messageCampaign.body.id, name: `Message group ${tag}` }).expect(201);
  const message = await as.post('/v1/messages', { adGroupId: messageGroup.body.id, name: `Message ${tag}` }).expect(201);
  const adResponse = await as
    .post('/v1/targets/ad-response', { campaignType: 'DISPLAY', sources: [adGroup.body.id], combination: { type: 'ALL' }, collectionDays: 30 })
    .expect(201);
  // [fixture:lookalikes]
  // A lookalike needs a seed of at least 1,000 people: a talk channel with 1,000 friends.
  const seedChannel = await as.post('/v1/talk-channels', { name: `Seed channel ${tag}`, searchId: `@seed${tag}` }).expect(201);
  const seedFriends = Array.from({ length: 1000 }, (_, i) => ({ phoneNumber: `010-6${String(i).padStart(3, '0')}-1234` }));
  await as.post(`/v1/talk-channels/${seedChannel.body.id}/friends`, { friends: seedFriends }).expect(200);
  const lookalike = await as.post('/v1/targets/lookalikes', { seed: { type: 'KAKAO_USERS', id: seedChannel.body.id } }).expect(201);
  return {
    // [fixture-ids:customer-files]
    'customer-files': customerFile.body.id,
    // Customer file and friend group uploads share the `uploads` segment; the other kind's id answers 404.
    uploads: fileUpload.body.id,
    'customer-file-spare-upload': spareFileUpload.body.id,
    'talk-channels': talkChannel.body.id,
    'friend-groups': friendGroup.body.id,
    'friend-group-spare-upload': spareGroupUpload.body.id,
    // [fixture-ids:trackers]
    trackers: tracker.body.trackId,
    pixel: pixelTarget.body.id,
    'link-codes': linkCode.body.id,
    mat: matLink.body.id,
    'mat-vendor': 'appsflyer',
    'mat-code': linkCode.body.code,
    // The generic /v1/targets/:id routes (usage, refresh) take any kind's target id. (Remove if
    // another helper adds a `targets` key: one is enough.)
    targets: pixelTarget.body.id,
    // [fixture-ids:campaigns]
    campaigns: campaign.body.id,
    'ad-groups': adGroup.body.id,
    'message-ad-groups': messageGroup.body.id,
    messages: message.body.id,
    'ad-response': adResponse.body.id,
    // [fixture-ids:lookalikes]
    lookalikes: lookalike.body.id,
    'lookalike-seed': seedChannel.body.id,
    audiences: audience.body.id,
    evaluations: evaluation.body.id,
    destinations: destination.body.id,
    activations: activation.body.activation.id,
    'activation-runs': activationRun.body.id,
    connections: connection.body.id,
    dataflows: flow.body.id,
    runs: run.body.id,
    datasets: dataset.body.id,
    batches: batch.body.id,
    'profile-namespace': `vendor${tag}`,
    'profile-identity': 'someone',
    file: 'part.csv',
    accounts: accountId,
    'api-keys': key.body.key.id,
    namespaces: ns.body.id,
    'field-groups': fg.body.id,
    schemas: schema.body.id,
    identities: items[0].id,
    labels: label.body.code,
    'marketing-actions': action.body.name,
    policies: policy.body.id,
    classes: 'xdm:individual-prospect-profile',
  };
}

/** An S3 connection to a port nothing listens on: runs and tests fail fast, nothing leaves the machine. */
const S3_CONNECTION = () => ({
  name: unique('S3 '),
  kind: 's3',
  settings: { region: 'us-east-1', endpoint: 'http://127.0.0.1:9', bucket: 'bucket' },
  credentials: { accessKeyId: 'matrix', secretAccessKey: 'matrix-secret' },
  timeoutMs: 1000,
});

const S3_DESTINATION = () => {
  const { timeoutMs: _t, ...rest } = S3_CONNECTION();
  return { ...rest, name: unique('Destination ') };
};

/** Body fields that need a permission besides the route's (the service checks it). */
const GUARDED_FIELDS: { permission: Permission; field: string; method: 'post' | 'patch'; path: string; body: () => Record<string, unknown> }[] = [
  { permission: 'destinations.govern', field: '/marketingActions', method: 'post', path: '/v1/destinations', body: () => ({ ...S3_DESTINATION(), marketingActions: ['emailTargeting'] }) },
  { permission: 'destinations.govern', field: '/marketingActions', method: 'patch', path: '/v1/destinations/:id', body: () => ({ marketingActions: ['emailTargeting'] }) },
  { permission: 'destinations.govern', field: '/marketingActions', method: 'patch', path: '/v1/destinations/:id', body: () => ({ marketingActions: [] }) },
];

const ACTIVATION = (f: Fixture) => ({
  name: unique('Activation '),
  destinationId: f.destinations,
  audienceIds: [f.audiences],
  schedule: { type: 'after_evaluation' },
  mapping: { identity: { namespace: f['profile-namespace'], column: 'id' } },
});

/** A valid body for each route, so the checks reach the handler rather than stop at validation. */
function sampleBody(r: RouteSpec, f: Fixture): unknown {
  const key = `${r.method.toUpperCase()} ${r.path}`;
  const bodies: Record<string, () => unknown> = {
    'POST /v1/accounts': () => ({ name: unique('Brand ') }),
    'POST /v1/accounts/:accountId/api-keys': () => ({ role: 'marketer', name: 'matrix' }),
    'POST /v1/namespaces': () => ({ name: unique('Vendor '), code: unique('v'), type: 'partner_id' }),
    'PATCH /v1/namespaces/:id': () => ({ description: 'matrix' }),
    'POST /v1/namespaces/:id/normalize': () => ({ values: ['abc'] }),
    'POST /v1/field-groups': () => ({
      title: unique('Group '),
      intendedToExtend: ['xdm:individual-prospect-profile'],
      definition: { [unique('g')]: { type: 'string' } },
    }),
    'PATCH /v1/field-groups/:id': () => ({ description: 'matrix' }),
    'POST /v1/schemas': () => ({ title: unique('Schema '), classId: 'xdm:individual-prospect-profile', fieldGroupIds: ['fg:home-address'] }),
    'PATCH /v1/schemas/:id': () => ({ description: 'matrix' }),
    'POST /v1/schemas/:id/enable-profile': () => ({}),
    'POST /v1/schemas/:id/identities': () => ({ fieldPath: 'homeAddress.city', namespace: f.namespaces, primary: false }),
    'POST /v1/labels': () => ({ code: unique('L'), friendlyName: 'matrix' }),
    'PATCH /v1/labels/:code': () => ({ description: 'matrix' }),
    // C8 (no measurement): no core policy denies export for it, so later fixtures stay activatable.
    'POST /v1/schemas/:id/labels': () => ({ labels: ['C8'], fields: '*' }),
    'DELETE /v1/schemas/:id/labels': () => ({ labels: ['C8'], fields: '*' }),
    'POST /v1/marketing-actions': () => ({ name: unique('a') }),
    'PATCH /v1/marketing-actions/:name': () => ({ description: 'matrix' }),
    'POST /v1/policies/evaluate': () => ({ marketingActions: ['exportToThirdParty'], labels: ['C2'] }),
    'POST /v1/policies': () => ({ name: unique('Policy '), status: 'DRAFT', marketingActions: ['exportToThirdParty'], deny: { label: 'C2' } }),
    'PATCH /v1/policies/:id': () => ({ description: 'matrix' }),
    'POST /v1/datasets': () => ({ name: unique('Dataset '), schemaId: f.schemas }),
    'PATCH /v1/datasets/:id': () => ({ description: 'matrix' }),
    'POST /v1/datasets/:id/enable-profile': () => ({}),
    'PUT /v1/datasets/:id/labels': () => ({ labels: ['C8'] }),
    'POST /v1/datasets/:id/expiration': () => ({ expiresAt: new Date(Date.now() + 48 * 3600_000).toISOString() }),
    'POST /v1/datasets/:id/batches': () => ({ format: 'csv' }),
    'POST /v1/connections': S3_CONNECTION,
    'PATCH /v1/connections/:id': () => ({ name: unique('Renamed ') }),
    'POST /v1/connections/:id/test': () => ({ folder: 'in/' }),
    'POST /v1/connections/:id/preview': () => ({ path: 'in/prospects.csv' }),
    'POST /v1/dataflows': () => ({ name: unique('Flow '), connectionId: f.connections, datasetId: f.datasets, folder: 'in/', format: { format: 'csv' }, schedule: { frequency: 'day' } }),
    'PATCH /v1/dataflows/:id': () => ({ enabled: false }),
    'POST /v1/audiences': () => ({ name: unique('Audience '), rule: 'homeAddress.city = "Seoul"' }),
    'PATCH /v1/audiences/:id': () => ({ description: 'matrix' }),
    'POST /v1/audiences/estimate': () => ({ rule: 'homeAddress.city = "Seoul"' }),
    'POST /v1/audiences/sample': () => ({ rule: 'homeAddress.city = "Seoul"', fields: ['homeAddress.city'] }),
    'POST /v1/audiences/breakdown': () => ({ rule: 'homeAddress.city = "Seoul"', field: 'homeAddress.city' }),
    'POST /v1/audiences/overlap': () => ({ audienceIds: [f.audiences, f.audiences] }),
    'POST /v1/audiences/:id/sample': () => ({ limit: 5 }),
    'POST /v1/audiences/:id/breakdown': () => ({ field: 'homeAddress.city' }),
    'POST /v1/destinations': S3_DESTINATION,
    'PATCH /v1/destinations/:id': () => ({ name: unique('Renamed ') }),
    'POST /v1/activations': () => ACTIVATION(f),
    'POST /v1/activations/dry-run': () => ACTIVATION(f),
    'PATCH /v1/activations/:id': () => ({ enabled: false }),
    // [samples:customer-files]
    'POST /v1/targets/customer-files': () => ({ uploadId: f['customer-file-spare-upload'], name: unique('Customers ') }),
    'PATCH /v1/targets/customer-files/:id': () => ({ name: unique('Customers ') }),
    'POST /v1/talk-channels': () => ({ name: unique('Channel '), searchId: `@${unique('ch')}` }),
    'PATCH /v1/talk-channels/:id': () => ({ name: unique('Channel ') }),
    'POST /v1/talk-channels/:id/friends': () => ({ friends: [{ phoneNumber: '010-1234-5678' }] }),
    'POST /v1/talk-channels/:id/friends/remove': () => ({ friends: [{ phoneNumber: '010-1234-5678' }] }),
    'POST /v1/targets/friend-groups': () => ({ uploadId: f['friend-group-spare-upload'], name: unique('Friends ') }),
    'PATCH /v1/targets/friend-groups/:id': () => ({ name: unique('Friends ') }),
    // [samples:trackers]
    'POST /v1/trackers': () => ({ name: unique('Pixel ') }),
    'PATCH /v1/trackers/:trackId': () => ({ name: unique('Pixel ') }),
    'POST /v1/targets/pixel': () => ({ name: unique('Pixel target '), trackId: f.trackers, days: 30 }),
    'PATCH /v1/targets/pixel/:id': () => ({ days: 7 }),
    'POST /v1/mat/link-codes': () => ({ name: unique('Link code ') }),
    'PATCH /v1/mat/link-codes/:id': () => ({ name: unique('Link code ') }),
    'POST /v1/targets/mat': () => ({ name: unique('MAT link '), linkCodeId: f['link-codes'], vendor: 'appsflyer', event: 'install' }),
    'PATCH /v1/targets/mat/:id': () => ({ name: unique('MAT link ') }),
    // [samples:campaigns]
    'POST /v1/campaigns': () => ({ name: unique('Campaign '), type: 'DISPLAY' }),
    'PATCH /v1/campaigns/:id': () => ({ name: unique('Renamed ') }),
    'POST /v1/ad-groups': () => ({ campaignId: f.campaigns, name: unique('Ad group ') }),
    'PATCH /v1/ad-groups/:id': () => ({ name: unique('Renamed ') }),
    'PUT /v1/ad-groups/:id/targeting': () => ({ include: [], exclude: [] }),
    'POST /v1/ad-groups/:id/reach': () => ({}),
    'POST /v1/messages': () => ({ adGroupId: f['message-ad-groups'], name: unique('Message ') }),
    'PATCH /v1/messages/:id': () => ({ name: unique('Renamed ') }),
    'POST /v1/targets/ad-response': () => ({ campaignType: 'DISPLAY', sources: [f['ad-groups']], combination: { type: 'ONE', reaction: 'CLICK' }, collectionDays: 7 }),
    'PATCH /v1/targets/ad-response/:id': () => ({ name: unique('Renamed ') }),
    // [samples:lookalikes]
    'POST /v1/targets/lookalikes': () => ({ seed: { type: 'KAKAO_USERS', id: f['lookalike-seed'] } }),
    'PATCH /v1/targets/lookalikes/:id': () => ({ name: unique('Lookalike ') }),
  };
  if (r.rawBody) return `partnerID\n${unique('M')}\n`;
  if (!r.body) return undefined;
  const make = bodies[key];
  if (!make) throw new Error(`access matrix: add a sample body for ${key}`);
  return make();
}

/** Which fixture fills a path parameter: `:id` by the segment before it, others by name. */
const PARAM_KINDS: Record<string, string> = {
  accountId: 'accounts',
  keyId: 'api-keys',
  descriptorId: 'identities',
  code: 'labels',
  name: 'marketing-actions',
  namespace: 'profile-namespace',
  identity: 'profile-identity',
  fileName: 'file',
  runId: 'runs',
  'activations:runId': 'activation-runs',
  evaluationId: 'evaluations',
  // [params:customer-files]
  // [params:trackers]
  trackId: 'trackers',
  'mat:vendor': 'mat-vendor',
  'mat:code': 'mat-code',
  // [params:campaigns]
  // [params:lookalikes]
};
const QUERIES: Record<string, string> = { 'POST /v1/datasets/:id/data': '?format=csv' };

function fillPath(r: RouteSpec, f: Fixture): string {
  const segments = r.path.split('/');
  const filled = segments.map((seg, i) => {
    if (!seg.startsWith(':')) return seg;
    const param = seg.slice(1);
    const kind = param === 'id' ? segments[i - 1] : (PARAM_KINDS[`${segments[2]}:${param}`] ?? PARAM_KINDS[param]);
    const id = kind ? f[kind] : undefined;
    if (!id) throw new Error(`access matrix: add the "${param}" parameter of ${r.path} to the fixtures`);
    return encodeURIComponent(id);
  });
  return filled.join('/') + (QUERIES[`${r.method.toUpperCase()} ${r.path}`] ?? '');
}

function call(token: string, r: RouteSpec, path: string, body: unknown) {
  const client = api.as(token);
  if (r.rawBody) return client[r.method](path).set('Content-Type', 'text/csv').send(body as string);
  return client[r.method](path, body);
}

/** What account B looks like through its own admin key. */
async function snapshot(token: string, f: Fixture) {
  const as = api.as(token);
  const gets = [
    `/v1/namespaces/${f.namespaces}`,
    `/v1/field-groups/${f['field-groups']}`,
    `/v1/schemas/${f.schemas}`,
    `/v1/schemas/${f.schemas}/identities`,
    `/v1/schemas/${f.schemas}/labels`,
    `/v1/labels/${f.labels}`,
    `/v1/marketing-actions/${f['marketing-actions']}`,
    `/v1/policies/${f.policies}`,
    `/v1/accounts/${f.accounts}/api-keys`,
    `/v1/datasets/${f.datasets}`,
    `/v1/batches/${f.batches}`,
    `/v1/datasets/${f.datasets}/batches`,
    `/v1/connections/${f.connections}`,
    `/v1/dataflows/${f.dataflows}`,
    `/v1/audiences/${f.audiences}`,
    `/v1/destinations/${f.destinations}`,
    `/v1/activations/${f.activations}`,
    '/v1/namespaces',
    '/v1/schemas',
    '/v1/policies',
  ];
  const out: Record<string, unknown> = {};
  for (const g of gets) {
    const res = await as.get(g);
    out[g] = { status: res.status, body: res.body };
  }
  return out;
}

let routes: RouteSpec[];
let mine: Fixture;
let foreign: Fixture;
let foreignToken: string;
const keys = {} as Record<Role, string>;

beforeAll(async () => {
  api = await startTestApi();
  api.runtime.services.dataflows.configure({ retryBaseMs: 1, listAttempts: 1 });
  routes = allRoutes(api.runtime.services);
  const other = await api.otherAccount();
  foreignToken = other.adminToken;
  foreign = await makeFixture(other.adminToken, other.adAccountId, 'B');
  for (const role of ROLES) keys[role] = await api.keyFor(role);
  keys.admin = api.adminToken; // the organisation-wide admin: account-bound admins may not create accounts
}, 60_000);
afterAll(async () => api.close());

describe('access matrix', () => {
  it('covers every permission of the role table', () => {
    const used = new Set([...routes.map((r) => r.permission), ...GUARDED_FIELDS.map((g) => g.permission)]);
    expect([...Object.keys(ACCESS)].filter((p) => !used.has(p as never))).toEqual([]);
  });

  it('keeps the separation of duties the products rely on', async () => {
    const marketer = api.as(keys.marketer);
    const gov = api.as(keys.governance);
    const engineer = api.as(keys.data_engineer);
    // Marketers cannot edit labels or policies; governance cannot change the data model; engineers cannot write policies.
    expect((await marketer.post('/v1/labels', { code: unique('M'), friendlyName: 'x' })).status).toBe(403);
    expect((await marketer.post('/v1/policies', { name: unique('P'), marketingActions: ['analytics'], deny: { label: 'C1' } })).status).toBe(403);
    expect((await gov.post('/v1/namespaces', { name: unique('N'), code: unique('n'), type: 'partner_id' })).status).toBe(403);
    expect((await gov.post('/v1/schemas', { title: unique('S'), classId: 'xdm:individual-prospect-profile', fieldGroupIds: [] })).status).toBe(403);
    expect((await engineer.post('/v1/policies', { name: unique('P'), marketingActions: ['analytics'], deny: { label: 'C1' } })).status).toBe(403);
    expect((await engineer.get('/v1/audit-log')).status).toBe(403);
    // Engineers set destinations up; what their data may be used for is governance's call.
    const destination = await engineer.post('/v1/destinations', S3_DESTINATION()).expect(201);
    expect((await engineer.patch(`/v1/destinations/${destination.body.id}`, { marketingActions: [] })).status).toBe(403);
    expect((await engineer.patch(`/v1/destinations/${destination.body.id}`, { name: unique('Renamed ') })).status).toBe(200);
    expect((await gov.patch(`/v1/destinations/${destination.body.id}`, { marketingActions: ['emailTargeting'] })).status).toBe(200);
  });

  it('lets exactly the roles of a guarded field send it, and a refused request changes nothing', async () => {
    const admin = api.as(api.adminToken);
    const failures: string[] = [];
    for (const role of ROLES) {
      for (const g of GUARDED_FIELDS) {
        const r = routes.find((x) => x.method === g.method && x.path === g.path);
        if (!r || r.permission === 'public') throw new Error(`access matrix: no route ${g.method.toUpperCase()} ${g.path}`);
        const destination = await admin.post('/v1/destinations', S3_DESTINATION()).expect(201);
        const before = (await admin.get('/v1/destinations').expect(200)).body;
        const body = g.body();
        const res = await api.as(keys[role])[g.method](g.path.replace(':id', destination.body.id), body);
        const label = `${role} ${g.method.toUpperCase()} ${g.path} with ${g.field} → ${res.status}`;
        if (roleMay(role, r.permission) && roleMay(role, g.permission)) {
          if (res.status === 401 || res.status === 403 || res.status >= 500) failures.push(`${label} (should be allowed) ${res.body?.detail ?? ''}`);
          continue;
        }
        if (res.status !== 403) failures.push(`${label} (should be 403)`);
        // Refused for the field itself (the route is allowed): the problem names the field.
        if (roleMay(role, r.permission) && res.body?.errors?.[0]?.pointer !== g.field) failures.push(`${label} (403 should name ${g.field})`);
        expect((await admin.get('/v1/destinations').expect(200)).body).toEqual(before);
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);

  it('lets exactly the roles of ACCESS call each route', async () => {
    const failures: string[] = [];
    for (const role of ROLES) {
      // A fresh set of own resources per role: earlier roles' DELETEs must not hide a 403.
      mine = await makeFixture(api.adminToken, api.adAccountId, `A${role.replace('_', '')}`);
      for (const r of routes) {
        const res = await call(keys[role], r, fillPath(r, mine), sampleBody(r, mine));
        const allowed = r.permission === 'public' || (ACCESS[r.permission] as readonly Role[]).includes(role);
        const label = `${role} ${r.method.toUpperCase()} ${r.path} → ${res.status}`;
        if (allowed && (res.status === 401 || res.status === 403 || res.status >= 500)) failures.push(`${label} (should be allowed) ${res.body?.detail ?? ''}`);
        if (!allowed && res.status !== 403) failures.push(`${label} (should be 403)`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("answers 404 for another account's ids on every route that takes one, and changes nothing there", async () => {
    const before = await snapshot(foreignToken, foreign);
    const failures: string[] = [];
    // Public routes (collection endpoint, postbacks) are keyed by codes, not account-scoped ids.
    for (const r of routes.filter((x) => x.path.includes('/:') && x.permission !== 'public')) {
      if (r.path.startsWith('/v1/classes/')) continue; // classes are global, read-only catalog entries
      const res = await call(api.adminToken, r, fillPath(r, foreign), sampleBody(r, foreign));
      if (res.status !== 404) failures.push(`${r.method.toUpperCase()} ${r.path} → ${res.status}`);
    }
    // Ids hidden in bodies: another account's schema, field group or namespace.
    const bodyCases: [string, string, unknown][] = [
      ['post', '/v1/policies/evaluate', { marketingActions: ['exportToThirdParty'], fields: [{ schemaId: foreign.schemas }] }],
      ['post', '/v1/schemas', { title: unique('Leak '), classId: 'xdm:individual-prospect-profile', fieldGroupIds: [foreign['field-groups']] }],
      [
        'post',
        '/v1/schemas',
        { title: unique('Leak '), classId: 'xdm:individual-prospect-profile', fieldGroupIds: [], identities: [{ fieldPath: 'partnerID', namespace: foreign.namespaces, primary: true }] },
      ],
    ];
    for (const [method, path, body] of bodyCases) {
      const res = await api.as(api.adminToken).post(path, body);
      if (![404, 422].includes(res.status)) failures.push(`${method.toUpperCase()} ${path} with a foreign id in the body → ${res.status}`);
      expect(JSON.stringify(res.body)).not.toContain('Prospects B');
    }
    expect(failures).toEqual([]);
    expect(await snapshot(foreignToken, foreign)).toEqual(before);
  }, 60_000);
});
