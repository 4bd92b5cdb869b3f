/**
 * s3rver (an S3 emulator on the local file system) on a free loopback port, for tests.
 *
 * s3rver checks that the access key exists but never checks SigV4 signatures, so a wrong secret
 * would pass; this wrapper verifies header-signed SigV4 requests itself (as S3 does) and answers
 * SignatureDoesNotMatch, so connectors' credential errors can be tested for real.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import crypto, { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../core/ports';

// s3rver ships no type declarations.
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => { callback(): http.RequestListener };

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 (Node ≥ 17)
 * keeps in its legacy provider, so every truncated listing fails with InternalError. Triple DES
 * with the key repeated three times is the same cipher and is in the default provider. Only calls
 * for 'des' — which throw without this — are redirected.
 */
function allowS3rverDes(): void {
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return; // this OpenSSL still has DES
  } catch {
    // patch below
  }
  const mod = crypto as unknown as Record<'createCipheriv' | 'createDecipheriv', (...args: unknown[]) => unknown> & { __cdpDes?: true };
  if (mod.__cdpDes) return;
  mod.__cdpDes = true;
  for (const name of ['createCipheriv', 'createDecipheriv'] as const) {
    const original = mod[name];
    mod[name] = function (this: unknown, algorithm: unknown, key: unknown, ...rest: unknown[]) {
      if (algorithm === 'des' && Buffer.isBuffer(key) && key.length === 8) return original.call(this, 'des-ede3-cbc', Buffer.concat([key, key, key]), ...rest);
      return original.call(this, algorithm, key, ...rest);
    };
  }
}

/** The one key pair s3rver knows. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const S3_TEST_REGION = 'us-east-1';

export interface TestS3Server {
  /** `http://127.0.0.1:<port>` (use path-style addressing). */
  endpoint: string;
  host: string;
  port: number;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Local directory holding the buckets. */
  directory: string;
  /** Every request received (`GET /bucket?list-type=2&…`), for asserting paging; clear it freely. */
  requests: string[];
  /** An SDK client on this server (checksums only when required, as s3rver needs). */
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  /** Backdates an object (s3rver reports its file's mtime as LastModified). */
  setLastModified(bucket: string, key: string, when: Date): Promise<void>;
  /**
   * Holds the requests `match` picks, before S3 sees them, until release() or drop(): a client
   * waiting on S3 in the middle of an export, for as long as a test needs.
   */
  hold(match: (req: http.IncomingMessage) => boolean): HeldRequests;
  stop(): Promise<void>;
}

export interface HeldRequests {
  /** The first request held, once one arrives. */
  first: Promise<http.IncomingMessage>;
  /** Stops holding; the held requests go on to S3. */
  release(): void;
  /** Stops holding; the held requests' connections are cut, as if they never reached S3. */
  drop(): void;
}

export async function startS3Server(opts: { verifySignatures?: boolean; directory?: string; port?: number } = {}): Promise<TestS3Server> {
  allowS3rverDes();
  const directory = opts.directory ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-s3-'));
  fs.mkdirSync(directory, { recursive: true });
  const app = new S3rver({ directory, silent: true, resetOnClose: false, configureBuckets: [] });
  const handle = app.callback();
  const secrets = new Map<string, string>([[S3RVER_CREDENTIALS.accessKeyId, S3RVER_CREDENTIALS.secretAccessKey]]);
  const verify = opts.verifySignatures ?? true;

  const requests: string[] = [];
  let holding: { match: (req: http.IncomingMessage) => boolean; held: [http.IncomingMessage, http.ServerResponse][]; seen: (req: http.IncomingMessage) => void } | undefined;
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (holding?.match(req)) {
      holding.held.push([req, res]);
      holding.seen(req);
      return;
    }
    serve(req, res);
  });
  const serve = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (verify && !signatureOk(req, secrets)) {
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
        '<Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message>' +
        `<RequestId>${randomBytes(8).toString('hex')}</RequestId></Error>`;
      res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      req.resume();
      return;
    }
    handle(req, res);
  };
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  const client = () => {
    const c = new S3Client({
      region: S3_TEST_REGION,
      endpoint,
      forcePathStyle: true,
      credentials: { ...S3RVER_CREDENTIALS },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    clients.push(c);
    return c;
  };
  return {
    endpoint,
    host: '127.0.0.1',
    port,
    region: S3_TEST_REGION,
    ...S3RVER_CREDENTIALS,
    directory,
    requests,
    client,
    createBucket: async (name) => {
      const c = client();
      await c.send(new CreateBucketCommand({ Bucket: name }));
    },
    setLastModified: async (bucket, key, when) => {
      const parts = key.split('/');
      const file = path.join(directory, bucket, ...parts.slice(0, -1), `${parts[parts.length - 1]}._S3rver_object`);
      // s3rver answers a PUT when the body has been read, not when its file is written (its
      // filesystem store resolves on the hashing stream's 'finish'): a late write would reset the
      // time, so set it until it stays.
      for (let attempt = 0; attempt < 40; attempt++) {
        fs.utimesSync(file, when, when);
        await new Promise((resolve) => setTimeout(resolve, 25));
        if (fs.statSync(file).mtimeMs === when.getTime()) return;
      }
      throw new Error(`could not backdate ${bucket}/${key}: its file kept changing`);
    },
    hold: (match) => {
      let seen!: (req: http.IncomingMessage) => void;
      const first = new Promise<http.IncomingMessage>((resolve) => (seen = resolve));
      const mine = { match, held: [] as [http.IncomingMessage, http.ServerResponse][], seen };
      holding = mine;
      const end = (each: (req: http.IncomingMessage, res: http.ServerResponse) => void) => {
        if (holding === mine) holding = undefined;
        for (const [req, res] of mine.held.splice(0)) each(req, res);
      };
      return { first, release: () => end(serve), drop: () => end((req) => req.socket.destroy()) };
    },
    stop: async () => {
      for (const c of clients) c.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!opts.directory) fs.rmSync(directory, { recursive: true, force: true }); // a given folder is the caller's
    },
  };
}

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * SigV4 check of a header-signed request (AWS4-HMAC-SHA256 Authorization header). Requests without
 * one (anonymous, presigned) pass through to s3rver. The payload hash is the one the client put in
 * x-amz-content-sha256, as S3 signs it; the body itself is not hashed here.
 */
function signatureOk(req: http.IncomingMessage, secrets: Map<string, string>): boolean {
  const auth = req.headers.authorization;
  if (!auth?.startsWith('AWS4-HMAC-SHA256 ')) return true;
  const m = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})/.exec(auth);
  if (!m) return false;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string];
  const secret = secrets.get(accessKeyId);
  if (secret === undefined) return true; // s3rver answers InvalidAccessKeyId
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const canonicalUri = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  const params = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const k = decodeURIComponent(eq === -1 ? pair : pair.slice(0, eq));
      const v = eq === -1 ? '' : decodeURIComponent(pair.slice(eq + 1));
      return [rfc3986(k), rfc3986(v)] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const canonicalQuery = params.map(([k, v]) => `${k}=${v}`).join('&');
  const names = signedHeaders.split(';');
  const canonicalHeaders = names
    .map((n) => {
      const raw = req.headers[n];
      const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
      return `${n}:${value.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const payloadHash = (req.headers['x-amz-content-sha256'] as string | undefined) ?? 'UNSIGNED-PAYLOAD';
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const amzDate = (req.headers['x-amz-date'] as string | undefined) ?? '';
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
