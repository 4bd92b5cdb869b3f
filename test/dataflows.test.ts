/**
 * Source connectors end to end: SFTP (in-process ssh2 server) and S3 (s3rver) dataflows ingest
 * partner files into a dataset exactly once per file, across reruns, overlapping runs, dropped
 * connections, a worker that died after loading but before recording the file, and one that died
 * while loading it (its claim is taken over at once; while its loader lives, never).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createKnex } from '../src/core/db';
import { WORK_LOCK_CLASS } from '../src/core/instances';
import { fileLockKey } from '../src/dataflows/ledger';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { prospectCsv, ProspectSetup, setUpProspects } from './helpers/prospects';
import { startS3Server, TestS3Server } from './setup/s3-server';
import { startSftpServer, TestSftpServer } from './setup/sftp-server';
import { startOpensshServer } from './setup/openssh-server';

let api: TestApi;
let sftp: TestSftpServer;
let s3: TestS3Server;
let p: ProspectSetup;

beforeAll(async () => {
  api = await startTestApi();
  api.runtime.services.dataflows.configure({ retryBaseMs: 10 });
  sftp = await startSftpServer();
  s3 = await startS3Server();
  p = await setUpProspects(api, 'Flow');
});
afterAll(async () => {
  await api.close();
  await sftp.stop();
  await s3.stop();
});

const rows = (prefix: string, n: number) => prospectCsv(Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, city: 'Seoul', age: 30 + (i % 40) })));

function putSftp(folder: string, name: string, body: string): void {
  fs.mkdirSync(path.join(sftp.root, folder), { recursive: true });
  fs.writeFileSync(path.join(sftp.root, folder, name), body);
}

async function putS3(bucket: string, key: string, body: string): Promise<void> {
  await s3.client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function sftpConnection(name: string, extra: Record<string, unknown> = {}) {
  const res = await api
    .as(p.token)
    .post('/v1/connections', {
      name,
      kind: 'sftp',
      settings: { host: sftp.host, port: sftp.port, username: sftp.user.username, hostKeyFingerprint: sftp.hostKeyFingerprint },
      credentials: { password: sftp.user.password },
      timeoutMs: 5000,
      ...extra,
    })
    .expect(201);
  return res.body;
}

async function runNow(flowId: string) {
  const started = await api.as(p.token).post(`/v1/dataflows/${flowId}/runs`, {}).expect(202);
  return waitForRun(flowId, started.body.id);
}

async function waitForRun(flowId: string, runId: string) {
  let status = '';
  return eventually(async () => {
    const res = await api.as(p.token).get(`/v1/dataflows/${flowId}/runs/${runId}`).expect(200);
    status = res.body.status;
    return status === 'success' || status === 'failed' ? res.body : undefined;
  }, () => `run ${runId} to finish (still ${status})`, 20_000, 50);
}

async function datasetRecords(datasetId: string): Promise<number> {
  return (await api.as(p.token).get(`/v1/datasets/${datasetId}`).expect(200)).body.counts.records;
}

async function newDataset(tag: string): Promise<string> {
  const ds = await api.as(p.token).post('/v1/datasets', { name: `Flow target ${tag}`, schemaId: p.schemaId }).expect(201);
  await api.as(p.token).post(`/v1/datasets/${ds.body.id}/enable-profile`, {}).expect(200);
  return ds.body.id;
}

describe('SFTP source', () => {
  it('tests the connection with a clear reason and never returns the password', async () => {
    const conn = await sftpConnection('Partner SFTP');
    expect(JSON.stringify(conn)).not.toContain(sftp.user.password);
    expect(conn.credentialsSet).toEqual(['password']);
    putSftp('in', 'probe.csv', rows('Z', 1));
    const ok = await api.as(p.token).post(`/v1/connections/${conn.id}/test`, { folder: '/in' }).expect(200);
    expect(ok.body.ok).toBe(true);
    const missing = await api.as(p.token).post(`/v1/connections/${conn.id}/test`, { folder: '/nope' }).expect(200);
    expect(missing.body).toMatchObject({ ok: false, reason: 'no_such_folder' });
    const bad = await sftpConnection('Wrong password', { credentials: { password: 'wrong' } });
    const denied = await api.as(p.token).post(`/v1/connections/${bad.id}/test`, { folder: '/in' }).expect(200);
    expect(denied.body).toMatchObject({ ok: false, reason: 'auth_failed' });
    const stored = await api.db('connections').where({ id: conn.id }).first();
    expect(JSON.stringify(stored)).not.toContain(sftp.user.password);
    const audit = await api.as(api.adminToken).get(`/v1/audit-log?resourceId=${conn.id}`).expect(200);
    expect(JSON.stringify(audit.body)).not.toContain(sftp.user.password);
    fs.rmSync(path.join(sftp.root, 'in', 'probe.csv'));
  });

  it('ingests two files, then on the next run only the newly added third file', async () => {
    const datasetId = await newDataset('sftp');
    const conn = await sftpConnection('Partner SFTP 2');
    putSftp('drop', 'prospects_1.csv', rows('SA', 10));
    putSftp('drop', 'prospects_2.csv', rows('SB', 5));
    putSftp('drop', 'readme.txt', 'not a data file');
    const flow = await api
      .as(p.token)
      .post('/v1/dataflows', {
        name: 'Nightly SFTP',
        connectionId: conn.id,
        datasetId,
        folder: '/drop',
        pattern: 'prospects_*.csv',
        format: { format: 'csv' },
        schedule: { frequency: 'day', interval: 1 },
        backfill: true,
      })
      .expect(201);
    const first = await runNow(flow.body.id);
    expect(first).toMatchObject({ status: 'success', counts: { filesFound: 2, filesIngested: 2, input: 15, output: 15, failed: 0 } });
    expect(first.files.map((f: any) => f.status)).toEqual(['ingested', 'ingested']);

    putSftp('drop', 'prospects_3.csv', rows('SC', 3));
    const second = await runNow(flow.body.id);
    expect(second).toMatchObject({ status: 'success', counts: { filesFound: 3, filesIngested: 1, output: 3 } });
    expect(second.files.map((f: any) => path.basename(f.path))).toEqual(['prospects_3.csv']);
    expect(await datasetRecords(datasetId)).toBe(18);
    await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/SC2`).expect(200);
  });

  it('overlapping runs load each file once', async () => {
    const datasetId = await newDataset('overlap');
    const conn = await sftpConnection('Partner SFTP 3');
    putSftp('overlap', 'a.csv', rows('OA', 50));
    putSftp('overlap', 'b.csv', rows('OB', 50));
    const flow = await api
      .as(p.token)
      .post('/v1/dataflows', { name: 'Overlap', connectionId: conn.id, datasetId, folder: '/overlap', format: { format: 'csv' }, schedule: { frequency: 'hour' }, backfill: true })
      .expect(201);
    const [r1, r2] = await Promise.all([
      api.as(p.token).post(`/v1/dataflows/${flow.body.id}/runs`, {}).expect(202),
      api.as(p.token).post(`/v1/dataflows/${flow.body.id}/runs`, {}).expect(202),
    ]);
    const done = await Promise.all([waitForRun(flow.body.id, r1.body.id), waitForRun(flow.body.id, r2.body.id)]);
    expect(done[0].counts.filesIngested + done[1].counts.filesIngested).toBe(2);
    expect(await datasetRecords(datasetId)).toBe(100);
  });

  it('a connection dropped mid-file loads nothing of it; the next run loads it once', async () => {
    const datasetId = await newDataset('drop');
    const conn = await sftpConnection('Flaky SFTP');
    putSftp('flaky', 'big.csv', rows('FB', 30_000)); // ~600 KB: several SFTP reads
    const flow = await api
      .as(p.token)
      .post('/v1/dataflows', { name: 'Flaky', connectionId: conn.id, datasetId, folder: '/flaky', format: { format: 'csv' }, schedule: { frequency: 'hour' }, backfill: true })
      .expect(201);
    sftp.faults.dropAfterBytes = 200_000; // the server reads this object on every READ
    let broken;
    try {
      broken = await runNow(flow.body.id);
    } finally {
      sftp.faults.dropAfterBytes = undefined;
    }
    expect(broken.status).toBe('failed');
    expect(broken.files[0]).toMatchObject({ status: 'retry', attempts: 1 });
    expect(broken.error).toMatch(/big\.csv/);
    expect(await datasetRecords(datasetId)).toBe(0);

    const again = await runNow(flow.body.id);
    // The ledger is part of the comparison so a failure shows why the file was (not) taken.
    const ledger = await api.db('dataflow_files').where({ dataflow_id: flow.body.id }).select('status', 'attempts', 'error', 'fingerprint');
    expect({ again, ledger }).toMatchObject({ again: { status: 'success', counts: { filesIngested: 1, output: 30_000 } }, ledger: [{ status: 'ingested', attempts: 2 }] });
    expect(await datasetRecords(datasetId)).toBe(30_000);
    const third = await runNow(flow.body.id);
    expect(third.counts.filesIngested).toBe(0);
    expect(await datasetRecords(datasetId)).toBe(30_000);
  });

  it('a worker that died after loading a file is not loaded twice', async () => {
    const datasetId = await newDataset('crash');
    const conn = await sftpConnection('Crash SFTP');
    putSftp('crash', 'c.csv', rows('CR', 7));
    const flow = await api
      .as(p.token)
      .post('/v1/dataflows', { name: 'Crash', connectionId: conn.id, datasetId, folder: '/crash', format: { format: 'csv' }, schedule: { frequency: 'hour' }, backfill: true })
      .expect(201);
    await runNow(flow.body.id);
    // Rewind the ledger to the moment between "batch succeeded" and "file recorded"; its loader is gone (no lock held).
    await api.db('dataflow_files').where({ dataflow_id: flow.body.id }).update({ status: 'processing' });
    const next = await runNow(flow.body.id);
    expect(next.files).toEqual([expect.objectContaining({ status: 'ingested' })]);
    expect(await datasetRecords(datasetId)).toBe(7);
    const batches = await api.as(p.token).get(`/v1/datasets/${datasetId}/batches`).expect(200);
    expect(batches.body.items.filter((b: any) => b.status === 'success')).toHaveLength(1);
  });

  /** What a loader that died mid-file leaves: its claim (with a lease when written by an earlier version) and a loading batch holding part of the file. */
  async function killedMidFile(tag: string, lease: Date | null) {
    const datasetId = await newDataset(tag);
    const conn = await sftpConnection(`Killed SFTP ${tag}`);
    putSftp(tag, 'k.csv', rows('KL', 9));
    const flow = await api
      .as(p.token)
      // First scheduled run in an hour: the scheduler's tick must not load the file before the claim is in place.
      .post('/v1/dataflows', {
        name: `Killed ${tag}`,
        connectionId: conn.id,
        datasetId,
        folder: `/${tag}`,
        format: { format: 'csv' },
        schedule: { frequency: 'hour', startAt: new Date(Date.now() + 3600_000).toISOString() },
        backfill: true,
      })
      .expect(201);
    const half = await api.as(p.token).post(`/v1/datasets/${datasetId}/batches`, { format: 'csv' }).expect(201);
    await api.as(p.token).put(`/v1/batches/${half.body.id}/files/k.csv`).set('Content-Type', 'text/csv').send(rows('KL', 4)).expect(200);
    const stat = fs.statSync(path.join(sftp.root, tag, 'k.csv'));
    const [claim] = await api
      .db('dataflow_files')
      .insert({
        ad_account_id: api.adAccountId,
        dataflow_id: flow.body.id,
        path: `/${tag}/k.csv`,
        fingerprint: `${stat.size}:${Math.floor(stat.mtimeMs / 1000) * 1000}`,
        size: stat.size,
        modified_at: stat.mtime,
        status: 'processing',
        batch_id: half.body.id,
        attempts: 1,
        lease_until: lease,
      })
      .returning('*');
    const listed = await api.as(p.token).post(`/v1/connections/${conn.id}/test`, { folder: `/${tag}` }).expect(200);
    expect(listed.body.sample[0].fingerprint).toBe(claim.fingerprint); // the claim is on the version the run will see
    return { datasetId, flowId: flow.body.id as string, halfBatchId: half.body.id as string, claim };
  }

  it('a loader killed mid-file: while it lives the file is skipped; once its process is gone the next run loads it once', async () => {
    const { datasetId, flowId, halfBatchId, claim } = await killedMidFile('killed', null);
    // The loader's liveness: its process holds the file's work lock on a connection of its own.
    const loader = createKnex(api.databaseUrl, 1);
    try {
      await loader.raw('select pg_advisory_lock(?, ?)', [WORK_LOCK_CLASS, fileLockKey(flowId, claim)]);
      const blocked = await runNow(flowId);
      expect(blocked).toMatchObject({ status: 'success', counts: { filesIngested: 0 } });
      expect(await datasetRecords(datasetId)).toBe(0);
      expect((await api.as(p.token).get(`/v1/batches/${halfBatchId}`)).body.status).toBe('loading');
    } finally {
      await loader.destroy(); // the process dies: PostgreSQL frees its lock with its connection
    }
    const next = await runNow(flowId);
    expect(next).toMatchObject({ status: 'success', counts: { filesIngested: 1, output: 9 } });
    expect(next.files).toEqual([expect.objectContaining({ status: 'ingested', attempts: 2 })]);
    expect((await api.as(p.token).get(`/v1/batches/${halfBatchId}`)).body.status).toBe('aborted');
    expect(await datasetRecords(datasetId)).toBe(9);
    const batches = (await api.as(p.token).get(`/v1/datasets/${datasetId}/batches`).expect(200)).body.items;
    expect(batches.filter((b: { status: string }) => b.status === 'success')).toHaveLength(1);
  });

  it('a claim an earlier version left with a lease is skipped while the lease lasts, then loaded once', async () => {
    const { datasetId, flowId, halfBatchId, claim } = await killedMidFile('leased', new Date(Date.now() + 60_000));
    const blocked = await runNow(flowId);
    expect(blocked.counts.filesIngested).toBe(0);
    expect(await datasetRecords(datasetId)).toBe(0);

    // Once the lease has run out, the next run aborts the half batch and loads the file once.
    await api.db('dataflow_files').where({ id: claim.id }).update({ lease_until: new Date(Date.now() - 1000) });
    const next = await runNow(flowId);
    expect(next).toMatchObject({ status: 'success', counts: { filesIngested: 1, output: 9 } });
    expect((await api.as(p.token).get(`/v1/batches/${halfBatchId}`)).body.status).toBe('aborted');
    expect(await datasetRecords(datasetId)).toBe(9);
  });

  it('runs on schedule: the scheduler queues due dataflows only', async () => {
    const datasetId = await newDataset('sched');
    const conn = await sftpConnection('Sched SFTP');
    putSftp('sched', 's.csv', rows('SS', 2));
    const startAt = new Date(Date.now() + 3600_000).toISOString();
    const flow = await api
      .as(p.token)
      .post('/v1/dataflows', { name: 'Sched', connectionId: conn.id, datasetId, folder: '/sched', format: { format: 'csv' }, schedule: { frequency: 'minute', interval: 15, startAt }, backfill: true })
      .expect(201);
    expect(flow.body.nextRunAt).toBe(startAt);
    const services = api.runtime.services;
    await services.dataflows.queueDueRuns();
    expect((await api.as(p.token).get(`/v1/dataflows/${flow.body.id}/runs`).expect(200)).body.items).toHaveLength(0);
    const realNow = services.clock.now;
    services.clock.now = () => new Date(Date.parse(startAt) + 1000);
    try {
      await services.dataflows.queueDueRuns();
    } finally {
      services.clock.now = realNow;
    }
    const runs = (await api.as(p.token).get(`/v1/dataflows/${flow.body.id}/runs`).expect(200)).body.items;
    expect(runs).toHaveLength(1);
    expect(runs[0].trigger).toBe('schedule');
    await waitForRun(flow.body.id, runs[0].id);
    const after = await api.as(p.token).get(`/v1/dataflows/${flow.body.id}`).expect(200);
    expect(after.body.nextRunAt).toBe(new Date(Date.parse(startAt) + 15 * 60_000).toISOString());
  });

  it('refuses schedules under 15 minutes and other accounts\' connections', async () => {
    const conn = await sftpConnection('Rules SFTP');
    const body = expectProblem(
      await api.as(p.token).post('/v1/dataflows', { name: 'Too often', connectionId: conn.id, datasetId: p.datasetId, folder: '/in', format: { format: 'csv' }, schedule: { frequency: 'minute', interval: 5 } }),
      422,
    );
    expect(body.errors[0].pointer).toBe('/schedule/interval');
    // Stored credentials never follow a connection to another host; settings are checked per kind.
    const moved = expectProblem(await api.as(p.token).patch(`/v1/connections/${conn.id}`, { settings: { host: 'elsewhere.example' } }), 422);
    expect(moved.errors[0]).toMatchObject({ pointer: '/credentials', rule: 'required-on-retarget' });
    const badPort = expectProblem(await api.as(p.token).patch(`/v1/connections/${conn.id}`, { settings: { port: 0 }, credentials: { password: 'x' } }), 400);
    expect(badPort.errors[0].pointer).toBe('/settings/port');
    const other = await api.otherAccount();
    expectProblem(await api.as(other.adminToken).get(`/v1/connections/${conn.id}`), 404);
    expectProblem(await api.as(other.adminToken).post(`/v1/connections/${conn.id}/test`, {}), 404);
    const governance = await api.keyFor('governance');
    expectProblem(await api.as(governance).post('/v1/connections', { name: 'gov', kind: 's3', settings: { region: 'x', bucket: 'bucket' }, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), 403);
  });
});

