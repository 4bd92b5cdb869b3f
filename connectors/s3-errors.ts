/**
 * The one translation of AWS SDK errors into ConnectorErrors, for the S3 source (dataflows) and the
 * S3 destination (activations): why it failed, whether trying again later may help, and a message
 * that names the setting to fix — the source's or the destination's, for the request at hand.
 */
import { ConnectorError, type S3Spec } from './types';
import { describe, networkCode } from './util';

/** What a request did: sources list and read; destinations list, check, write and abort uploads. */
export type S3Op = 'list' | 'read' | 'check' | 'write' | 'abort';

export interface S3ErrorContext {
  spec: Pick<S3Spec, 'bucket' | 'region' | 'accessKeyId' | 'endpoint'>;
  timeoutMs: number;
  /** Whose settings name the bucket and folder: a dataflow's source connection, or a destination. */
  owner: 'source' | 'destination';
  op: S3Op;
  /** The object key or prefix the request was about. */
  key: string;
}

/** How a message says the request (`while listing s3://…`) and the permission a refusal asks for. */
const OPS: Record<S3Op, { doing: string; grant: string }> = {
  list: { doing: 'listing', grant: 's3:ListBucket' },
  read: { doing: 'reading', grant: 's3:GetObject' },
  check: { doing: 'checking', grant: 's3:GetObject (and s3:ListBucket, so missing files answer 404)' },
  write: { doing: 'writing', grant: 's3:PutObject' },
  abort: { doing: 'aborting the upload of', grant: 's3:AbortMultipartUpload' },
};

/**
 * Where each owner's bucket and folder are set, as the messages name them, and the messages that
 * mean a lost connection: a read cut mid-body says "aborted", while a destination's "Upload
 * aborted." is its own abort, not the network's.
 */
const SETTINGS = {
  source: { bucket: 'the bucket name', folder: "the bucket and the dataflow's folder", grantOn: 'it', lost: /aborted|socket hang up|closed before the end/i },
  destination: { bucket: "the destination's bucket name", folder: "the destination's bucket and folder", grantOn: "the destination's folder", lost: /socket hang up|closed before the end/i },
};

export function s3Endpoint(spec: Pick<S3Spec, 'endpoint' | 'region'>): string {
  return spec.endpoint ?? `s3.${spec.region}.amazonaws.com`;
}

export function s3Error(err: unknown, ctx: S3ErrorContext): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.Code ?? e.name ?? '';
  const code = networkCode(err) ?? '';
  const status = e.$metadata?.httpStatusCode;
  const msg = describe(err);
  const { spec } = ctx;
  const keyId = spec.accessKeyId;
  const where = s3Endpoint(spec);
  const at = `s3://${spec.bucket}/${ctx.key}`;
  const { doing, grant } = OPS[ctx.op];
  const settings = SETTINGS[ctx.owner];
  const cause = { cause: err };
  const denied = () =>
    new ConnectorError('permission_denied', `access key ${keyId} may not ${ctx.op} ${at}: grant ${grant} on ${settings.grantOn} to that key, or check the bucket and folder`, false, cause);
  switch (name) {
    case 'InvalidAccessKeyId':
      return new ConnectorError('auth_failed', `S3 does not know access key ${keyId}: check the access key ID`, false, cause);
    case 'SignatureDoesNotMatch':
      return new ConnectorError('auth_failed', `S3 rejected the request signature of access key ${keyId}: check the secret access key`, false, cause);
    case 'ExpiredToken':
    case 'TokenRefreshRequired':
      return new ConnectorError('auth_failed', `the session token of access key ${keyId} has expired: issue new temporary credentials`, false, cause);
    case 'InvalidToken':
      return new ConnectorError('auth_failed', `S3 rejected the session token of access key ${keyId}: check the session token`, false, cause);
    case 'NoSuchBucket':
      return new ConnectorError('no_such_folder', `no such bucket ${spec.bucket} at ${where}: check ${settings.bucket}`, false, cause);
    // Reads: the listed object went away, or changed (GetObject with If-Match).
    case 'NoSuchKey':
      return new ConnectorError('no_such_folder', `no such file ${at}: it was moved or deleted after it was listed; the next run lists the folder again`, true, cause);
    case 'PreconditionFailed':
      return new ConnectorError('unknown', `${at} changed after it was listed: the next run picks up the new version`, true, cause);
    // Writes: a multipart upload that someone else ended.
    case 'NoSuchUpload':
      return new ConnectorError('unknown', `the multipart upload of ${at} is gone (aborted elsewhere, or removed by a lifecycle rule); the next run writes the file again`, true, cause);
    case 'AuthorizationHeaderMalformed':
    case 'PermanentRedirect':
    case 'IllegalLocationConstraintException':
      return new ConnectorError('protocol', `bucket ${spec.bucket} is not in region ${spec.region} (${msg}): set the bucket's region`, false, cause);
    case 'RequestTimeTooSkewed':
      return new ConnectorError('protocol', `S3 refused the request because our clock differs too much from ${where}'s: fix the server clock (NTP)`, true, cause);
    case 'AccessDenied':
    case 'AllAccessDisabled':
    case 'Forbidden':
      return denied();
    case 'TimeoutError':
    case 'RequestTimeout':
      return new ConnectorError('timeout', `S3 endpoint ${where} did not answer while ${doing} ${at} within ${ctx.timeoutMs / 1000} s: check the endpoint, or raise timeoutMs if it is just slow`, true, cause);
  }
  if (code === 'ECONNREFUSED') {
    return new ConnectorError('host_unreachable', `cannot reach S3 endpoint ${where} (connection refused): check the endpoint (service URL)`, true, cause);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConnectorError('host_unreachable', `S3 endpoint ${where} does not resolve: check the endpoint (service URL) and region`, true, cause);
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new ConnectorError('host_unreachable', `cannot reach S3 endpoint ${where} (${code}): check the endpoint and network access`, true, cause);
  }
  if (code === 'ETIMEDOUT') {
    return new ConnectorError('timeout', `S3 endpoint ${where} timed out: check the endpoint, or raise timeoutMs`, true, cause);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || settings.lost.test(msg)) {
    return new ConnectorError('host_unreachable', `the connection to S3 endpoint ${where} was lost while ${doing} ${at} (${msg}); the next run retries`, true, cause);
  }
  if (status === 403) return denied();
  if (status === 404) return new ConnectorError('no_such_folder', `${at} not found at ${where}: check ${settings.folder}`, false, cause);
  if (status !== undefined && status >= 500) {
    return new ConnectorError('unknown', `S3 endpoint ${where} failed (${status} ${name || msg}) while ${doing} ${at}; the next run retries`, true, cause);
  }
  return new ConnectorError('unknown', `S3 error while ${doing} ${at}: ${name && name !== 'Error' ? `${name}: ` : ''}${msg}`, false, cause);
}
