/**
 * First-party targets in activations, through HTTP against real SFTP (LiveRamp-style) and
 * S3-compatible servers (issue 6, must-show 4): a customer file exported as E.164 or hashed phones
 * is blocked by an I1 × export policy with lineage upload → target → identity → activation →
 * destination and allowed once the policy is disabled; the files hold exactly the identities of the
 * file's people from the universe; ad ids are I2; a crashed run is retried with the members it
 * pinned; a mix of prospect audiences and targets is judged against combineData; a selected target
 * lists the activation as its usage and cannot be deleted; other accounts' targets are refused.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { liveRampSegmentColumn } from '../connectors/export-format';
import { exportedValueSql, firstPartyIdentity, targetSource } from '../src/activation/first-party';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { prospectCsv, setUpProspects } from './helpers/prospects';
import { loadPeople } from './helpers/universe';
import { startS3Server, TestS3Server } from './setup/s3-server';
import { startSftpServer, TestSftpServer } from './setup/sftp-server';

let api: TestApi;
let admin: string;
let marketer: string;
let governance: string;
let engineer: string;
let lr: TestSftpServer;
let s3: TestS3Server;
let liveRamp: { id: string; name: string };
let policyId: string;
let peopleDataset: string;
let vip: { id: string; uploadId: string };

const ADID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
/** Manual runs only: a daily schedule that is switched off (POST …/runs still runs it). */
const MANUAL = { schedule: { type: 'daily', at: '03:00' }, enabled: false };

/**
 * The universe: people 1–4 are in the customer file (person 2 has two phones, person 3 none),
 * person 5 is not; the file also lists ADID 9, which no person holds (until the retry test).
 */
const PEOPLE = [
  { adid: ADID(1), phone: '010-1111-0001', email: 'Kim@Example.KR', appUserId: '1001' },
  { adid: ADID(2), phone: '010-1111-0002' },
  { adid: ADID(2), phone: '010-2222-0002' },
  { adid: ADID(3), email: 'nophone@example.kr' },
  { adid: ADID(4), phone: '+82 10-1111-0004' },
  { adid: ADID(5), phone: '010-1111-0005', email: 'outside@example.kr' },
];
const VIP_PHONES = ['+821011110001', '+821011110002', '+821022220002', '+821011110004'];
const VIP_ADIDS = [1, 2, 3, 4].map(ADID);

async function waitDone(p: string) {
  let status = '';
  return eventually(async () => {
    const res = await api.as(marketer).get(p).expect(200);
    status = res.body.status;
    return status === 'success' || status === 'failed' ? res.body : undefined;
  }, () => `${p} to finish (still ${status})`, 20_000, 30);
}

async function run(activationId: string) {
  const r = await api.as(marketer).post(`/v1/activations/${activationId}/runs`, {}).expect(202);
  return waitDone(`/v1/activations/${activationId}/runs/${r.body.id}`);
}

/** Uploads ADIDs as a customer file and waits until its population is counted. */
async function customerFile(token: string, name: string, adids: string[]): Promise<{ id: string; uploadId: string }> {
  const up = await api.as(token).post('/v1/targets/customer-files/uploads').set('Content-Type', 'text/csv').send(['adid', ...adids].join('\n') + '\n').expect(201);
  const file = await api.as(token).post('/v1/targets/customer-files', { uploadId: up.body.id, name }).expect(201);
  await eventually(async () => (await api.as(token).post(`/v1/targets/${file.body.id}/refresh`, {}).expect(200)).body.population.usable, `customer file ${name} to be counted`, 20_000, 50);
  return { id: file.body.id, uploadId: up.body.id };
}

function readLiveRamp(name: string): string[] {
  return fs.readFileSync(path.join(lr.root, 'uploads', name), 'utf8').trim().split('\n');
}

async function setPolicy(status: 'ENABLED' | 'DISABLED') {
  await api.as(governance).patch(`/v1/policies/${policyId}`, { status }).expect(200);
}