describe('S3 source', () => {
  it('ingests two objects, then only the newly added third one', async () => {
    await s3.createBucket('partner-drop');
    const datasetId = await newDataset('s3');
    await putS3('partner-drop', 'acme/2026-11-01.csv', rows('KA', 4));
    await putS3('partner-drop', 'acme/2026-11-02.csv', rows('KB', 6));
    await putS3('partner-drop', 'other/ignored.csv', rows('KX', 6));
    const conn = await api
      .as(p.token)
      .post('/v1/connections', {
        name: 'Partner S3',
        kind: 's3',
        settings: { region: s3.region, endpoint: s3.endpoint, bucket: 'partner-drop' },
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      })
      .expect(201);
    expect(JSON.stringify(conn.body)).not.toContain(s3.secretAccessKey === 'S3RVER' ? '"S3RVER"' : s3.secretAccessKey);
    const test = await api.as(p.token).post(`/v1/connections/${conn.body.id}/test`, { folder: 'acme/' }).expect(200);
    expect(test.body.ok).toBe(true);
    const flow = await api
      .as(p.token)
      .post('/v1/dataflows', { name: 'S3 daily', connectionId: conn.body.id, datasetId, folder: 'acme/', pattern: '*.csv', format: { format: 'csv' }, schedule: { frequency: 'day' }, backfill: true })
      .expect(201);
    const first = await runNow(flow.body.id);
    expect(first).toMatchObject({ status: 'success', counts: { filesFound: 2, filesIngested: 2, output: 10 } });
    await putS3('partner-drop', 'acme/2026-11-03.csv', rows('KC', 2));
    const second = await runNow(flow.body.id);
    expect(second).toMatchObject({ status: 'success', counts: { filesFound: 3, filesIngested: 1, output: 2 } });
    expect(await datasetRecords(datasetId)).toBe(12);

    const wrong = await api
      .as(p.token)
      .post('/v1/connections', {
        name: 'Wrong S3',
        kind: 's3',
        settings: { region: s3.region, endpoint: s3.endpoint, bucket: 'partner-drop' },
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: 'not-the-secret' },
      })
      .expect(201);
    const denied = await api.as(p.token).post(`/v1/connections/${wrong.body.id}/test`, { folder: 'acme/' }).expect(200);
    expect(denied.body).toMatchObject({ ok: false, reason: 'auth_failed' });
  });
});

