/**
 * What an activation delivers, end to end against real S3-compatible and SFTP servers (issue 13,
 * items 1–3): one run at a time per activation, so a `once` activation started by hand delivers
 * exactly one file and a second trigger meets 409; LiveRamp's header uses the mapping's identity
 * column; LiveRamp refuses attribute columns; and no line break in any cell ever reaches a
 * LiveRamp file (read back over SFTP).
 *
 * The test drives the activation scheduler tick itself (queueDueRuns), so nothing runs behind it.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DestinationWriter } from '../connectors/destination-types';
import { createCsvEncoder, liveRampSegmentColumn, neutraliseCell, oneLine } from '../connectors/export-format';
import { createSftpSource } from '../connectors/sftp';
import { createSftpDestination } from '../connectors/sftp-destination';
import { csvCellSql } from '../src/activation/copy-export';
import { EVALUATE_JOB } from '../src/audiences/service';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { prospectCsv, ProspectSetup, setUpProspects } from './helpers/prospects';
import { startS3Server, TestS3Server } from './setup/s3-server';
import { startSftpServer, TestSftpServer } from './setup/sftp-server';

let api: TestApi;
let p: ProspectSetup;
let admin: string;
let marketer: string;
let engineer: string;
let s3: TestS3Server;
let lr: TestSftpServer;
let seoulId: string;

const ADID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const people = Array.from({ length: 8 }, (_, i) => ({ id: `D${i}`, city: i % 2 ? 'Seoul' : 'Busan', age: 30 + i, firstName: `n${i}` }));
const services = () => api.runtime.services;

async function finished(activationId: string, runId: string) {
  return eventually(async () => {
    const res = await api.as(marketer).get(`/v1/activations/${activationId}/runs/${runId}`).expect(200);
    return res.body.status === 'success' || res.body.status === 'failed' ? res.body : undefined;
  }, `run ${runId} to finish`, 30_000);
}

async function run(activationId: string) {
  const r = await api.as(marketer).post(`/v1/activations/${activationId}/runs`, {}).expect(202);
  return finished(activationId, r.body.id);
}

async function runs(activationId: string): Promise<{ id: string; status: string; trigger: string }[]> {
  return (await api.as(marketer).get(`/v1/activations/${activationId}/runs`).expect(200)).body.items;
}

async function activation(id: string) {
  return (await api.as(marketer).get(`/v1/activations/${id}`).expect(200)).body;
}

/** A LiveRamp destination of its own (file names carry the instance id, so its files are told apart). */
async function liveRampDestination(instanceId: string) {
  const res = await api
    .as(admin)
    .post('/v1/destinations', {
      name: `LiveRamp ${instanceId}`,
      kind: 'liveramp',
      settings: { host: lr.host, port: lr.port, username: lr.user.username, hostKeyFingerprint: lr.hostKeyFingerprint, org: 'ACME', destinationName: 'LiveRamp', instanceId },
      credentials: { password: lr.user.password },
    })
    .expect(201);
  return res.body as { id: string; acceptsIdentities: string[] };
}

async function s3Destination(prefix: string) {
  const res = await api
    .as(admin)
    .post('/v1/destinations', {
      name: `S3 ${prefix}`,
      kind: 's3',
      settings: { region: s3.region, endpoint: s3.endpoint, bucket: 'exports', prefix: `${prefix}/` },
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    })
    .expect(201);
  return res.body as { id: string; acceptsIdentities: string[] };
}

/** The published files of a destination, as its server lists them. */
async function delivered(kind: 'liveramp' | 's3', tag: string): Promise<string[]> {
  if (kind === 's3') {
    const res = await s3.client().send(new ListObjectsV2Command({ Bucket: 'exports', Prefix: `${tag}/` }));
    return (res.Contents ?? []).map((o) => o.Key!).sort();
  }
  return fs
    .readdirSync(path.join(lr.root, 'uploads'))
    .filter((n) => n.startsWith(`ACME_LiveRamp_${tag}_`))
    .sort();
}

