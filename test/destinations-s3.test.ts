/**
 * The S3 destination writer against a real S3 emulator (s3rver, with SigV4 checking added by the
 * test server), read back with the SDK and with the aws command-line client. No mocks.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { DestinationPart, DestinationWriter } from '../connectors/destination-types';
import { createCsvEncoder, fileNameFromTemplate, partName } from '../connectors/export-format';
import { createS3Destination, S3DestinationOptions, S3DestinationSpec } from '../connectors/s3-destination';
import { ConnectorError } from '../connectors/types';
import { eventually } from './helpers/poll';
import { startS3Server, TestS3Server } from './setup/s3-server';

const BUCKET = 'cdp-exports';
const PREFIX = 'acme/exports';
const MiB = 1024 * 1024;

let s3: TestS3Server;
let sdk: S3Client;
const writers: DestinationWriter[] = [];

function destination(overrides: Partial<S3DestinationSpec> = {}, opts: S3DestinationOptions = {}): DestinationWriter {
  const w = createS3Destination(
    { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region, endpoint: s3.endpoint, bucket: BUCKET, prefix: PREFIX, timeoutMs: 5_000, ...overrides },
    { partSizeBytes: 5 * MiB, ...opts },
  );
  writers.push(w);
  return w;
}

async function keys(): Promise<string[]> {
  const out = await sdk.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

async function object(key: string): Promise<Buffer> {
  const out = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
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

/** A pass-through that keeps a copy of every byte. */
function tap(into: Buffer[]): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      into.push(chunk);
      cb(null, chunk);
    },
  });
}

/** Encodes rows into a part, returning exactly the bytes handed to the writer. */
async function writeRows(part: DestinationPart, rows: Iterable<unknown>, gzip: boolean): Promise<Buffer> {
  const sent: Buffer[] = [];
  await pipeline(Readable.from(rows), createCsvEncoder({ columns: ['email_sha256', 'note'], gzip }), tap(sent), part.stream);
  return Buffer.concat(sent);
}

/** Rows with random (barely compressible) hashes, every 1000th with a formula note. */
function* rows(from: number, count: number): Generator<unknown[]> {
  for (let i = from; i < from + count; i++) yield [randomBytes(32).toString('hex'), i % 1000 === 0 ? `=HYPERLINK("http://x/${i}")` : `row ${i}`];
}

async function csvOf(rowList: unknown[][]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(rowList), createCsvEncoder({ columns: ['email_sha256', 'note'], gzip: false }), new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  return Buffer.concat(out);
}

/** Waits until the S3 server has received a request matching `line` (method and URL). */
async function requested(line: RegExp, timeoutMs = 5_000): Promise<void> {
  await eventually(async () => s3.requests.some((r) => line.test(r)), `a request matching ${line}`, timeoutMs, 10);
}

/**
 * Whether part `n` of an unfinished multipart upload of `key` is stored: s3rver keeps such parts
 * under <bucket>/._S3rver_uploads/<uploadId>/ and writes `<n>.md5` once the part's bytes are on disk.
 */
function partStored(key: string, n: number): boolean {
  const uploads = path.join(s3.directory, BUCKET, '._S3rver_uploads');
  if (!fs.existsSync(uploads)) return false;
  return fs.readdirSync(uploads).some((id) => {
    const dir = path.join(uploads, id);
    return fs.existsSync(path.join(dir, `${n}.md5`)) && fs.readFileSync(path.join(dir, 'key'), 'utf8') === key;
  });
}

/** Debian's aws CLI (apt-get install awscli when no aws is on the machine, as CI starts bare). */
function awsCli(): string {
  for (const bin of ['/usr/bin/aws']) if (fs.existsSync(bin)) return bin;
  try {
    return execFileSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' }).trim();
  } catch {
    // install below
  }
  if (process.getuid?.() !== 0) throw new Error('the aws CLI is not installed; run: sudo apt-get install -y awscli');
  process.stderr.write('installing awscli with apt-get …\n');
  execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends awscli >/dev/null'], { stdio: 'inherit' });
  return '/usr/bin/aws';
}

