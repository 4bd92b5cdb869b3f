/**
 * Activation through HTTP against real S3-compatible and SFTP servers: gzip CSV parts on S3,
 * LiveRamp files with active/expired columns, mandatory attributes and deduplication, label
 * enforcement with lineage on save, dry-run and run, and a crashed export retried without partial
 * or duplicate files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { EVALUATE_JOB } from '../src/audiences/service';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { prospectCsv, ProspectSetup, setUpProspects } from './helpers/prospects';
import { startS3Server, TestS3Server } from './setup/s3-server';
import { startSftpServer, TestSftpServer } from './setup/sftp-server';

let api: TestApi;
let p: ProspectSetup;
let marketer: string;
let governance: string;
let s3: TestS3Server;
let lr: TestSftpServer;
let seoulId: string;
let busanId: string;

const people = Array.from({ length: 25 }, (_, i) => ({ id: `X${i}`, city: i % 2 ? 'Seoul' : 'Busan', age: 20 + i, email: `p${i}@example.com`, firstName: i % 5 === 0 ? '' : `=cmd|${i}` }));

async function waitDone(p: string, token: string) {
  let status = '';
  return eventually(async () => {
    const res = await api.as(token).get(p).expect(200);
    status = res.body.status;
    return status === 'success' || status === 'failed' ? res.body : undefined;
  }, () => `${p} to finish (still ${status})`, 20_000, 30);
}

async function evaluate(audienceId: string) {
  const ev = await api.as(marketer).post(`/v1/audiences/${audienceId}/evaluations`, {}).expect(202);
  return waitDone(`/v1/audiences/${audienceId}/evaluations/${ev.body.id}`, marketer);
}

async function run(activationId: string) {
  const r = await api.as(marketer).post(`/v1/activations/${activationId}/runs`, {}).expect(202);
  return waitDone(`/v1/activations/${activationId}/runs/${r.body.id}`, marketer);
}

async function listKeys(bucket: string): Promise<string[]> {
  const res = await s3.client().send(new ListObjectsV2Command({ Bucket: bucket }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}

async function getObject(bucket: string, key: string): Promise<Buffer> {
  const res = await s3.client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

let admin: string;
async function s3Destination(name: string, extra: Record<string, unknown> = {}) {
  const res = await api
    .as(admin)
    .post('/v1/destinations', {
      name,
      kind: 's3',
      settings: { region: s3.region, endpoint: s3.endpoint, bucket: 'exports', prefix: `${name.replace(/\W/g, '')}/`, compression: 'gzip', partRows: 5, ...extra },
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    })
    .expect(201);
  return res.body;
}

/** An activation of Seoul to a fresh S3 destination of its own, for a test that needs one to exist. */
async function seoulActivation(name: string) {
  const dest = await s3Destination(name);
  const body = { name: `Seoul to ${name}`, destinationId: dest.id, audienceIds: [seoulId], schedule: { type: 'after_evaluation' }, mapping: { identity: { namespace: p.namespaceCode, column: 'id' } } };
  return (await api.as(marketer).post('/v1/activations', body).expect(201)).body.activation;
}