/** A LiveRamp file as the partner reads it: over SFTP. */
async function readOverSftp(name: string): Promise<string> {
  const source = createSftpSource({ host: lr.host, port: lr.port, username: lr.user.username, password: lr.user.password, hostKeyFingerprint: lr.hostKeyFingerprint });
  try {
    const file = (await source.list('uploads')).find((f) => f.path.endsWith(`/${name}`) || f.path === name);
    if (!file) throw new Error(`${name} is not on the SFTP server`);
    const chunks: Buffer[] = [];
    for await (const chunk of await source.open(file)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await source.close();
  }
}

/**
 * Holds every file the service opens on SFTP until `release()`: the run stays `processing` (a slow
 * partner server) while the test tries to start more. The writer underneath is the real one.
 */
function holdLiveRampWrites(): () => void {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  services().activation.configure({
    writerFor: (kind, settings, credentials) => {
      if (kind !== 'liveramp') throw new Error('holdLiveRampWrites is for LiveRamp destinations');
      const s = settings as Record<string, never>;
      const real: DestinationWriter = createSftpDestination({ host: s.host, port: s.port, username: s.username, hostKeyFingerprint: s.hostKeyFingerprint, folder: s.folder ?? 'uploads', ...(credentials as Record<string, string>) });
      return {
        test: () => real.test(),
        exists: (name) => real.exists(name),
        openPart: async (name) => {
          await gate;
          return real.openPart(name);
        },
        abandon: (uploads) => real.abandon(uploads),
        close: () => real.close(),
      };
    },
  });
  return () => {
    release();
    services().activation.configure({ writerFor: undefined });
  };
}

async function waitProcessing(activationId: string, runId: string): Promise<void> {
  await eventually(async () => (await api.as(marketer).get(`/v1/activations/${activationId}/runs/${runId}`).expect(200)).body.status === 'processing', `run ${runId} to be processing`);
}

beforeAll(async () => {
  api = await startTestApi();
  await services().scheduler.stop(); // the test calls the activation tick itself
  admin = api.adminToken;
  marketer = await api.keyFor('marketer');
  engineer = await api.keyFor('data_engineer');
  s3 = await startS3Server();
  await s3.createBucket('exports');
  lr = await startSftpServer();
  fs.mkdirSync(path.join(lr.root, 'uploads'));
  p = await setUpProspects(api, 'Dlv', { token: engineer });
  await api.as(engineer).post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv(people)).expect(201);
  seoulId = (await api.as(marketer).post('/v1/audiences', { name: 'Seoul', rule: 'homeAddress.city = "Seoul"', status: 'published' }).expect(201)).body.id;
  const ev = await api.as(marketer).post(`/v1/audiences/${seoulId}/evaluations`, {}).expect(202);
  await eventually(async () => (await api.as(marketer).get(`/v1/audiences/${seoulId}/evaluations/${ev.body.id}`).expect(200)).body.status === 'success', 'evaluation');
}, 60_000);

afterAll(async () => {
  await api?.close();
  await s3?.stop();
  await lr?.stop();
});