function activation(name: string, namespace: string, extra: Record<string, unknown> = {}) {
  return { name, destinationId: liveRamp.id, targetIds: [vip.id], ...MANUAL, mapping: { identity: { namespace, column: namespace } }, ...extra };
}

beforeAll(async () => {
  api = await startTestApi();
  admin = api.adminToken;
  marketer = await api.keyFor('marketer');
  governance = await api.keyFor('governance');
  engineer = await api.keyFor('data_engineer');
  lr = await startSftpServer();
  fs.mkdirSync(path.join(lr.root, 'uploads'));
  s3 = await startS3Server();
  await s3.createBucket('exports');
  peopleDataset = await loadPeople(api, engineer, PEOPLE);
  vip = await customerFile(marketer, 'VIP 고객', [...VIP_ADIDS, ADID(9)]);
  liveRamp = (
    await api
      .as(admin)
      .post('/v1/destinations', {
        name: 'LiveRamp',
        kind: 'liveramp',
        settings: { host: lr.host, port: lr.port, username: lr.user.username, hostKeyFingerprint: lr.hostKeyFingerprint, org: 'ACME', destinationName: 'LiveRamp', instanceId: 'INST01' },
        credentials: { password: lr.user.password },
      })
      .expect(201)
  ).body;
  policyId = (
    await api
      .as(governance)
      .post('/v1/policies', {
        name: 'No directly identifiable data to partners',
        status: 'ENABLED',
        marketingActions: ['exportToThirdParty'],
        deny: { label: 'I1' },
      })
      .expect(201)
  ).body.id;
}, 60_000);

afterAll(async () => {
  await api.close();
  await lr.stop();
  await s3.stop();
});

