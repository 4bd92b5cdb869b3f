/**
 * S3 destination writer (@aws-sdk/lib-storage Upload). Each part is one S3 multipart upload fed
 * from a stream: parts of partSizeBytes are uploaded as bytes arrive, at most queueSize at once, so
 * memory stays around partSize × (queueSize + 1) whatever the file size. S3 shows a multipart
 * upload only once it is completed, so commit() (CompleteMultipartUpload, or one PutObject for a
 * file smaller than a part) is the atomic publish, and a run that dies mid-file leaves nothing
 * visible. abort() fails the body stream (lib-storage then sends AbortMultipartUpload) and sends
 * AbortMultipartUpload itself too. Uploads of runs killed outright stay invisible until the
 * bucket's lifecycle rule (AbortIncompleteMultipartUpload) removes their parts.
 */
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import type { DestinationPart, DestinationWriter, PublishedFile, StartedUpload, UploadJournal } from './destination-types';
import { createS3Client, s3Prefix } from './s3';
import { assertFinalName, assertRemotePath } from './remote-path';
import { ConnectionTestResult, ConnectorError, DEFAULT_TIMEOUT_MS, RemoteFile, S3Spec } from './types';
import { s3Endpoint, s3Error, type S3Op } from './s3-errors';
import { describe, withTimeout } from './util';

export interface S3DestinationOptions {
  /** Bytes per uploaded part: at least 5 MiB (S3's minimum); default 8 MiB. */
  partSizeBytes?: number;
  /** Parts uploading at once; default 2. */
  queueSize?: number;
  /** Attempts per request, including the first (SDK default: 3). */
  maxAttempts?: number;
  /** Told of each multipart upload as S3 starts, completes or aborts it. */
  journal?: UploadJournal;
}

export interface S3DestinationSpec extends S3Spec {
  /** Folder in the bucket ("" or unset: the bucket's root). */
  prefix?: string;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;

export function createS3Destination(spec: S3DestinationSpec, opts: S3DestinationOptions = {}): DestinationWriter {
  return new S3Destination(spec, opts);
}

type Op = Exclude<S3Op, 'read'>;

/** What a file name's extension says about its bytes. */
function contentType(name: string): string {
  if (/\.(gz|gzip)$/i.test(name)) return 'application/gzip';
  if (/\.csv$/i.test(name)) return 'text/csv';
  if (/\.(jsonl|ndjson)$/i.test(name)) return 'application/x-ndjson';
  if (/\.json$/i.test(name)) return 'application/json';
  return 'application/octet-stream';
}

/** A final name is one key segment: no "/", no control characters. */
function checkFinalName(name: string): void {
  assertFinalName(name);
}

class S3Destination implements DestinationWriter {
  private readonly client: S3Client;
  private readonly timeoutMs: number;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly where: string;
  private readonly open = new Set<S3Part>();

  constructor(
    private readonly spec: S3DestinationSpec,
    opts: S3DestinationOptions,
  ) {
    this.timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.prefix = s3Prefix(spec.prefix ?? '');
    // s3Prefix strips leading slashes (older destinations have them); dot segments never pass.
    assertRemotePath(this.prefix, 's3-prefix', 'prefix');
    this.partSize = opts.partSizeBytes ?? 8 * 1024 * 1024;
    if (this.partSize < MIN_PART_SIZE) {
      throw new ConnectorError('protocol', `partSizeBytes ${this.partSize} is below S3's 5 MiB minimum part size`, false);
    }
    this.queueSize = Math.max(1, opts.queueSize ?? 2);
    this.where = s3Endpoint(spec);
    this.client = createS3Client(spec, this.timeoutMs, opts.maxAttempts ?? 3);
    if (opts.journal) journalUploads(this.client, opts.journal);
  }

  async abandon(uploads: readonly StartedUpload[]): Promise<void> {
    // NoSuchUpload (already completed or aborted) is what a finished upload answers: nothing to do.
    for (const u of uploads) await this.abortUpload(u.key, u.uploadId).catch(() => undefined);
  }