/** `aws s3 cp s3://bucket/key -`. Async: s3rver runs in this process, so a blocking exec would deadlock. */
async function awsCat(key: string): Promise<Buffer> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_DEFAULT_REGION: s3.region,
    // Nothing from the machine's own AWS setup.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    // awscli ≥ 2.23 / botocore ≥ 1.36 add CRC32 checksums by default, which s3rver does not know;
    // older CLIs (Debian 12's 2.9.19) ignore these.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
  };
  const { stdout } = await promisify(execFile)(awsCli(), ['--endpoint-url', s3.endpoint, 's3', 'cp', `s3://${BUCKET}/${key}`, '-'], {
    env,
    encoding: 'buffer',
    maxBuffer: 64 * MiB,
  });
  return stdout;
}

beforeAll(async () => {
  s3 = await startS3Server();
  sdk = s3.client();
  await s3.createBucket(BUCKET);
});

afterAll(async () => {
  for (const w of writers) await w.close().catch(() => undefined);
  await s3?.stop();
});

describe('S3 destination', () => {
  const at = new Date(Date.UTC(2024, 4, 6, 7, 8, 9));
  const name = fileNameFromTemplate('<destination>_segment<audienceId>_<yyyymmddHHMMss>.csv.gz', { destination: 'acme', audienceId: 'aud_1', at });

  it('test() lists the folder and proves write access with a multipart upload it aborts', async () => {
    s3.requests.length = 0;
    const result = await destination().test();
    expect(result).toMatchObject({ ok: true });
    expect(result.ok && result.detail).toMatch(/can list and write s3:\/\/cdp-exports\/acme\/exports\//);
    expect(s3.requests.some((r) => /^POST \/cdp-exports\/acme\/exports\/\.cdp-connection-test-\w+\?uploads/.test(r))).toBe(true);
    expect(s3.requests.some((r) => /^DELETE \/cdp-exports\/acme\/exports\/\.cdp-connection-test-\w+\?uploadId=/.test(r))).toBe(true);
    expect(await keys()).toEqual([]);
  });

  it('publishes a 2-part gzip CSV export (the first file a multipart upload), byte-identical through the SDK and the aws CLI', async () => {
    const w = destination();
    const firstRows = [...rows(0, 150_000)];
    const secondRows = [...rows(150_000, 1_000)];
    const names = [partName(name, 1), partName(name, 2)];
    expect(names).toEqual(['acme_segmentaud_1_20240506070809.csv.gz', 'acme_segmentaud_1_20240506070809_2.csv.gz']);
    s3.requests.length = 0;

    const first = await w.openPart(names[0]!);
    // Nothing under the final name while writing.
    const firstPromise = writeRows(first, firstRows, true);
    await requested(/partNumber=1&/, 10_000);
    expect(await keys()).toEqual([]);
    const firstBytes = await firstPromise;
    expect(firstBytes.length).toBeGreaterThan(5 * MiB); // so it really went multipart
    const published1 = await first.commit(firstRows.length);
    expect(s3.requests.some((r) => /^PUT .*partNumber=2&uploadId=/.test(r))).toBe(true);

    const second = await w.openPart(names[1]!);
    const secondBytes = await writeRows(second, secondRows, true);
    const published2 = await second.commit(secondRows.length);

    expect(published1).toEqual({ name: names[0], path: `${PREFIX}/${names[0]}`, rows: 150_000, bytes: firstBytes.length });
    expect(published2).toEqual({ name: names[1], path: `${PREFIX}/${names[1]}`, rows: 1_000, bytes: secondBytes.length });
    expect(await keys()).toEqual([`${PREFIX}/${names[0]}`, `${PREFIX}/${names[1]}`]);

    const stored1 = await object(published1.path);
    const stored2 = await object(published2.path);
    expect(stored1.equals(firstBytes)).toBe(true);
    expect(stored2.equals(secondBytes)).toBe(true);
    const csv1 = gunzipSync(stored1);
    expect(csv1.equals(await csvOf(firstRows))).toBe(true);
    expect(gunzipSync(stored2).equals(await csvOf(secondRows))).toBe(true);
    // Formula cells reach the partner neutralised.
    const lines = csv1.toString().split('\n');
    expect(lines[0]).toBe('email_sha256,note');
    expect(lines[1]).toMatch(/^[0-9a-f]{64},"'=HYPERLINK\(""http:\/\/x\/0""\)"$/);
    expect(lines[2]).toMatch(/,row 1$/);

    const viaCli1 = await awsCat(published1.path);
    const viaCli2 = await awsCat(published2.path);
    expect(viaCli1.equals(firstBytes)).toBe(true);
    expect(viaCli2.equals(secondBytes)).toBe(true);

    expect(await w.exists(names[0]!)).toBe(true);
    expect(await w.exists(names[1]!)).toBe(true);
    expect(await w.exists(partName(name, 3))).toBe(false);
  });

  it('abort() leaves no object, whether or not the multipart upload had started', async () => {
    const w = destination({ prefix: 'aborted' });
    s3.requests.length = 0;
    const big = await w.openPart('big.csv');
    big.stream.write(randomBytes(6 * MiB));
    await requested(/^PUT \/cdp-exports\/aborted\/big\.csv\?.*partNumber=1&/);
    await big.abort();
    await big.abort(); // twice is fine
    expect(s3.requests.some((r) => /^DELETE \/cdp-exports\/aborted\/big\.csv\?.*uploadId=/.test(r))).toBe(true);

    const small = await w.openPart('small.csv');
    await writeRows(small, rows(0, 10), false);
    await small.abort();
    await expect(small.commit(10)).rejects.toThrow(/already aborted/);

    expect(await keys()).not.toEqual(expect.arrayContaining([expect.stringMatching(/^aborted\//)]));
    expect(await w.exists('big.csv')).toBe(false);
    expect(await w.exists('small.csv')).toBe(false);
  });

  it('a run killed mid-part (no abort, the writer just dropped) leaves nothing visible', async () => {
    const w = destination({ prefix: 'killed' });
    s3.requests.length = 0;
    const part = await w.openPart('export.csv');
    part.stream.write(randomBytes(6 * MiB));
    // The first part is stored on the server, but the upload is never completed.
    await requested(/^PUT \/cdp-exports\/killed\/export\.csv\?.*partNumber=1&/);
    await eventually(async () => partStored('killed/export.csv', 1), 'part 1 of killed/export.csv to be stored');
    const listing = await sdk.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'killed/' }));
    expect(listing.Contents ?? []).toEqual([]);
    expect(await destination({ prefix: 'killed' }).exists('export.csv')).toBe(false);
    // (The writer is left as a crashed process would leave it; afterAll's close() aborts it.)
  });

  it('a failing upload fails the writer stream instead of hanging, and commit reports why', async () => {
    const w = destination({ secretAccessKey: 'wrong-secret', prefix: 'denied' });
    const part = await w.openPart('x.csv');
    // More than lib-storage buffers (two parts in flight plus one filling): the writer must fail, not wait for 'drain' forever.
    const chunks = function* () {
      for (let i = 0; i < 40; i++) yield randomBytes(MiB);
    };
    const err = await rejection(pipeline(Readable.from(chunks()), part.stream));
    expect(err.reason).toBe('auth_failed');
    expect(err.message).toMatch(/check the secret access key/);
    expect((await rejection(part.commit(0))).reason).toBe('auth_failed');
    await part.abort();

    const small = await w.openPart('small.csv');
    await writeRows(small, rows(0, 3), false);
    const commitErr = await rejection(small.commit(3));
    expect(commitErr.reason).toBe('auth_failed');
    await small.abort();

    const t = await w.test();
    expect(t).toMatchObject({ ok: false, reason: 'auth_failed' });
  });

  it('maps a missing bucket to a configuration error, and refuses names with a slash', async () => {
    const w = destination({ bucket: 'no-such-bucket' });
    const part = await w.openPart('x.csv');
    await writeRows(part, rows(0, 3), false);
    const err = await rejection(part.commit(3));
    expect(err.reason).toBe('no_such_folder');
    expect(err.message).toMatch(/no such bucket no-such-bucket.*check the destination's bucket name/);
    await expect(w.openPart('a/b.csv')).rejects.toThrow(/not a plain file name/);
    expect(() => destination({}, { partSizeBytes: MiB })).toThrow(/5 MiB minimum/);
  });
});
