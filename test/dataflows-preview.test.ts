/**
 * The dataflow wizard's preview of a remote file (POST /v1/connections/:id/preview), through the
 * same SFTP and S3 connectors a run uses: the columns and first rows of CSV, gzip and JSON lines;
 * bounded reads of large files; a missing or unreadable file answered with its reason; bad paths
 * refused at the field; other accounts' connections not found; marketers not allowed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { startS3Server, TestS3Server } from './setup/s3-server';
import { startSftpServer, TestSftpServer } from './setup/sftp-server';

let api: TestApi;
let sftp: TestSftpServer;
let s3: TestS3Server;
let sftpId: string;
let s3Id: string;
const BUCKET = 'partner-drop';

beforeAll(async () => {
  api = await startTestApi();
  sftp = await startSftpServer();
  s3 = await startS3Server();
  const as = api.as(api.adminToken);
  sftpId = (
    await as
      .post('/v1/connections', {
        name: 'Partner SFTP',
        kind: 'sftp',
        settings: { host: sftp.host, port: sftp.port, username: sftp.user.username, hostKeyFingerprint: sftp.hostKeyFingerprint },
        credentials: { password: sftp.user.password },
        timeoutMs: 5000,
      })
      .expect(201)
  ).body.id;
  await s3.createBucket(BUCKET);
  s3Id = (
    await as
      .post('/v1/connections', {
        name: 'Partner S3',
        kind: 's3',
        settings: { region: s3.region, endpoint: s3.endpoint, bucket: BUCKET },
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        timeoutMs: 5000,
      })
      .expect(201)
  ).body.id;
}, 60_000);
afterAll(async () => {
  await api.close();
  await sftp.stop();
  await s3.stop();
});

function putSftp(rel: string, body: string | Buffer): void {
  fs.mkdirSync(path.dirname(path.join(sftp.root, rel)), { recursive: true });
  fs.writeFileSync(path.join(sftp.root, rel), body);
}
/** A problem+json naming the field (and the rule, when given). */
async function refused(res: Promise<import('supertest').Response>, status: number, field?: { pointer: string; rule?: string }): Promise<void> {
  const body = expectProblem(await res, status);
  if (field) expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining(field)]));
}
const preview = (connectionId: string, body: object) => api.as(api.adminToken).post(`/v1/connections/${connectionId}/preview`, body);
const csvRows = (n: number) => ['partnerID,homeAddress.city,consumer.age', ...Array.from({ length: n }, (_, i) => `P${i},"Seoul, Gangnam",${30 + i}`)].join('\r\n') + '\r\n';

it('shows a CSV file’s header and first rows as the partner wrote them, and says when there are more', async () => {
  putSftp('in/small.csv', csvRows(3));
  putSftp('in/large.csv', csvRows(25));
  const small = (await preview(sftpId, { path: 'in/small.csv' }).expect(200)).body;
  expect(small).toEqual({
    ok: true,
    path: 'in/small.csv',
    format: { format: 'csv', compression: 'none' },
    columns: ['partnerID', 'homeAddress.city', 'consumer.age'],
    rows: [['P0', 'Seoul, Gangnam', '30'], ['P1', 'Seoul, Gangnam', '31'], ['P2', 'Seoul, Gangnam', '32']],
    truncated: false,
    bytesRead: Buffer.byteLength(csvRows(3)),
    invalidUtf8: false,
  });
  const large = (await preview(sftpId, { path: 'in/large.csv' }).expect(200)).body;
  expect(large.rows).toHaveLength(10);
  expect(large.rows[9][0]).toBe('P9');
  expect(large.truncated).toBe(true);
});

it('reads gzip and JSON lines from S3: nested records as the dotted fields a mapping uses', async () => {
  await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'drops/prospects.csv.gz', Body: gzipSync(csvRows(2)) }));
  const gz = (await preview(s3Id, { path: 'drops/prospects.csv.gz' }).expect(200)).body;
  expect(gz).toMatchObject({ ok: true, format: { format: 'csv', compression: 'gzip' }, columns: ['partnerID', 'homeAddress.city', 'consumer.age'], rows: [['P0', 'Seoul, Gangnam', '30'], ['P1', 'Seoul, Gangnam', '31']] });
  const lines = [{ partnerID: 'P1', homeAddress: { city: '서울' }, consumer: { interests: ['travel'] } }, { partnerID: 'P2', consumer: { age: 41 } }];
  await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'drops/prospects.jsonl', Body: lines.map((l) => JSON.stringify(l)).join('\n') }));
  const jsonl = (await preview(s3Id, { path: 'drops/prospects.jsonl' }).expect(200)).body;
  expect(jsonl).toMatchObject({
    ok: true,
    format: { format: 'jsonl', compression: 'none' },
    columns: ['partnerID', 'homeAddress.city', 'consumer.interests', 'consumer.age'],
    rows: [['P1', '서울', '["travel"]', ''], ['P2', '', '', '41']],
  });
  // The format the person chose wins over the name: a semicolon file read with its delimiter.
  putSftp('in/semicolon.txt', 'a;b\n1;2\n');
  expect((await preview(sftpId, { path: 'in/semicolon.txt', format: { format: 'csv', delimiter: ';' } }).expect(200)).body).toMatchObject({ columns: ['a', 'b'], rows: [['1', '2']] });
});