describe('OpenSSH SFTP source (what partners run)', () => {
  let openssh: Awaited<ReturnType<typeof startOpensshServer>>;
  beforeAll(async () => {
    openssh = await startOpensshServer();
  }, 240_000);
  afterAll(async () => openssh?.stop());

  it('a key-authenticated dataflow ingests two files, then only the new third one', async () => {
    const datasetId = await newDataset('openssh');
    const folder = path.join(openssh.home, 'outbox');
    fs.mkdirSync(folder, { recursive: true });
    const write = (name: string, body: string) => {
      fs.writeFileSync(path.join(folder, name), body);
      fs.chmodSync(path.join(folder, name), 0o644);
    };
    fs.chmodSync(folder, 0o755);
    write('p1.csv', rows('OS1-', 3));
    write('p2.csv', rows('OS2-', 4));
    const conn = await api
      .as(p.token)
      .post('/v1/connections', {
        name: 'Partner OpenSSH',
        kind: 'sftp',
        settings: { host: openssh.host, port: openssh.port, username: openssh.username, hostKeyFingerprint: openssh.hostKeyFingerprint },
        credentials: { privateKey: openssh.privateKey, passphrase: openssh.passphrase },
      })
      .expect(201);
    expect(conn.body.credentialsSet.sort()).toEqual(['passphrase', 'privateKey']);
    const flow = await api
      .as(p.token)
      .post('/v1/dataflows', { name: 'OpenSSH daily', connectionId: conn.body.id, datasetId, folder, pattern: '*.csv', format: { format: 'csv' }, schedule: { frequency: 'day' }, backfill: true })
      .expect(201);
    const first = await runNow(flow.body.id);
    expect(first).toMatchObject({ status: 'success', counts: { filesFound: 2, filesIngested: 2, output: 7 } });
    write('p3.csv', rows('OS3-', 2));
    const second = await runNow(flow.body.id);
    expect(second).toMatchObject({ status: 'success', counts: { filesFound: 3, filesIngested: 1, output: 2 } });
    expect(await datasetRecords(datasetId)).toBe(9);
  });
});
