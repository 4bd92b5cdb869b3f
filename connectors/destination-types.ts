/**
 * The contract every destination writer (S3, SFTP/LiveRamp) implements. An activation run opens one
 * part per output file, streams encoded bytes into it (export-format.ts does CSV/JSON and gzip) and
 * commits it; only committed files are ever visible to the partner under their final name.
 *
 * Glossary: *final name* — the file name the partner sees (`acme_segment…_20240102030405.csv`);
 * *part* — one file being written; *publish* — make a part visible under its final name, atomically.
 */
import type { Writable } from 'node:stream';
import type { ConnectionTestResult } from './types';

export interface PublishedFile {
  /** The final name, as passed to openPart. */
  name: string;
  /** Object key (S3) or remote path (SFTP) of the published file. */
  path: string;
  rows: number;
  /** Bytes written (after compression). */
  bytes: number;
}

export interface DestinationPart {
  /** Write encoded bytes here (respect backpressure). It errors (ConnectorError) when the upload fails. */
  stream: Writable;
  /** Ends the stream and publishes atomically under the final name; returns what was written. */
  commit(rows: number): Promise<PublishedFile>;
  /** Drops everything of this part; nothing becomes visible. Safe to call twice or after a failed commit. */
  abort(): Promise<void>;
}

/** A multipart upload a writer started (S3): invisible until completed, and billed until aborted. */
export interface StartedUpload {
  key: string;
  uploadId: string;
}

/**
 * Told of every multipart upload as it starts and ends, so the caller can keep a durable list: a
 * run killed outright leaves uploads that only this list can find (ListMultipartUploads is not
 * everywhere: s3rver lacks it), and the run's retry aborts them.
 */
export interface UploadJournal {
  started(upload: StartedUpload): Promise<void>;
  ended(upload: StartedUpload): Promise<void>;
}

export interface DestinationWriter {
  /** Checks credentials, the folder and write access without publishing anything. Never throws. */
  test(): Promise<ConnectionTestResult>;
  /** True when a file with this final name is already published (a retried run skips it). */
  exists(finalName: string): Promise<boolean>;
  /** Starts one file; nothing is visible under finalName until commit(). */
  openPart(finalName: string): Promise<DestinationPart>;
  /** Aborts uploads an earlier, killed attempt left (S3); writers without such uploads do nothing. */
  abandon(uploads: readonly StartedUpload[]): Promise<void>;
  close(): Promise<void>;
}