it('reads at most 1 MiB of a large file and cuts long cells', async () => {
  const long = 'x'.repeat(5000);
  const body = ['id,notes', ...Array.from({ length: 1000 }, (_, i) => `${i},${long}`)].join('\n') + '\n'; // ~5 MB
  putSftp('in/big.csv', body);
  const res = (await preview(sftpId, { path: 'in/big.csv' }).expect(200)).body;
  expect(res.bytesRead).toBeLessThanOrEqual(1024 * 1024);
  expect(res.truncated).toBe(true);
  expect(res.rows).toHaveLength(10);
  expect(res.rows[0][1]).toHaveLength(200);
  expect(res.rows[0][1].endsWith('…')).toBe(true);
});

it('answers a missing, unreadable or mis-declared file with its reason, never a server error', async () => {
  const missing = (await preview(sftpId, { path: 'in/nope.csv' }).expect(200)).body;
  expect(missing).toMatchObject({ ok: false, reason: 'no_such_folder' });
  expect(missing.message).toContain('nope.csv');
  const missingS3 = (await preview(s3Id, { path: 'drops/nope.csv' }).expect(200)).body;
  expect(missingS3).toMatchObject({ ok: false, reason: 'no_such_folder' });
  putSftp('in/broken.jsonl', '{"partnerID":"P1"}\n{"partnerID":\n');
  expect((await preview(sftpId, { path: 'in/broken.jsonl' }).expect(200)).body).toMatchObject({ ok: false, reason: 'unreadable', message: expect.stringContaining('line 2 is not JSON') });
  putSftp('in/unclosed.csv', 'a,b\n1,"never closed\n');
  expect((await preview(sftpId, { path: 'in/unclosed.csv' }).expect(200)).body).toMatchObject({ ok: false, reason: 'unreadable', message: expect.stringContaining('never closed') });
  expect((await preview(sftpId, { path: 'in/small.csv', format: { format: 'csv', compression: 'gzip' } }).expect(200)).body).toMatchObject({ ok: false, reason: 'unreadable', message: expect.stringContaining('not gzip-compressed') });
  putSftp('in/empty.csv', '');
  expect((await preview(sftpId, { path: 'in/empty.csv' }).expect(200)).body).toMatchObject({ ok: false, reason: 'unreadable', message: expect.stringContaining('empty') });
  const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
  putSftp('in/deep.jsonl', deep + '\n');
  expect((await preview(sftpId, { path: 'in/deep.jsonl' }).expect(200)).body).toMatchObject({ ok: false, reason: 'unreadable', message: expect.stringContaining('nested') });
});

it('refuses paths that leave the folder, folders and bad formats at the field', async () => {
  await refused(preview(sftpId, { path: 'in/../../etc/passwd' }), 422, { pointer: '/path', rule: 'dot-segment' });
  await refused(preview(s3Id, { path: '/drops/prospects.csv' }), 422, { pointer: '/path', rule: 'leading-slash' });
  await refused(preview(sftpId, { path: 'in/' }), 422, { pointer: '/path', rule: 'file' });
  await refused(preview(sftpId, { path: 'in/a\u0000.csv' }), 422, { pointer: '/path' });
  await refused(preview(sftpId, { path: 'in/small.csv', format: { format: 'csv', delimiter: 'ab' } }), 422, { pointer: '/format/delimiter' });
  await refused(preview(sftpId, { path: '' }), 400, { pointer: '/path' });
});

it('keeps connections to their ad account and partner files to data engineers', async () => {
  const other = await api.otherAccount();
  await refused(api.as(other.adminToken).post(`/v1/connections/${sftpId}/preview`, { path: 'in/small.csv' }), 404);
  const marketer = await api.keyFor('marketer');
  await refused(api.as(marketer).post(`/v1/connections/${sftpId}/preview`, { path: 'in/small.csv' }), 403);
});