beforeAll(async () => {
  api = await startTestApi();
  admin = api.adminToken;
  s3 = await startS3Server();
  await s3.createBucket('exports');
  lr = await startSftpServer();
  fs.mkdirSync(path.join(lr.root, 'uploads'));
  p = await setUpProspects(api, 'Act');
  marketer = await api.keyFor('marketer');
  governance = await api.keyFor('governance');
  await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv&errorThreshold=50`).set('Content-Type', 'text/csv').send(prospectCsv(people)).expect(201);
  seoulId = (await api.as(marketer).post('/v1/audiences', { name: 'Seoul', rule: 'homeAddress.city = "Seoul"', status: 'published' }).expect(201)).body.id;
  busanId = (await api.as(marketer).post('/v1/audiences', { name: 'Busan', rule: 'homeAddress.city = "Busan"', status: 'published' }).expect(201)).body.id;
  await evaluate(seoulId);
  await evaluate(busanId);
}, 60_000);
afterAll(async () => {
  await api.close();
  await s3.stop();
  await lr.stop();
});

describe('S3 activation', () => {
  it('writes gzip CSV parts with mapped columns, neutralised formulas and counted exclusions', async () => {
    const dest = await s3Destination('Local S3');
    expect(dest.marketingActions).toContain('exportToThirdParty');
    expect(JSON.stringify(dest)).not.toContain(s3.secretAccessKey === 'S3RVER' ? '"S3RVER"' : s3.secretAccessKey);
    const body = {
      name: 'Seoul to S3',
      destinationId: dest.id,
      audienceIds: [seoulId],
      schedule: { type: 'after_evaluation' },
      mapping: { identity: { namespace: p.namespaceCode, column: 'partner_id' }, attributes: [{ field: 'homeAddress.city', column: 'city' }, { field: 'person.name.firstName', column: 'first_name' }] },
      mandatoryFields: ['person.name.firstName'],
    };
    const dry = await api.as(marketer).post('/v1/activations/dry-run', body).expect(200);
    expect(dry.body.verdict.allowed).toBe(true);
    expect(dry.body.counts).toMatchObject({ received: 12, excludedMandatory: 2, activated: 10 });
    const created = await api.as(marketer).post('/v1/activations', body).expect(201);
    const done = await run(created.body.activation.id);
    expect(done).toMatchObject({ status: 'success', counts: { received: 12, activated: 10, excludedMandatory: 2 } });
    expect(done.files.map((f: any) => f.rows)).toEqual([5, 5]);
    const keys = (await listKeys('exports')).filter((k) => k.startsWith('LocalS3/'));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^LocalS3\/Local_?S3_segment.*_\d{14}\.csv\.gz$/);
    expect(keys[1]).toMatch(/_2\.csv\.gz$/);
    const csv = gunzipSync(await getObject('exports', keys[0])).toString('utf8');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('partner_id,city,first_name');
    expect(lines.slice(1).every((l) => l.includes(',Seoul,'))).toBe(true);
    expect(csv).toContain(`'=cmd|`); // formula neutralised
    expect(csv).not.toMatch(/,=cmd/);
  });

  it('a crashed export is retried without partial or duplicate files', async () => {
    const dest = await s3Destination('Crashy S3');
    const created = await api
      .as(marketer)
      .post('/v1/activations', { name: 'Busan to S3', destinationId: dest.id, audienceIds: [busanId], schedule: { type: 'after_evaluation' }, mapping: { identity: { namespace: p.namespaceCode, column: 'id' } } })
      .expect(201);
    api.runtime.services.activation.configure({ crashAfterRows: 3 });
    const r = await api.as(marketer).post(`/v1/activations/${created.body.activation.id}/runs`, {}).expect(202);
    // Wait until the first attempt has died mid-part; nothing is visible while the queue waits to retry.
    await eventually(
      async () => String((await api.as(marketer).get(`/v1/activations/${created.body.activation.id}/runs/${r.body.id}`).expect(200)).body.error).includes('injected crash'),
      'the first attempt to crash',
      20_000,
      10,
    );
    expect((await listKeys('exports')).filter((k) => k.startsWith('CrashyS3/'))).toEqual([]);
    api.runtime.services.activation.configure({ crashAfterRows: undefined });
    const done = await waitDone(`/v1/activations/${created.body.activation.id}/runs/${r.body.id}`, marketer);
    expect(done.status).toBe('success');
    expect(done.attempts).toBeGreaterThan(1);
    const keys = (await listKeys('exports')).filter((k) => k.startsWith('CrashyS3/'));
    expect(keys).toHaveLength(3); // 13 rows in parts of 5
    const rows = keys.flatMap((k) => gunzipSync(fs.readFileSync(path.join(s3.directory, 'exports', `${k}._S3rver_object`))).toString().trim().split('\n').slice(1));
    expect(rows).toHaveLength(13);
    expect(new Set(rows).size).toBe(13);
  });
});