describe('one run at a time; `once` means one delivery', () => {
  it.each(['liveramp', 's3'] as const)('%s: a hand-started run plus the once schedule gives exactly one file', async (kind) => {
    const tag = `ONCE${kind.toUpperCase()}`;
    const dest = kind === 'liveramp' ? await liveRampDestination(tag) : await s3Destination(tag);
    const created = await api
      .as(marketer)
      .post('/v1/activations', { name: `Once ${kind}`, destinationId: dest.id, audienceIds: [seoulId], schedule: { type: 'once' }, mapping: { identity: { namespace: p.namespaceCode, column: 'partner_id' } } })
      .expect(201);
    const id = created.body.activation.id;
    expect(created.body.activation.nextRunAt).not.toBeNull();

    const started = await api.as(marketer).post(`/v1/activations/${id}/runs`, {}).expect(202);
    // The hand-started run takes the schedule's place: no next run, and the tick queues nothing.
    expect((await activation(id)).nextRunAt).toBeNull();
    expect(await services().activation.queueDueRuns()).toBe(0);

    const done = await finished(id, started.body.id);
    expect({ status: done.status, error: done.error }).toEqual({ status: 'success', error: null });
    expect(await services().activation.queueDueRuns()).toBe(0);
    expect((await runs(id)).map((r) => r.id)).toEqual([started.body.id]);
    expect(await delivered(kind, tag)).toHaveLength(1);
  });

  it('a hand start while the scheduled once run is processing answers 409 with that run; the run delivers once', async () => {
    const dest = await liveRampDestination('BUSY1');
    const created = await api
      .as(marketer)
      .post('/v1/activations', { name: 'Once busy', destinationId: dest.id, audienceIds: [seoulId], schedule: { type: 'once' }, mapping: { identity: { namespace: p.namespaceCode, column: 'partner_id' } } })
      .expect(201);
    const id = created.body.activation.id;
    const release = holdLiveRampWrites();
    let scheduled = { id: '' };
    try {
      expect(await services().activation.queueDueRuns()).toBe(1);
      [scheduled] = await runs(id);
      expect(scheduled).toMatchObject({ trigger: 'schedule' });
      expect((await activation(id)).nextRunAt).toBeNull();
      await waitProcessing(id, scheduled.id);

      const refused = expectProblem(await api.as(marketer).post(`/v1/activations/${id}/runs`, {}), 409);
      expect(refused).toMatchObject({ runId: scheduled.id, runStatus: 'processing' });
      expect(refused.detail).toContain(scheduled.id);
    } finally {
      release();
    }
    const done = await finished(id, scheduled.id);
    expect(done.status).toBe('success');
    expect((await runs(id)).map((r) => r.id)).toEqual([scheduled.id]);
    expect(await delivered('liveramp', 'BUSY1')).toHaveLength(1);
    // Finished: a new hand-started run is welcome again (the schedule stays spent).
    expect((await run(id)).status).toBe('success');
    expect((await activation(id)).nextRunAt).toBeNull();
  });

  it('the daily tick and an evaluation skip an activation whose run is still processing', async () => {
    // Two destinations: LiveRamp file names carry only the destination and the second.
    const dest = await liveRampDestination('BUSY2');
    const other = await liveRampDestination('BUSY3');
    const daily = (
      await api
        .as(marketer)
        .post('/v1/activations', { name: 'Daily busy', destinationId: dest.id, audienceIds: [seoulId], schedule: { type: 'daily', at: '03:00' }, mapping: { identity: { namespace: p.namespaceCode, column: 'partner_id' } } })
        .expect(201)
    ).body.activation;
    const afterEvaluation = (
      await api
        .as(marketer)
        .post('/v1/activations', { name: 'After evaluation busy', destinationId: other.id, audienceIds: [seoulId], schedule: { type: 'after_evaluation' }, mapping: { identity: { namespace: p.namespaceCode, column: 'partner_id' } } })
        .expect(201)
    ).body.activation;
    const realNow = services().clock.now;
    const release = holdLiveRampWrites();
    let a = '';
    let b = '';
    try {
      a = (await api.as(marketer).post(`/v1/activations/${daily.id}/runs`, {}).expect(202)).body.id;
      b = (await api.as(marketer).post(`/v1/activations/${afterEvaluation.id}/runs`, {}).expect(202)).body.id;
      await waitProcessing(daily.id, a);
      await waitProcessing(afterEvaluation.id, b);

      // The daily slot comes while its run is processing: skipped, the next slot is the day after.
      const slot = Date.parse(daily.nextRunAt);
      services().clock.now = () => new Date(slot + 60_000);
      expect(await services().activation.queueDueRuns()).toBe(0);
      expect((await activation(daily.id)).nextRunAt).toBe(new Date(slot + 24 * 3600_000).toISOString());
      services().clock.now = realNow;

      // An evaluation ends while the after-evaluation run is processing: no second run.
      const ev = await api.as(marketer).post(`/v1/audiences/${seoulId}/evaluations`, {}).expect(202);
      await eventually(async () => (await services().jobs.get(EVALUATE_JOB, ev.body.id))?.status === 'completed', 'evaluation job with its hooks');
      expect((await runs(afterEvaluation.id)).map((r) => r.id)).toEqual([b]);
      expect((await runs(daily.id)).map((r) => r.id)).toEqual([a]);
    } finally {
      services().clock.now = realNow;
      release();
    }
    expect((await finished(daily.id, a)).status).toBe('success');
    expect((await finished(afterEvaluation.id, b)).status).toBe('success');
    expect(await delivered('liveramp', 'BUSY2')).toHaveLength(1);
    expect(await delivered('liveramp', 'BUSY3')).toHaveLength(1);
  });
});