  /** Lists the folder, then starts and aborts a multipart upload: proves s3:PutObject without any object appearing. */
  async test(): Promise<ConnectionTestResult> {
    const folder = this.location(this.prefix);
    let op: Op = 'list';
    try {
      const listed = await this.send(
        () => this.client.send(new ListObjectsV2Command({ Bucket: this.spec.bucket, ...(this.prefix ? { Prefix: this.prefix } : {}), Delimiter: '/', MaxKeys: 10 })),
        'list',
        this.prefix,
      );
      const sample: RemoteFile[] = (listed.Contents ?? [])
        .filter((o) => o.Key && !o.Key.endsWith('/'))
        .map((o) => {
          const etag = o.ETag?.replace(/^"|"$/g, '');
          const size = o.Size ?? 0;
          const modifiedAt = o.LastModified ?? new Date(0);
          return { path: o.Key!, size, modifiedAt, ...(etag ? { etag } : {}), fingerprint: etag ?? `${size}:${modifiedAt.getTime()}` };
        });
      op = 'write';
      const probeKey = `${this.prefix}.cdp-connection-test-${randomBytes(6).toString('hex')}`;
      const created = await this.send(() => this.client.send(new CreateMultipartUploadCommand({ Bucket: this.spec.bucket, Key: probeKey })), 'write', probeKey);
      let note = '';
      try {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.spec.bucket, Key: probeKey, UploadId: created.UploadId }));
      } catch (err) {
        note = ` (could not abort the probe upload: ${describe(err)}; a lifecycle rule AbortIncompleteMultipartUpload removes it)`;
      }
      return {
        ok: true,
        detail: `access key ${this.spec.accessKeyId} can list and write ${folder} at ${this.where}${note}`,
        sample,
      };
    } catch (err) {
      const e = this.asConnectorError(err, op, this.prefix);
      return { ok: false, reason: e.reason, message: e.message };
    }
  }

  async exists(finalName: string): Promise<boolean> {
    checkFinalName(finalName);
    const key = this.prefix + finalName;
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.spec.bucket, Key: key }));
      return true;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      // HEAD has no body, so a missing bucket looks the same; writing then says which it is.
      if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return false;
      throw this.asConnectorError(err, 'check', key);
    }
  }

  async openPart(finalName: string): Promise<DestinationPart> {
    checkFinalName(finalName);
    const part = new S3Part(this, finalName, this.prefix + finalName);
    this.open.add(part);
    part.finished.then(() => this.open.delete(part));
    return part;
  }

  /** Aborts parts still open (nothing of them becomes visible), then closes the client. */
  async close(): Promise<void> {
    await Promise.all([...this.open].map((p) => p.abort().catch(() => undefined)));
    this.client.destroy();
  }

  // Used by S3Part.
  newUpload(key: string, name: string, body: PassThrough): Upload {
    return new Upload({
      client: this.client,
      params: { Bucket: this.spec.bucket, Key: key, Body: body, ContentType: contentType(name) },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
  }

  async abortUpload(key: string, uploadId: string): Promise<void> {
    await withTimeout(
      this.client.send(new AbortMultipartUploadCommand({ Bucket: this.spec.bucket, Key: key, UploadId: uploadId })),
      this.timeoutMs,
      () => new ConnectorError('timeout', `S3 endpoint ${this.where} did not answer AbortMultipartUpload for ${this.location(key)}`, true),
    );
  }

  get abortTimeoutMs(): number {
    return this.timeoutMs * 2;
  }

  location(key: string): string {
    return `s3://${this.spec.bucket}/${key}`;
  }

  private async send<O>(run: () => Promise<O>, op: Op, key: string): Promise<O> {
    try {
      return await run();
    } catch (err) {
      throw this.asConnectorError(err, op, key);
    }
  }

  asConnectorError(err: unknown, op: Op, key: string): ConnectorError {
    return s3Error(err, { spec: this.spec, timeoutMs: this.timeoutMs, owner: 'destination', op, key });
  }
}

/**
 * Records multipart uploads from the SDK's own commands (lib-storage creates them lazily): the
 * journal hears of an upload before its first part is sent, and of its end once S3 confirmed it.
 */
function journalUploads(client: S3Client, journal: UploadJournal): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const input = args.input as { Key?: string; UploadId?: string };
      const output = out.output as { UploadId?: string };
      if (context.commandName === 'CreateMultipartUploadCommand' && output.UploadId && input.Key) {
        await journal.started({ key: input.Key, uploadId: output.UploadId });
      } else if ((context.commandName === 'CompleteMultipartUploadCommand' || context.commandName === 'AbortMultipartUploadCommand') && input.Key && input.UploadId) {
        await journal.ended({ key: input.Key, uploadId: input.UploadId }).catch(() => undefined); // a stale entry is only aborted again
      }
      return out;
    },
    { step: 'initialize', name: 'cdpUploadJournal' },
  );
}

type PartState = 'writing' | 'committing' | 'committed' | 'aborted' | 'failed';