describe('LiveRamp activation', () => {
  it('writes the documented file name and header with active and expired columns', async () => {
    const dest = (
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
    expect(dest.marketingActions).toEqual(expect.arrayContaining(['exportToThirdParty', 'crossSiteTargeting']));
    const created = await api
      .as(marketer)
      .post('/v1/activations', { name: 'Both to LiveRamp', destinationId: dest.id, audienceIds: [seoulId, busanId], schedule: { type: 'after_evaluation' }, mapping: { identity: { namespace: p.namespaceCode, column: p.namespaceCode } } })
      .expect(201);
    // X1 leaves Seoul before the export: it is `expired` in the Seoul column.
    await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv([{ id: 'X1', city: 'Jeju', age: 21, firstName: 'a' }])).expect(201);
    const ev = await evaluate(seoulId);
    // The evaluation starts the activation's one run (after_evaluation) once its hooks have run.
    await eventually(async () => (await api.runtime.services.jobs.get(EVALUATE_JOB, ev.id))?.status === 'completed', 'evaluation hooks');
    const runs = (await api.as(marketer).get(`/v1/activations/${created.body.activation.id}/runs`).expect(200)).body.items;
    expect(runs.map((r: { trigger: string }) => r.trigger)).toEqual(['after_evaluation']);
    const done = await waitDone(`/v1/activations/${created.body.activation.id}/runs/${runs[0].id}`, marketer);
    expect({ status: done.status, error: done.error }).toEqual({ status: 'success', error: null });
    const [file] = done.files;
    expect(file.name).toMatch(/^ACME_LiveRamp_INST01_\d{8}_\d{6}\.csv$/);
    const local = fs.readFileSync(path.join(lr.root, 'uploads', file.name), 'utf8').trim().split('\n');
    expect(local[0]).toBe(`${p.namespaceCode},${p.namespaceCode}_${seoulId},${p.namespaceCode}_${busanId}`);
    expect(local).toContain('X1,expired,');
    expect(local).toContain('X3,active,');
    expect(local).toContain('X2,,active');
    expect(fs.readdirSync(path.join(lr.root, 'uploads')).filter((n) => !n.endsWith('.csv'))).toEqual([]);
  });
});

