/**
 * The contract every source connector (SFTP, S3) implements. Dataflow runs list a folder, pick the
 * files they have not ingested yet (by fingerprint) and stream each one; connection tests back the
 * "test connection" button of a source connection.
 */
import type { Readable } from 'node:stream';

export interface RemoteFile {
  /** Full remote path (SFTP) or object key (S3); pass it back to open(). */
  path: string;
  size: number;
  modifiedAt: Date;
  etag?: string;
  /** stable identity of this version of the file: etag for S3, `${size}:${mtimeMs}` for SFTP */
  fingerprint: string;
}

export type FailureReason =
  | 'auth_failed'
  | 'host_unreachable'
  | 'host_key_mismatch'
  | 'no_such_folder'
  | 'permission_denied'
  | 'timeout'
  | 'protocol'
  | 'unknown';

/** A connector failure: why (reason), what to fix (message) and whether trying again later may help. */
export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  constructor(
    readonly reason: FailureReason,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type ConnectionTestResult =
  | { ok: true; detail: string; sample: RemoteFile[] }
  | { ok: false; reason: FailureReason; message: string };

export interface SourceConnector {
  /** Checks reachability, credentials and that the folder can be listed and read. Never throws. */
  test(folder: string): Promise<ConnectionTestResult>;
  /** Files directly in folder (S3: under prefix, not recursive beyond it unless recursive), filtered by a glob on the base name (`*.csv`, `prospects_*.csv.gz`); sorted by modifiedAt then path. */
  list(folder: string, opts?: { pattern?: string; recursive?: boolean }): Promise<RemoteFile[]>;
  /** Streaming read of one file; the stream errors (ConnectorError) if the connection drops mid-file. */
  open(file: RemoteFile): Promise<NodeJS.ReadableStream & Readable>;
  close(): Promise<void>;
}

export interface SftpSpec {
  host: string;
  port?: number;
  username: string;
  password?: string;
  privateKey?: string;
  passphrase?: string;
  /** `SHA256:<base64>` as printed by ssh-keygen -l; when set, any other host key is refused */
  hostKeyFingerprint?: string;
  timeoutMs?: number;
}

export interface S3Spec {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  /** S3-compatible endpoint (path-style) */
  endpoint?: string;
  bucket: string;
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