describe('a customer file activated to the LiveRamp-style destination', () => {
  it('is blocked by an I1 × export policy with lineage upload → target → activation → destination, and allowed when the policy is disabled', async () => {
    const body = activation('VIP phones to LiveRamp', 'Phone_E.164');
    const refused = expectProblem(await api.as(marketer).post('/v1/activations', body), 422);
    expect(refused.type).toMatch(/policy-violation/);
    expect(refused.labels).toEqual(['I1']);
    const [v] = refused.violations;
    expect(v).toMatchObject({ policy: { id: policyId }, matched: { label: 'I1' }, marketingActions: ['exportToThirdParty'] });
    expect(v.lineage).toHaveLength(1);
    expect(v.lineage[0]).toMatchObject({
      label: 'I1',
      dataset: null,
      audience: null,
      target: { id: vip.id, name: 'VIP 고객', kind: 'customer_file' },
      source: { type: 'upload', id: vip.uploadId },
      identity: { namespace: 'Phone_E.164', label: 'I1' },
      activation: { name: 'VIP phones to LiveRamp' },
      destination: { id: liveRamp.id, name: 'LiveRamp' },
    });
    expect(v.lineage[0].path).toBe(
      `customer file upload "${vip.uploadId}" → target "VIP 고객" (customer file) → identity Phone_E.164 (I1) → activation "VIP phones to LiveRamp" → destination "LiveRamp"`,
    );
    expect(refused.detail).toContain('customer file upload');
    const dry = await api.as(marketer).post('/v1/activations/dry-run', body).expect(200);
    expect(dry.body.verdict.allowed).toBe(false);

    await setPolicy('DISABLED');
    try {
      const created = await api.as(marketer).post('/v1/activations', body).expect(201);
      expect(created.body.activation).toMatchObject({ targetIds: [vip.id], audienceIds: [] });
      expect(created.body.verdict).toMatchObject({ allowed: true, labels: ['I1'], marketingActions: ['exportToThirdParty', 'crossSiteTargeting'] });
      const dry2 = await api.as(marketer).post('/v1/activations/dry-run', { ...body, name: 'VIP dry' }).expect(200);
      expect(dry2.body.counts).toEqual({ received: 5, activated: 4, excludedMandatory: 1, excludedDuplicates: 0, failed: 0 });

      const done = await run(created.body.activation.id);
      expect({ status: done.status, error: done.error }).toEqual({ status: 'success', error: null });
      // person 3 has no phone: excluded as missing the mandatory identity
      expect(done.counts).toEqual({ received: 5, activated: 4, excludedMandatory: 1, excludedDuplicates: 0, failed: 0 });
      expect(done.files).toHaveLength(1);
      expect(done.files[0].name).toMatch(/^ACME_LiveRamp_INST01_\d{8}_\d{6}\.csv$/);
      const lines = readLiveRamp(done.files[0].name);
      expect(lines[0]).toBe(`Phone_E.164,${liveRampSegmentColumn('Phone_E.164', vip.id)}`);
      // exactly one row per person-phone of the file's people: person 2's two phones, nobody else's
      expect(lines.slice(1).sort()).toEqual(VIP_PHONES.map((p) => `${p},active`).sort());
    } finally {
      await setPolicy('ENABLED');
    }
    // the saved activation now violates the re-enabled policy: its verdict says so and a run fails before writing
    const list = await api.as(marketer).get('/v1/activations').expect(200);
    const saved = list.body.items.find((a: { name: string }) => a.name === 'VIP phones to LiveRamp');
    const view = await api.as(marketer).get(`/v1/activations/${saved.id}`).expect(200);
    expect(view.body.verdict.allowed).toBe(false);
    const before = fs.readdirSync(path.join(lr.root, 'uploads')).sort();
    const blocked = await run(saved.id);
    expect(blocked.status).toBe('failed');
    expect(blocked.violation.violations[0].lineage[0].target.id).toBe(vip.id);
    expect(fs.readdirSync(path.join(lr.root, 'uploads')).sort()).toEqual(before);
  });

  it('hashed phones (Phone_SHA256_E.164) are I1 too and export the SHA-256 of each E.164 phone', async () => {
    const body = activation('VIP hashed phones', 'Phone_SHA256_E.164');
    const refused = expectProblem(await api.as(marketer).post('/v1/activations', body), 422);
    expect(refused.violations[0].lineage[0].path).toContain('→ identity Phone_SHA256_E.164 (I1) →');
    await setPolicy('DISABLED');
    try {
      const created = await api.as(marketer).post('/v1/activations', body).expect(201);
      const done = await run(created.body.activation.id);
      expect(done.status).toBe('success');
      const lines = readLiveRamp(done.files[0].name);
      expect(lines[0]).toBe(`Phone_SHA256_E.164,${liveRampSegmentColumn('Phone_SHA256_E.164', vip.id)}`);
      expect(lines.slice(1).sort()).toEqual(VIP_PHONES.map((p) => `${sha256(p)},active`).sort());
    } finally {
      await setPolicy('ENABLED');
    }
  });

  it('ad ids (GAID) are I2 and not blocked by the I1 policy', async () => {
    const created = await api.as(marketer).post('/v1/activations', activation('VIP ad ids', 'GAID')).expect(201);
    expect(created.body.verdict).toMatchObject({ allowed: true, labels: ['I2'] });
    const done = await run(created.body.activation.id);
    expect(done.counts).toMatchObject({ received: 4, activated: 4, excludedMandatory: 0 });
    const lines = readLiveRamp(done.files[0].name);
    expect(lines[0]).toBe(`GAID,${liveRampSegmentColumn('GAID', vip.id)}`);
    // ADID 9 is in the file but no person of the universe holds it; person 5 is not in the file
    expect(lines.slice(1).sort()).toEqual(VIP_ADIDS.map((a) => `${a},active`).sort());
  });
});

