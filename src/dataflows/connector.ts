/** Opening a connection's source connector, and the checks of its folder and credentials. */
import { createS3Source } from '../../connectors/s3';
import { createSftpSource } from '../../connectors/sftp';
import type { FailureReason, SourceConnector } from '../../connectors/types';
import type { RemotePathKind } from '../core/remote-path';
import { NotFound, ruleError } from '../core/errors';
import type { ConnectionKind, S3Credentials, S3Settings, SftpCredentials, SftpSettings } from './types';

export const SFTP_SECRETS = ['password', 'privateKey', 'passphrase'] as const;
export const S3_SECRETS = ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const;

export function defaultConnector(kind: ConnectionKind, settings: Record<string, unknown>, credentials: Record<string, unknown>, timeoutMs?: number): SourceConnector {
  if (kind === 'sftp') {
    const s = settings as unknown as SftpSettings;
    const c = credentials as SftpCredentials;
    return createSftpSource({ host: s.host, port: s.port, username: s.username, hostKeyFingerprint: s.hostKeyFingerprint, ...c, timeoutMs });
  }
  const s = settings as unknown as S3Settings;
  const c = credentials as unknown as S3Credentials;
  return createS3Source({ region: s.region, endpoint: s.endpoint, bucket: s.bucket, ...c, timeoutMs });
}

/** A dataflow's folder is a key prefix on S3 and a path (absolute or login-relative) on SFTP. */
export type PreviewFailure = { ok: false; reason: FailureReason | 'unreadable'; message: string };

export function folderKind(kind: ConnectionKind): RemotePathKind {
  return kind === 's3' ? 's3-prefix' : 'sftp-folder';
}

export function checkCredentials(kind: ConnectionKind, c: Record<string, unknown>): void {
  const allowed: readonly string[] = kind === 'sftp' ? SFTP_SECRETS : S3_SECRETS;
  const unknown = Object.keys(c).find((k) => !allowed.includes(k));
  if (unknown) throw ruleError(`/credentials/${unknown}`, 'known-credential', `${unknown} is not a ${kind} credential; use ${allowed.join(', ')}`);
  if (kind === 'sftp' && !c.password && !c.privateKey) {
    throw ruleError('/credentials', 'password-or-key', 'An SFTP connection needs a password or an OpenSSH private key');
  }
  if (kind === 's3' && (!c.accessKeyId || !c.secretAccessKey)) {
    throw ruleError('/credentials', 'access-key', 'An S3 connection needs accessKeyId and secretAccessKey');
  }
}

export function notFoundAt(pointer: string) {
  return (err: unknown) => {
    if (err instanceof NotFound) throw ruleError(pointer, 'exists', `${err.message} in this ad account`);
    throw err;
  };
}