class S3Part implements DestinationPart {
  readonly stream: Writable;
  /** Settles (never rejects) when the part is committed, aborted or failed. */
  readonly finished: Promise<void>;
  /** What lib-storage reads. Only commit() ends it: ending it is what publishes the file. */
  private readonly body: PassThrough;
  private readonly upload: Upload;
  private readonly done: Promise<unknown>;
  private state: PartState = 'writing';
  private bytes = 0;
  private failure: ConnectorError | undefined;
  private aborting: Promise<void> | undefined;

  constructor(
    private readonly owner: S3Destination,
    private readonly name: string,
    private readonly key: string,
  ) {
    this.body = new PassThrough({ highWaterMark: 256 * 1024 });
    // The caller's stream: a pipeline ending it means "all bytes written", not "publish".
    this.stream = new Writable({
      highWaterMark: 256 * 1024,
      write: (chunk: Buffer, _enc, cb) => {
        if (this.failure) return cb(this.failure);
        this.bytes += chunk.length;
        if (this.body.write(chunk)) return cb();
        const onDrain = () => {
          this.body.removeListener('close', onClose);
          cb();
        };
        const onClose = () => {
          this.body.removeListener('drain', onDrain);
          cb(this.failure ?? new Error('the upload stopped'));
        };
        this.body.once('drain', onDrain);
        this.body.once('close', onClose);
      },
      final: (cb) => cb(this.failure),
    });
    // Failures reach the caller through its pipeline (if any) and through commit().
    this.stream.on('error', () => undefined);
    this.body.on('error', () => undefined);
    this.upload = owner.newUpload(key, name, this.body);
    // Start now: lib-storage pulls the body as parts fill, which is what bounds memory.
    this.done = this.upload.done();
    this.finished = this.done.then(
      () => undefined,
      () => undefined,
    );
    this.done.catch((err: unknown) => {
      if (this.state !== 'writing') return;
      // The upload failed before commit (e.g. access denied on the first part): fail the writer's
      // stream so a caller waiting for 'drain' learns of it instead of hanging.
      this.state = 'failed';
      this.failure = owner.asConnectorError(err, 'write', key);
      this.stream.destroy(this.failure);
      this.body.destroy(this.failure);
    });
  }

  async commit(rows: number): Promise<PublishedFile> {
    if (this.state === 'failed') throw this.failure!;
    if (this.state !== 'writing') throw new ConnectorError('protocol', `${this.owner.location(this.key)} was already ${this.state}`, false);
    this.state = 'committing';
    try {
      await new Promise<void>((resolve, reject) => {
        if (this.stream.writableFinished) return resolve();
        if (this.stream.destroyed) return reject(this.failure ?? new Error('the part stream was destroyed'));
        this.stream.once('error', reject);
        this.stream.end(() => {
          this.stream.removeListener('error', reject);
          resolve();
        });
      });
      if (this.failure) throw this.failure;
    } catch (err) {
      this.state = 'failed';
      throw this.owner.asConnectorError(err, 'write', this.key);
    }
    this.body.end();
    try {
      await this.done;
    } catch (err) {
      this.state = 'failed';
      // lib-storage has sent AbortMultipartUpload already (leavePartsOnError: false).
      throw this.owner.asConnectorError(err, 'write', this.key);
    }
    this.state = 'committed';
    return { name: this.name, path: this.key, rows, bytes: this.bytes };
  }

  abort(): Promise<void> {
    if (this.state === 'committed') return Promise.resolve(); // already published: nothing to drop
    this.aborting ??= this.doAbort();
    return this.aborting;
  }

  private async doAbort(): Promise<void> {
    this.state = 'aborted';
    // Failing the body ends lib-storage's part feeder: it lets parts in flight finish, then sends
    // AbortMultipartUpload itself. upload.abort() alone would settle done() at once and leave the
    // feeder waiting on the stream forever.
    this.failure ??= new ConnectorError('unknown', `the export of ${this.owner.location(this.key)} was aborted`, false);
    if (!this.stream.destroyed) this.stream.destroy(this.failure);
    if (!this.body.destroyed) this.body.destroy(this.failure);
    await withTimeout(this.finished, this.owner.abortTimeoutMs, () => new ConnectorError('timeout', 'abort timed out', true)).catch(() => undefined);
    await this.upload.abort();
    if (this.upload.uploadId) {
      // Again, in case lib-storage's attempt failed or raced a part still uploading; S3 answers
      // NoSuchUpload when it is already gone. Failures are left to the bucket's lifecycle rule:
      // an incomplete upload is never visible.
      await this.owner.abortUpload(this.key, this.upload.uploadId).catch(() => undefined);
    }
  }
}