describe('labels of the datasets the exported identities come from', () => {
  it('travel with the identities whatever the target kind: a C2 people dataset blocks the ad id export, with lineage', async () => {
    await api.as(governance).put(`/v1/datasets/${peopleDataset}/labels`, { labels: ['C2'] }).expect(200);
    try {
      const res = await api.as(marketer).post('/v1/activations', activation('VIP ad ids C2', 'GAID'));
      expect(res.status).toBe(422);
      const paths: string[] = res.body.violations.flatMap((v: { lineage: { path: string }[] }) => v.lineage.map((l) => l.path));
      expect(paths.some((p) => /^dataset ".*" → all fields \(dataset label\) → target "VIP 고객" \(customer file\) → identity GAID \(I2\) → activation "VIP ad ids C2" → destination "LiveRamp"$/.test(p))).toBe(true);
    } finally {
      await api.as(governance).put(`/v1/datasets/${peopleDataset}/labels`, { labels: [] }).expect(200);
    }
    await api.as(marketer).post('/v1/activations/dry-run', activation('VIP ad ids again', 'GAID')).expect(200);
  });
});

describe('S3 destinations', () => {
  it('write one file per target; lowercased-email hashes; attributes are refused for targets alone', async () => {
    const dest = (
      await api
        .as(admin)
        .post('/v1/destinations', {
          name: 'FP S3',
          kind: 's3',
          settings: { region: s3.region, endpoint: s3.endpoint, bucket: 'exports', prefix: 'fp/' },
          credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        })
        .expect(201)
    ).body;
    const second = await customerFile(marketer, 'Second file', [ADID(5)]);
    const body = { name: 'Emails to S3', destinationId: dest.id, targetIds: [vip.id, second.id], ...MANUAL, mapping: { identity: { namespace: 'Email_LC_SHA256', column: 'email_sha256' } } };

    const attrs = expectProblem(await api.as(marketer).post('/v1/activations', { ...body, mapping: { ...body.mapping, attributes: [{ field: 'homeAddress.city', column: 'city' }] } }), 422);
    expect(attrs.errors[0]).toMatchObject({ pointer: '/mapping/attributes', rule: 'audiences-only' });
    expect(attrs.errors[0].message).toMatch(/first-party targets export identities only/);

    await setPolicy('DISABLED');
    try {
      const created = await api.as(marketer).post('/v1/activations', body).expect(201);
      const done = await run(created.body.activation.id);
      expect(done.status).toBe('success');
      expect(done.files.map((f: { name: string }) => f.name)).toEqual([
        expect.stringMatching(new RegExp(`^FP_?S3_segment${vip.id}_\\d{14}\\.csv$`)),
        expect.stringMatching(new RegExp(`^FP_?S3_segment${second.id}_\\d{14}\\.csv$`)),
      ]);
      const read = async (name: string) => {
        const res = await s3.client().send(new GetObjectCommand({ Bucket: 'exports', Key: `fp/${name}` }));
        return Buffer.from(await res.Body!.transformToByteArray()).toString('utf8').trim().split('\n');
      };
      const first = await read(done.files[0].name);
      expect(first[0]).toBe('email_sha256');
      expect(first.slice(1).sort()).toEqual([sha256('kim@example.kr'), sha256('nophone@example.kr')].sort());
      expect((await read(done.files[1].name)).slice(1)).toEqual([sha256('outside@example.kr')]);
      // people 2 and 4 have no email
      expect(done.counts).toMatchObject({ received: 5, activated: 3, excludedMandatory: 2 });
      const keys = ((await s3.client().send(new ListObjectsV2Command({ Bucket: 'exports', Prefix: 'fp/' }))).Contents ?? []).map((o) => o.Key);
      expect(keys).toHaveLength(2);
    } finally {
      await setPolicy('ENABLED');
    }
  });
});