describe('label enforcement', () => {
  it('labelling a mapped field C2 blocks the activation with lineage; dry-run agrees; runs fail before writing', async () => {
    const dest = await s3Destination('Guarded S3');
    const body = {
      name: 'Seoul with emails',
      destinationId: dest.id,
      audienceIds: [seoulId],
      schedule: { type: 'after_evaluation' },
      mapping: { identity: { namespace: p.namespaceCode, column: 'id' }, attributes: [{ field: 'personalEmail.address', column: 'email' }] },
    };
    const ok = await api.as(marketer).post('/v1/activations', body).expect(201);
    await api.as(governance).post(`/v1/schemas/${p.schemaId}/labels`, { labels: ['C2'], fields: ['personalEmail.address'] }).expect((r) => expect(r.status).toBeLessThan(300));

    const refused = expectProblem(await api.as(marketer).post('/v1/activations', { ...body, name: 'Seoul with emails again' }), 422);
    expect(refused.type).toMatch(/policy-violation/);
    const violation = refused.violations[0];
    expect(violation.matched).toEqual({ label: 'C2' });
    expect(violation.lineage[0]).toMatchObject({
      label: 'C2',
      dataset: { id: p.datasetId },
      field: 'personalEmail.address',
      audience: { id: seoulId },
      destination: { id: dest.id },
    });
    expect(violation.lineage[0].path).toMatch(/dataset .* → field personalEmail\.address → audience "Seoul" → activation "Seoul with emails again" → destination "Guarded S3"/);

    const dry = await api.as(marketer).post('/v1/activations/dry-run', body).expect(200);
    expect(dry.body.verdict.allowed).toBe(false);
    expect(dry.body.verdict.violations[0].matched).toEqual({ label: 'C2' });

    const before = (await listKeys('exports')).filter((k) => k.startsWith('GuardedS3/'));
    const blockedRun = await run(ok.body.activation.id);
    expect(blockedRun.status).toBe('failed');
    expect(blockedRun.violation.violations[0].lineage[0].field).toBe('personalEmail.address');
    expect((await listKeys('exports')).filter((k) => k.startsWith('GuardedS3/'))).toEqual(before);

    // An audience rule edit that would bring a C2 field into an S3 activation is refused too.
    const edit = expectProblem(await api.as(marketer).patch(`/v1/audiences/${seoulId}`, { rule: 'homeAddress.city = "Seoul" and isNotNull(personalEmail.address)' }), 422);
    expect(edit.type).toMatch(/policy-violation/);
  });

  it('a policy violated through an implied label (C4 → C7) names where C4 came from in its lineage', async () => {
    const dest = await s3Destination('Implied S3');
    await api.as(governance).post(`/v1/schemas/${p.schemaId}/labels`, { labels: ['C4'], fields: ['person.name.firstName'] }).expect((r) => expect(r.status).toBeLessThan(300));
    const policy = (await api.as(governance).post('/v1/policies', { name: 'No C7 exports', status: 'ENABLED', marketingActions: ['exportToThirdParty'], deny: { label: 'C7' } }).expect(201)).body;
    try {
      const body = {
        name: 'Seoul first names',
        destinationId: dest.id,
        audienceIds: [seoulId],
        schedule: { type: 'after_evaluation' },
        mapping: { identity: { namespace: p.namespaceCode, column: 'id' }, attributes: [{ field: 'person.name.firstName', column: 'first_name' }] },
      };
      const dry = (await api.as(marketer).post('/v1/activations/dry-run', body).expect(200)).body;
      const violation = dry.verdict.violations.find((v: { policy: { id: string } }) => v.policy.id === policy.id);
      expect(violation.labels).toEqual(['C7']);
      expect(violation.lineage).toEqual([expect.objectContaining({ label: 'C7', impliedBy: 'C4', dataset: expect.objectContaining({ id: p.datasetId }), field: 'person.name.firstName' })]);
    } finally {
      await api.as(governance).patch(`/v1/policies/${policy.id}`, { status: 'DISABLED' }).expect(200);
      await api.as(governance).delete(`/v1/schemas/${p.schemaId}/labels`).send({ labels: ['C4'], fields: ['person.name.firstName'] }).expect((r) => expect(r.status).toBeLessThan(300));
    }
  });

  it('the exported identity is governed by its field: C2 on partnerID blocks an S3 export without attributes', async () => {
    const dest = await s3Destination('Identity S3');
    await api.as(governance).post(`/v1/schemas/${p.schemaId}/labels`, { labels: ['C2'], fields: ['partnerID'] }).expect((r) => expect(r.status).toBeLessThan(300));
    try {
      const body = { name: 'Seoul ids', destinationId: dest.id, audienceIds: [seoulId], schedule: { type: 'after_evaluation' }, mapping: { identity: { namespace: p.namespaceCode, column: 'id' } } };
      const dry = (await api.as(marketer).post('/v1/activations/dry-run', body).expect(200)).body;
      expect(dry.verdict.allowed).toBe(false);
      expect(dry.verdict.violations[0].lineage).toEqual(expect.arrayContaining([expect.objectContaining({ label: 'C2', dataset: expect.objectContaining({ id: p.datasetId }), field: 'partnerID' })]));
    } finally {
      await api.as(governance).delete(`/v1/schemas/${p.schemaId}/labels`).send({ labels: ['C2'], fields: ['partnerID'] }).expect((r) => expect(r.status).toBeLessThan(300));
    }
  });

  it("another account's activations, destinations and runs answer 404", async () => {
    await seoulActivation('Isolated S3');
    const list = await api.as(marketer).get('/v1/activations').expect(200);
    expect(list.body.items.length).toBeGreaterThan(0);
    const other = await api.otherAccount();
    expectProblem(await api.as(other.adminToken).get(`/v1/activations/${list.body.items[0].id}`), 404);
    expectProblem(await api.as(other.adminToken).post(`/v1/activations/${list.body.items[0].id}/runs`, {}), 404);
    expectProblem(await api.as(other.adminToken).get(`/v1/destinations/${list.body.items[0].destinationId}`), 404);
  });
});
