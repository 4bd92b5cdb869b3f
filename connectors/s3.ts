/**
 * S3 source connector (@aws-sdk/client-s3): ListObjectsV2 pages under a prefix, GetObject bodies
 * streamed. Works against AWS and S3-compatible endpoints (path-style when an endpoint is given).
 */
import { GetObjectCommand, ListObjectsV2Command, ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { ConnectionTestResult, ConnectorError, DEFAULT_TIMEOUT_MS, RemoteFile, S3Spec, SourceConnector } from './types';
import { assertRemotePath } from './remote-path';
import { s3Endpoint, s3Error } from './s3-errors';
import { baseName, globToRegExp, guardStream, sortFiles } from './util';

export interface S3SourceOptions {
  /** MaxKeys per ListObjectsV2 page (S3's maximum and default: 1000); tests page through small ones. */
  pageSize?: number;
  /** Attempts per request, including the first (SDK default: 3). */
  maxAttempts?: number;
}

export function createS3Source(spec: S3Spec, opts: S3SourceOptions = {}): SourceConnector {
  return new S3Source(spec, opts);
}

/** The one way this project builds an S3 client (sources and destinations alike). */
export function createS3Client(spec: S3Spec, timeoutMs: number, maxAttempts: number): S3Client {
  return new S3Client({
    region: spec.region,
    credentials: {
      accessKeyId: spec.accessKeyId,
      secretAccessKey: spec.secretAccessKey,
      ...(spec.sessionToken ? { sessionToken: spec.sessionToken } : {}),
    },
    ...(spec.endpoint ? { endpoint: spec.endpoint, forcePathStyle: true } : {}),
    // Without these the SDK sends aws-chunked bodies with CRC32 trailers and validates response
    // checksums; S3-compatible servers (s3rver, older MinIO, Ceph) store or answer them wrongly.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Per attempt: connecting, and waiting for the response headers. Body reads are guarded separately.
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
    maxAttempts,
  });
}

/** Folder → key prefix: no leading slash, one trailing slash ("" for the whole bucket). */
export function s3Prefix(folder: string): string {
  const p = folder.replace(/^\/+/, '');
  return p === '' || p.endsWith('/') ? p : `${p}/`;
}

type Ctx = { op: 'list' | 'read'; key: string };

class S3Source implements SourceConnector {
  private readonly client: S3Client;
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  private readonly where: string;

  constructor(
    private readonly spec: S3Spec,
    opts: S3SourceOptions,
  ) {
    this.timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.pageSize = Math.min(Math.max(opts.pageSize ?? 1000, 1), 1000);
    this.where = s3Endpoint(spec);
    this.client = createS3Client(spec, this.timeoutMs, opts.maxAttempts ?? 3);
  }

  async test(folder: string): Promise<ConnectionTestResult> {
    const location = this.location(s3Prefix(folder));
    try {
      const files = await this.listFiles(folder, {}, 1);
      const newest = files[files.length - 1];
      let read = '';
      if (newest && newest.size > 0) {
        const out = await this.send(
          () => this.client.send(new GetObjectCommand({ Bucket: this.spec.bucket, Key: newest.path, Range: 'bytes=0-0' })),
          { op: 'read', key: newest.path },
        );
        (out.Body as Readable | undefined)?.destroy();
        read = `; read ${newest.path}`;
      }
      const count = files.length === 0 ? 'no files yet' : `${files.length} file(s) on the first page`;
      return { ok: true, detail: `listed ${location} at ${this.where} with access key ${this.spec.accessKeyId}: ${count}${read}`, sample: files.slice(-10) };
    } catch (err) {
      const e = this.asConnectorError(err, { op: 'list', key: s3Prefix(folder) });
      return { ok: false, reason: e.reason, message: e.message };
    }
  }

  list(folder: string, opts: { pattern?: string; recursive?: boolean } = {}): Promise<RemoteFile[]> {
    return this.listFiles(folder, opts, Infinity);
  }

  async open(file: RemoteFile): Promise<NodeJS.ReadableStream & Readable> {
    const ctx: Ctx = { op: 'read', key: file.path };
    const out = await this.send(
      () =>
        this.client.send(
          new GetObjectCommand({
            Bucket: this.spec.bucket,
            Key: file.path,
            // Read the version that was listed, not one uploaded since (S3 answers 412 then).
            ...(file.etag ? { IfMatch: `"${file.etag}"` } : {}),
          }),
        ),
      ctx,
    );
    const body = out.Body as Readable | undefined;
    if (!body) throw new ConnectorError('protocol', `${this.where} answered GetObject for ${this.location(file.path)} without a body`, true);
    return guardStream(body, {
      idleMs: this.timeoutMs,
      mapError: (err) => this.asConnectorError(err, ctx),
      onIdle: () =>
        new ConnectorError('timeout', `S3 endpoint ${this.where} sent nothing for ${this.timeoutMs / 1000} s while reading ${this.location(file.path)}: the transfer stalled; the next run retries`, true),
    });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async listFiles(folder: string, opts: { pattern?: string; recursive?: boolean }, maxPages: number): Promise<RemoteFile[]> {
    const prefix = s3Prefix(folder);
    // s3Prefix strips leading slashes (older dataflows have them); dot segments never pass.
    assertRemotePath(prefix, 's3-prefix', 'folder');
    if (opts.pattern) assertRemotePath(opts.pattern, 'file-pattern', 'pattern');
    const match = opts.pattern ? globToRegExp(opts.pattern) : undefined;
    const files: RemoteFile[] = [];
    let token: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const out: ListObjectsV2CommandOutput = await this.send(
        () =>
          this.client.send(
            new ListObjectsV2Command({
              Bucket: this.spec.bucket,
              ...(prefix ? { Prefix: prefix } : {}),
              ...(opts.recursive ? {} : { Delimiter: '/' }),
              MaxKeys: this.pageSize,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          ),
        { op: 'list', key: prefix },
      );
      for (const o of out.Contents ?? []) {
        const key = o.Key;
        if (!key || key.endsWith('/')) continue; // "folder" placeholder objects
        if (match && !match.test(baseName(key))) continue;
        const size = o.Size ?? 0;
        const modifiedAt = o.LastModified ?? new Date(0);
        const etag = o.ETag?.replace(/^"|"$/g, '');
        files.push({ path: key, size, modifiedAt, ...(etag ? { etag } : {}), fingerprint: etag ?? `${size}:${modifiedAt.getTime()}` });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
      if (!token) break;
    }
    return sortFiles(files);
  }

  private async send<O>(run: () => Promise<O>, ctx: Ctx): Promise<O> {
    try {
      return await run();
    } catch (err) {
      throw this.asConnectorError(err, ctx);
    }
  }

  private location(key: string): string {
    return `s3://${this.spec.bucket}/${key}`;
  }

  private asConnectorError(err: unknown, ctx: Ctx): ConnectorError {
    return s3Error(err, { spec: this.spec, timeoutMs: this.timeoutMs, owner: 'source', ...ctx });
  }
}