describe('prospect audiences and first-party targets in one activation', () => {
  it('are judged against combineData: refused by a policy denying it for THIRD_PARTY, allowed without it', async () => {
    const p = await setUpProspects(api, 'Mix', { token: engineer });
    await api.as(engineer).post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv([{ id: 'V1', city: 'Seoul', age: 30, firstName: 'a' }])).expect(201);
    await api.as(governance).put(`/v1/datasets/${p.datasetId}/labels`, { labels: ['THIRD_PARTY'] }).expect(200);
    const audience = (await api.as(marketer).post('/v1/audiences', { name: 'Seoul vendor', rule: 'homeAddress.city = "Seoul"', status: 'published' }).expect(201)).body;
    const ev = await api.as(marketer).post(`/v1/audiences/${audience.id}/evaluations`, {}).expect(202);
    await waitDone(`/v1/audiences/${audience.id}/evaluations/${ev.body.id}`);
    const combine = (
      await api
        .as(governance)
        .post('/v1/policies', { name: 'Vendor data stays apart', status: 'ENABLED', marketingActions: ['combineData'], deny: { label: 'THIRD_PARTY' } })
        .expect(201)
    ).body;

    const mixed = { ...activation('Vendor + VIP', 'GAID'), audienceIds: [audience.id], schedule: { type: 'after_evaluation' } };
    const refused = expectProblem(await api.as(marketer).post('/v1/activations', mixed), 422);
    expect(refused.type).toMatch(/policy-violation/);
    expect(refused.marketingActions).toContain('combineData');
    expect(refused.labels).toEqual(['I2', 'THIRD_PARTY']);
    expect(refused.violations).toHaveLength(1);
    expect(refused.violations[0]).toMatchObject({ policy: { id: combine.id }, marketingActions: ['combineData'], matched: { label: 'THIRD_PARTY' } });
    expect(refused.violations[0].lineage[0]).toMatchObject({ label: 'THIRD_PARTY', dataset: { id: p.datasetId }, audience: { id: audience.id }, target: null });

    // Either side alone does not combine anything: the policy does not apply.
    const alone = await api
      .as(marketer)
      .post('/v1/activations/dry-run', { name: 'Vendor only', destinationId: liveRamp.id, audienceIds: [audience.id], schedule: { type: 'after_evaluation' }, mapping: { identity: { namespace: p.namespaceCode, column: 'id' } } })
      .expect(200);
    expect(alone.body.verdict).toMatchObject({ allowed: true, marketingActions: ['exportToThirdParty', 'crossSiteTargeting'] });
    const targetsAlone = await api.as(marketer).post('/v1/activations/dry-run', activation('VIP only', 'GAID')).expect(200);
    expect(targetsAlone.body.verdict.allowed).toBe(true);

    await api.as(governance).patch(`/v1/policies/${combine.id}`, { status: 'DISABLED' }).expect(200);
    const created = await api.as(marketer).post('/v1/activations', mixed).expect(201);
    expect(created.body.verdict).toMatchObject({ allowed: true, marketingActions: expect.arrayContaining(['combineData']) });
    const done = await run(created.body.activation.id);
    expect(done.status).toBe('success');
    const lines = readLiveRamp(done.files[0].name);
    expect(lines[0]).toBe(`GAID,${liveRampSegmentColumn('GAID', audience.id)},${liveRampSegmentColumn('GAID', vip.id)}`);
    // the vendor's people have partner ids, not ad ids: only the file's people are exported
    expect(lines.slice(1).sort()).toEqual(VIP_ADIDS.map((a) => `${a},,active`).sort());

    // A LiveRamp file takes one identifier and the segment columns: attribute columns are refused (issue 13).
    const withAttributes = expectProblem(
      await api
        .as(marketer)
        .post('/v1/activations', { ...mixed, name: 'Vendor + VIP with city', mapping: { identity: { namespace: 'GAID', column: 'GAID' }, attributes: [{ field: 'homeAddress.city', column: 'city' }] } }),
      422,
    );
    expect(withAttributes.errors[0]).toMatchObject({ pointer: '/mapping/attributes', rule: 'liveramp-identifier-only' });
  });
});