describe('LiveRamp files', () => {
  it("the header's identifier column is the mapping's identity column", async () => {
    const dest = await liveRampDestination('HDR1');
    const created = await api
      .as(marketer)
      .post('/v1/activations', { name: 'Header', destinationId: dest.id, audienceIds: [seoulId], schedule: { type: 'after_evaluation' }, mapping: { identity: { namespace: p.namespaceCode, column: 'partner_id' } } })
      .expect(201);
    const done = await run(created.body.activation.id);
    expect(done.status).toBe('success');
    const lines = (await readOverSftp(done.files[0].name)).trim().split('\n');
    expect(lines[0]).toBe(`partner_id,${liveRampSegmentColumn(p.namespaceCode, seoulId)}`);
    expect(lines.slice(1).sort()).toEqual(['D1', 'D3', 'D5', 'D7'].map((x) => `${x},active`));
  });

  it('an identity column that would break the header line is refused (422 with its pointer); nothing is saved', async () => {
    const dest = await liveRampDestination('HDR2');
    const before = (await api.as(marketer).get('/v1/activations').expect(200)).body.items.length;
    for (const column of ['partner\r\nid', 'partner,id', 'partner"id', ' ', liveRampSegmentColumn(p.namespaceCode, seoulId)]) {
      const body = { name: 'Bad header', destinationId: dest.id, audienceIds: [seoulId], schedule: { type: 'after_evaluation' }, mapping: { identity: { namespace: p.namespaceCode, column } } };
      const refused = expectProblem(await api.as(marketer).post('/v1/activations', body), 422);
      expect(refused.errors).toEqual([expect.objectContaining({ pointer: '/mapping/identity/column', rule: 'liveramp-column' })]);
      expectProblem(await api.as(marketer).post('/v1/activations/dry-run', body), 422);
    }
    expect((await api.as(marketer).get('/v1/activations').expect(200)).body.items).toHaveLength(before);
  });

  it('LiveRamp takes people identities only: a non-people namespace is refused at the mapping (422); S3 takes it; the destination says what it accepts', async () => {
    await api.as(engineer).post('/v1/namespaces', { name: 'Store id', code: 'StoreId', type: 'non_people' }).expect(201);
    const dest = await liveRampDestination('IDNS1');
    expect(dest.acceptsIdentities).toEqual(['cookie', 'cross_device', 'device', 'email', 'phone', 'partner_id']);
    const body = { name: 'Stores', destinationId: dest.id, audienceIds: [seoulId], schedule: { type: 'after_evaluation' }, mapping: { identity: { namespace: 'StoreId', column: 'store_id' } } };
    for (const res of [await api.as(marketer).post('/v1/activations', body), await api.as(marketer).post('/v1/activations/dry-run', body)]) {
      const refused = expectProblem(res, 422);
      expect(refused.errors).toEqual([expect.objectContaining({ pointer: '/mapping/identity/namespace', rule: 'destination-identity' })]);
      expect(refused.detail).toContain('StoreId is a non_people namespace');
    }
    const toS3 = await s3Destination('IDNSS3');
    expect(toS3.acceptsIdentities).toContain('non_people');
    const dry = await api.as(marketer).post('/v1/activations/dry-run', { ...body, destinationId: toS3.id });
    expect(dry.body.errors ?? []).not.toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'destination-identity' })]));
  });

  it('attribute columns are refused for LiveRamp on create, dry-run and edit (422 /mapping/attributes); S3 keeps them', async () => {
    const dest = await liveRampDestination('ATTR1');
    const mapping = { identity: { namespace: p.namespaceCode, column: 'partner_id' }, attributes: [{ field: 'homeAddress.city', column: 'city' }] };
    const body = { name: 'With city', destinationId: dest.id, audienceIds: [seoulId], schedule: { type: 'after_evaluation' }, mapping };
    for (const res of [await api.as(marketer).post('/v1/activations', body), await api.as(marketer).post('/v1/activations/dry-run', body)]) {
      const refused = expectProblem(res, 422);
      expect(refused.errors).toEqual([expect.objectContaining({ pointer: '/mapping/attributes', rule: 'liveramp-identifier-only' })]);
    }
    const plain = (await api.as(marketer).post('/v1/activations', { ...body, mapping: { identity: mapping.identity } }).expect(201)).body.activation;
    const edit = expectProblem(await api.as(marketer).patch(`/v1/activations/${plain.id}`, { mapping }), 422);
    expect(edit.errors[0]).toMatchObject({ pointer: '/mapping/attributes' });
    expect((await activation(plain.id)).mapping).toEqual({ identity: mapping.identity });
    const toS3 = await s3Destination('ATTRS3');
    await api.as(marketer).post('/v1/activations', { ...body, name: 'With city to S3', destinationId: toS3.id }).expect(201);
  });

  it('an activation stored with LiveRamp attributes before this rule fails its next run with the reason, writing nothing', async () => {
    const dest = await liveRampDestination('ATTR2');
    const created = await api
      .as(marketer)
      .post('/v1/activations', { name: 'Legacy attributes', destinationId: dest.id, audienceIds: [seoulId], schedule: { type: 'after_evaluation' }, mapping: { identity: { namespace: p.namespaceCode, column: 'partner_id' } } })
      .expect(201);
    const id = created.body.activation.id;
    // What an older version let through (the API refuses it now).
    const legacy = { identity: { namespace: p.namespaceCode, column: 'partner_id' }, attributes: [{ field: 'homeAddress.city', column: 'city' }] };
    await api.db('activations').where({ id }).update({ mapping: JSON.stringify(legacy) });
    expect((await activation(id)).mapping).toEqual(legacy); // still readable
    const done = await run(id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/LiveRamp.*attributes/);
    expect(await delivered('liveramp', 'ATTR2')).toEqual([]);
  });

  it('a cell with CR/LF never reaches a LiveRamp file: a cookie id carrying a forged row stays one line', async () => {
    // First-party people with a web cookie id and an ad id; cookie ids keep inner line breaks.
    const as = api.as(engineer);
    await as.post('/v1/namespaces', { name: 'Web cookie', code: 'WebCookie', type: 'cookie' }).expect(201);
    const fg = await as
      .post('/v1/field-groups', { title: 'Web cookie', intendedToExtend: ['xdm:individual-profile'], definition: { web: { type: 'object', properties: { cookieId: { type: 'string' } } } } })
      .expect(201);
    const schema = await as
      .post('/v1/schemas', {
        title: 'Web visitors',
        classId: 'xdm:individual-profile',
        fieldGroupIds: ['fg:mobile-identifiers', fg.body.id],
        identities: [
          { fieldPath: 'web.cookieId', namespace: 'WebCookie', primary: true },
          { fieldPath: 'mobileIdentifiers.adid', namespace: 'GAID', primary: false },
        ],
      })
      .expect(201);
    await as.post(`/v1/schemas/${schema.body.id}/enable-profile`, {}).expect(200);
    const dataset = (await as.post('/v1/datasets', { name: 'Web visitors', schemaId: schema.body.id }).expect(201)).body;
    await as.post(`/v1/datasets/${dataset.id}/enable-profile`, {}).expect(200);
    const csv = `web.cookieId,mobileIdentifiers.adid\n"ck-1\r\nforged-id,active\rx\u2028y",${ADID(1)}\nck-2,${ADID(2)}\n`;
    const load = await as.post(`/v1/datasets/${dataset.id}/data?format=csv&errorThreshold=0`).set('Content-Type', 'text/csv').send(csv).expect(201);
    expect(load.body.status).toBe('success');

    const up = await api.as(marketer).post('/v1/targets/customer-files/uploads').set('Content-Type', 'text/csv').send(`adid\n${ADID(1)}\n${ADID(2)}\n`).expect(201);
    const file = (await api.as(marketer).post('/v1/targets/customer-files', { uploadId: up.body.id, name: 'Visitors' }).expect(201)).body;
    await eventually(async () => (await api.as(marketer).post(`/v1/targets/${file.id}/refresh`, {}).expect(200)).body.population.usable, 'customer file count', 20_000);

    const dest = await liveRampDestination('CRLF1');
    const created = await api
      .as(marketer)
      .post('/v1/activations', { name: 'Cookies to LiveRamp', destinationId: dest.id, targetIds: [file.id], schedule: { type: 'daily', at: '03:00' }, enabled: false, mapping: { identity: { namespace: 'WebCookie', column: 'cookie_id' } } })
      .expect(201);
    const done = await run(created.body.activation.id);
    expect({ status: done.status, error: done.error }).toEqual({ status: 'success', error: null });
    const text = await readOverSftp(done.files[0].name);
    expect(text).not.toMatch(/[\r\u000b\u000c\u0085\u2028\u2029]/);
    expect(text.split('\n')).toEqual([`cookie_id,${liveRampSegmentColumn('WebCookie', file.id)}`, '"ck-1  forged-id,active x y",active', 'ck-2,active', '']);
    expect(done.counts).toMatchObject({ received: 2, activated: 2 });
  });
});

describe('single-line cells, in the row encoder and in SQL', () => {
  const VALUES = ['a\r\nb', '\rlead', '=x\ny', 'v\u000bt\u000cf\u0085n\u2028l\u2029p', 'plain', '', '-1\n2', 'q"\n"'];

  it('the row encoder writes one line per record; PostgreSQL makes the same cells as COPY input', async () => {
    const chunks: Buffer[] = [];
    await pipeline(
      Readable.from(VALUES.map((v) => [v, 'active'])),
      createCsvEncoder({ columns: ['id\r\nx', 's'], singleLine: true, gzip: false }),
      new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }),
    );
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).not.toMatch(/[\r\u000b\u000c\u0085\u2028\u2029]/);
    expect(text.split('\n')).toHaveLength(VALUES.length + 2); // header, rows, and the final line feed
    expect(text.split('\n')[0]).toBe('id  x,s');

    const { rows } = await api.db.raw(`select ${csvCellSql('v', '', true)} as c from unnest(?::text[]) with ordinality as t(v, i) order by i`, [VALUES]);
    expect(rows.map((r: { c: string | null }) => r.c ?? '')).toEqual(VALUES.map((v) => neutraliseCell(oneLine(v))));
  });
});
