/**
 * The S3 source connector against a real S3 emulator (s3rver, with SigV4 checking added by the
 * test server). No mocks.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createS3Source, S3SourceOptions } from '../connectors/s3';
import { ConnectorError, S3Spec, SourceConnector } from '../connectors/types';
import { globToRegExp } from '../connectors/util';
import { freePort } from './setup/servers';
import { startS3Server, TestS3Server } from './setup/s3-server';
import { startFaultProxy, startSilentServer } from './setup/sftp-server';

const BUCKET = 'partner-drop';
const T0 = 1_700_000_000_000;
const FILE = randomBytes(8 * 1024 * 1024);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

let s3: TestS3Server;
let sdk: S3Client;
const connectors: SourceConnector[] = [];

function source(overrides: Partial<S3Spec> = {}, opts: S3SourceOptions = {}): SourceConnector {
  const c = createS3Source(
    { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region, endpoint: s3.endpoint, bucket: BUCKET, timeoutMs: 5_000, ...overrides },
    opts,
  );
  connectors.push(c);
  return c;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function rejection(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError);
    return err as ConnectorError;
  }
  throw new Error('expected a rejection');
}

async function put(key: string, body: string | Buffer, modifiedAt?: number): Promise<void> {
  await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: Buffer.byteLength(body) }));
  if (modifiedAt !== undefined) await s3.setLastModified(BUCKET, key, new Date(modifiedAt));
}

beforeAll(async () => {
  s3 = await startS3Server();
  sdk = s3.client();
  await s3.createBucket(BUCKET);
  await put('in/', ''); // a console-made "folder" object
  await put('in/a.csv', 'id,email\n1,a@example.com\n', T0 + 300_000);
  await put('in/b.csv', 'id,email\n2,b@example.com\n', T0 + 100_000);
  await put('in/c.txt', 'not data', T0);
  await put('in/prospects_20240101.csv.gz', Buffer.from([0x1f, 0x8b, 0]), T0 + 200_000);
  await put('in/sub/d.csv', 'id\n4\n', T0 + 50_000);
  await put('other/x.csv', 'id\n9\n', T0);
  await put('big/prospects.bin', FILE, T0);
  await Promise.all(Array.from({ length: 25 }, (_, i) => put(`many/file-${String(i).padStart(3, '0')}.csv`, `row ${i}\n`, T0)));
});

afterEach(async () => {
  await Promise.all(connectors.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await s3?.stop();
});

describe('S3 source', () => {
  it('lists the objects directly under a prefix, filtered by a glob on the base name, oldest first', async () => {
    const c = source();
    const csv = await c.list('in', { pattern: '*.csv' });
    expect(csv).toEqual([
      { path: 'in/b.csv', size: 25, modifiedAt: new Date(T0 + 100_000), etag: md5('id,email\n2,b@example.com\n'), fingerprint: md5('id,email\n2,b@example.com\n') },
      { path: 'in/a.csv', size: 25, modifiedAt: new Date(T0 + 300_000), etag: md5('id,email\n1,a@example.com\n'), fingerprint: md5('id,email\n1,a@example.com\n') },
    ]);
    for (const folder of ['in/', '/in', '/in/']) expect((await c.list(folder, { pattern: '*.csv' })).map((f) => f.path)).toEqual(['in/b.csv', 'in/a.csv']);
    expect((await c.list('in', { pattern: 'prospects_*.csv.gz' })).map((f) => f.path)).toEqual(['in/prospects_20240101.csv.gz']);
    expect((await c.list('in')).map((f) => f.path)).toEqual(['in/c.txt', 'in/b.csv', 'in/prospects_20240101.csv.gz', 'in/a.csv']);
    expect((await c.list('in', { pattern: '*.csv', recursive: true })).map((f) => f.path)).toEqual(['in/sub/d.csv', 'in/b.csv', 'in/a.csv']);
  });

  it('pages through ListObjectsV2 with continuation tokens', async () => {
    const c = source({}, { pageSize: 4 });
    s3.requests.length = 0;
    const files = await c.list('many', { pattern: '*.csv' });
    expect(files.map((f) => f.path)).toEqual(Array.from({ length: 25 }, (_, i) => `many/file-${String(i).padStart(3, '0')}.csv`));
    const pages = s3.requests.filter((r) => r.startsWith(`GET /${BUCKET}`) && r.includes('list-type=2'));
    expect(pages).toHaveLength(7);
    expect(pages.slice(1).every((r) => r.includes('continuation-token='))).toBe(true);
    expect(pages.every((r) => r.includes('max-keys=4'))).toBe(true);
  });

  it('streams an object byte-identical', async () => {
    const c = source();
    const [file] = await c.list('big');
    expect(file).toMatchObject({ path: 'big/prospects.bin', size: FILE.length, etag: md5(FILE) });
    const got = await collect(await c.open(file!));
    expect(got.length).toBe(FILE.length);
    expect(sha256(got)).toBe(sha256(FILE));
  });

  it('reads back byte-identical what the SDK uploaded (multipart from a stream, no aws-chunked framing)', async () => {
    const body = randomBytes(11 * 1024 * 1024 + 123);
    const upload = new Upload({
      client: sdk,
      params: { Bucket: BUCKET, Key: 'uploads/multi.bin', Body: Readable.from([body.subarray(0, 3_000_000), body.subarray(3_000_000)]) },
      partSize: 5 * 1024 * 1024,
      queueSize: 2,
    });
    s3.requests.length = 0;
    await upload.done();
    expect(s3.requests.filter((r) => r.startsWith(`PUT /${BUCKET}/uploads/multi.bin?`) && r.includes('partNumber='))).toHaveLength(3);
    await put('uploads/small.csv', 'id\n1\n');
    const c = source();
    const files = await c.list('uploads');
    expect(files.map((f) => [f.path, f.size])).toEqual(
      expect.arrayContaining([
        ['uploads/multi.bin', body.length],
        ['uploads/small.csv', 5],
      ]),
    );
    const multi = files.find((f) => f.path === 'uploads/multi.bin')!;
    expect(multi.fingerprint).toBe(multi.etag);
    expect(sha256(await collect(await c.open(multi)))).toBe(sha256(body));
    expect((await collect(await c.open(files.find((f) => f.path === 'uploads/small.csv')!))).toString()).toBe('id\n1\n');
  });

  it('tests a connection: lists the folder and reads the newest file', async () => {
    const res = await source().test('in');
    expect(res).toEqual({ ok: true, detail: expect.stringContaining(`listed s3://${BUCKET}/in/`), sample: expect.any(Array) });
    if (res.ok) {
      expect(res.detail).toContain('read in/a.csv');
      expect(res.sample.map((f) => f.path)).toEqual(['in/c.txt', 'in/b.csv', 'in/prospects_20240101.csv.gz', 'in/a.csv']);
    }
    expect(await source().test('empty/')).toMatchObject({ ok: true, detail: expect.stringContaining('no files yet'), sample: [] });
  });

  it('reports a wrong secret key as auth_failed', async () => {
    const c = source({ secretAccessKey: 'not-the-secret' });
    const err = await rejection(c.list('in'));
    expect(err).toMatchObject({ reason: 'auth_failed', retryable: false });
    expect(err.message).toBe(`S3 rejected the request signature of access key ${s3.accessKeyId}: check the secret access key`);
    expect(await c.test('in')).toMatchObject({ ok: false, reason: 'auth_failed' });
  });

  it('reports an unknown access key as auth_failed', async () => {
    const err = await rejection(source({ accessKeyId: 'AKIAUNKNOWN' }).list('in'));
    expect(err).toMatchObject({ reason: 'auth_failed', message: 'S3 does not know access key AKIAUNKNOWN: check the access key ID' });
  });

  it('reports a missing bucket as no_such_folder, naming the bucket', async () => {
    const c = source({ bucket: 'no-such-bucket' });
    const err = await rejection(c.list('in'));
    expect(err).toMatchObject({ reason: 'no_such_folder', retryable: false });
    expect(err.message).toBe(`no such bucket no-such-bucket at ${s3.endpoint}: check the bucket name`);
    expect(await c.test('in')).toMatchObject({ ok: false, reason: 'no_such_folder' });
  });

  it('reports an object deleted after listing as no_such_folder (retryable)', async () => {
    const c = source();
    const err = await rejection(c.open({ path: 'in/gone.csv', size: 1, modifiedAt: new Date(), fingerprint: 'x' }));
    expect(err).toMatchObject({ reason: 'no_such_folder', retryable: true, message: expect.stringContaining(`s3://${BUCKET}/in/gone.csv`) });
  });

  it('reports an unreachable endpoint as host_unreachable (retryable)', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const c = source({ endpoint }, { maxAttempts: 1 });
    const err = await rejection(c.list('in'));
    expect(err).toMatchObject({ reason: 'host_unreachable', retryable: true });
    expect(err.message).toBe(`cannot reach S3 endpoint ${endpoint} (connection refused): check the endpoint (service URL)`);
    expect(await c.test('in')).toMatchObject({ ok: false, reason: 'host_unreachable' });
  });

  it('times out on an endpoint that never answers', async () => {
    const silent = await startSilentServer();
    try {
      const c = source({ endpoint: `http://${silent.host}:${silent.port}`, timeoutMs: 500 }, { maxAttempts: 1 });
      const started = Date.now();
      const err = await rejection(c.list('in'));
      expect(err).toMatchObject({ reason: 'timeout', retryable: true });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await silent.stop();
    }
  });

  it('errors the read stream with a ConnectorError when the connection drops mid-object', async () => {
    const proxy = await startFaultProxy({ host: s3.host, port: s3.port });
    try {
      const c = source({ endpoint: `http://${proxy.host}:${proxy.port}` });
      const [file] = await c.list('big');
      proxy.faults.dropAfterBytes = 2 * 1024 * 1024; // counted per connection: the listing used another one or little of this one
      const stream = await c.open(file!);
      let received = 0;
      const err = await rejection(
        (async () => {
          for await (const chunk of stream) received += (chunk as Buffer).length;
        })(),
      );
      expect(err).toMatchObject({ reason: 'host_unreachable', retryable: true, message: expect.stringContaining('was lost while reading s3://') });
      expect(received).toBeGreaterThan(0);
      expect(received).toBeLessThan(FILE.length);
    } finally {
      await proxy.stop();
    }
  });
});

describe('file patterns (a glob on the base name, shared by both connectors)', () => {
  it.each([
    ['*.csv', ['a.csv', 'prospects_1.csv'], ['a.csv.gz', 'a.CSV', 'a_csv', '.a.csv', '.csv']],
    ['.*.csv', ['.a.csv'], ['a.csv']],
    ['prospects_*.csv.gz', ['prospects_20240101.csv.gz'], ['prospects_1.csv', 'xprospects_1.csv.gz']],
    ['part-?.csv', ['part-1.csv'], ['part-10.csv']],
    ['day[0-9].{csv,tsv}', ['day1.csv', 'day9.tsv'], ['dayx.csv', 'day1.txt']],
    ['[!_]*', ['a.csv'], ['_tmp.csv']],
    ['a(1)+b.csv', ['a(1)+b.csv'], ['a1b.csv']],
  ])('%s', (pattern, yes, no) => {
    const re = globToRegExp(pattern);
    for (const name of yes) expect(re.test(name)).toBe(true);
    for (const name of no) expect(re.test(name)).toBe(false);
  });

  it('refuses an unclosed brace', () => {
    expect(() => globToRegExp('{a,b')).toThrow(ConnectorError);
  });
});