describe('usage and account isolation', () => {
  it('a selected target lists the activation as its usage and cannot be deleted while it exists', async () => {
    const spare = await customerFile(marketer, 'Spare', [ADID(1)]);
    const created = await api.as(marketer).post('/v1/activations', activation('Spare ad ids', 'GAID', { targetIds: [spare.id] })).expect(201);
    const usage = await api.as(marketer).get(`/v1/targets/${spare.id}/usage`).expect(200);
    expect(usage.body.items).toEqual([{ type: 'activation', id: created.body.activation.id, name: 'Spare ad ids' }]);
    const refused = expectProblem(await api.as(marketer).delete(`/v1/targets/customer-files/${spare.id}`), 409);
    expect(refused.detail).toContain('activation "Spare ad ids"');
    // replacing the target releases it
    await api.as(marketer).patch(`/v1/activations/${created.body.activation.id}`, { targetIds: [vip.id] }).expect(200);
    expect((await api.as(marketer).get(`/v1/targets/${spare.id}/usage`).expect(200)).body.items).toEqual([]);
    await api.as(marketer).delete(`/v1/targets/customer-files/${spare.id}`).expect(204);
  });

  it('refuses other accounts’ targets, partner ids for targets and an activation without audiences or targets', async () => {
    const other = await api.otherAccount();
    const up = await api.as(other.adminToken).post('/v1/targets/customer-files/uploads').set('Content-Type', 'text/csv').send(`adid\n${ADID(1)}\n`).expect(201);
    const foreign = (await api.as(other.adminToken).post('/v1/targets/customer-files', { uploadId: up.body.id, name: 'Theirs' }).expect(201)).body;
    const res = expectProblem(await api.as(marketer).post('/v1/activations', activation('Foreign', 'GAID', { targetIds: [vip.id, foreign.id] })), 422);
    expect(res.errors[0]).toMatchObject({ pointer: '/targetIds/1', rule: 'exists' });
    expectProblem(await api.as(marketer).get(`/v1/targets/${foreign.id}/usage`), 404);
    await api.as(marketer).post('/v1/activations', activation('VIP ad ids (isolation)', 'GAID')).expect(201);
    const mine = (await api.as(marketer).get('/v1/activations').expect(200)).body.items[0];
    expect(mine).toBeDefined();
    expectProblem(await api.as(other.adminToken).get(`/v1/activations/${mine.id}`), 404);

    await api.as(engineer).post('/v1/namespaces', { name: 'Vendor FP partner id', code: 'vendorFP', type: 'partner_id' }).expect(201);
    const partner = expectProblem(await api.as(marketer).post('/v1/activations', activation('Partner ids', 'vendorFP')), 422);
    expect(partner.errors[0]).toMatchObject({ pointer: '/mapping/identity/namespace', rule: 'first-party-identity' });
    expect(partner.errors[0].message).toMatch(/first-party people have no partner ids/);

    const none = expectProblem(await api.as(marketer).post('/v1/activations', activation('Nothing', 'GAID', { targetIds: [] })), 422);
    expect(none.errors[0]).toMatchObject({ pointer: '/audienceIds', rule: 'required' });
    const once = expectProblem(await api.as(marketer).post('/v1/activations', activation('No evaluations', 'GAID', { schedule: { type: 'after_evaluation' } })), 422);
    expect(once.errors[0]).toMatchObject({ pointer: '/schedule/type' });
  });
});

describe('retries', () => {
  it('a crashed run is retried with the members it pinned: same file, same rows, nothing partial', async () => {
    const created = await api.as(marketer).post('/v1/activations', activation('VIP ad ids (retried)', 'GAID')).expect(201);
    const id = created.body.activation.id;
    const uploads = path.join(lr.root, 'uploads');
    const before = new Set(fs.readdirSync(uploads));
    api.runtime.services.activation.configure({ crashAfterRows: 2 });
    let runId: string;
    try {
      runId = (await api.as(marketer).post(`/v1/activations/${id}/runs`, {}).expect(202)).body.id;
      await eventually(async () => String((await api.as(marketer).get(`/v1/activations/${id}/runs/${runId}`).expect(200)).body.error).includes('injected crash'), 'the first attempt to crash', 20_000, 10);
      expect(fs.readdirSync(uploads).filter((n) => !before.has(n))).toEqual([]);
      // ADID 9 of the file now belongs to a person: the pinned run must not pick them up.
      await loadPeople(api, engineer, [{ adid: ADID(9), phone: '010-9999-0009' }]);
      await api.as(engineer).post('/v1/universe/link', {}).expect(200);
    } finally {
      api.runtime.services.activation.configure({ crashAfterRows: undefined });
    }
    const done = await waitDone(`/v1/activations/${id}/runs/${runId!}`);
    expect({ status: done.status, error: done.error }).toEqual({ status: 'success', error: null });
    expect(done.attempts).toBeGreaterThan(1);
    const added = fs.readdirSync(uploads).filter((n) => !before.has(n));
    expect(added).toEqual([done.files[0].name]);
    expect(readLiveRamp(done.files[0].name).slice(1).sort()).toEqual(VIP_ADIDS.map((a) => `${a},active`).sort());

    // a new run pins again and now includes the person holding ADID 9
    const next = await run(id);
    expect(readLiveRamp(next.files[0].name).slice(1).sort()).toEqual([...VIP_ADIDS, ADID(9)].map((a) => `${a},active`).sort());
  });
});

describe('first-party identities (pure)', () => {
  it('maps namespaces to universe kinds, hashes and identity labels', () => {
    expect(firstPartyIdentity({ code: 'GAID', type: 'device' })).toMatchObject({ kind: 'adid', hash: 'none', label: 'I2' });
    expect(firstPartyIdentity({ code: 'IDFA', type: 'device' })).toMatchObject({ kind: 'adid', label: 'I2' });
    expect(firstPartyIdentity({ code: 'Phone', type: 'phone' })).toMatchObject({ kind: 'phone', hash: 'none', label: 'I1' });
    expect(firstPartyIdentity({ code: 'Phone_SHA256_E.164', type: 'phone' })).toMatchObject({ kind: 'phone', hash: 'sha256', hashedKind: 'phone_sha256', label: 'I1' });
    expect(firstPartyIdentity({ code: 'Email_LC_SHA256', type: 'email' })).toMatchObject({ kind: 'email', hash: 'sha256_lowercase', hashedKind: 'email_sha256', label: 'I1' });
    expect(firstPartyIdentity({ code: 'AppUserId', type: 'cross_device' })).toMatchObject({ kind: 'app_user_id', label: 'I1' });
    expect(firstPartyIdentity({ code: 'vendorX', type: 'partner_id' })).toMatchObject({ rule: 'first-party-identity', refused: expect.stringMatching(/no partner ids/) });
    expect(firstPartyIdentity({ code: 'myCrm', type: 'cross_device' })).toMatchObject({ refused: expect.stringMatching(/custom namespace/) });
    const email = firstPartyIdentity({ code: 'Email_LC_SHA256', type: 'email' });
    if ('refused' in email) throw new Error('refused');
    expect(exportedValueSql(email, 'v.value')).toBe(`encode(sha256(convert_to(lower(v.value), 'UTF8')), 'hex')`);
  });

  it('describes where a target\'s people come from', () => {
    expect(targetSource({ kind: 'customer_file', settings: { uploadId: 'upl_1' } })?.description).toBe('customer file upload "upl_1"');
    expect(targetSource({ kind: 'pixel', settings: { trackId: 'trk_1', days: 30 } })?.description).toBe('pixel & SDK tracker "trk_1"');
    expect(targetSource({ kind: 'lookalike', settings: { seed: { type: 'CUSTOMER_FILE', kind: 'customer_file', id: 'tgt_1' } } })?.description).toBe('lookalike seed customer file "tgt_1"');
  });
});
