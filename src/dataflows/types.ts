/** The dataflows module's shapes: connections, dataflows and runs as the API shows them, and their rows. */
import type { SourceConnector } from '../../connectors/types';
import type { FileFormat } from '../ingestion/records';
import type { Schedule } from './schedule';

export type ConnectionKind = 'sftp' | 's3';

export interface SftpSettings {
  host: string;
  port?: number;
  username: string;
  hostKeyFingerprint?: string;
}
export interface SftpCredentials {
  password?: string;
  privateKey?: string;
  passphrase?: string;
}
export interface S3Settings {
  region: string;
  endpoint?: string;
  bucket: string;
}
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface ConnectionInput {
  name: string;
  kind: ConnectionKind;
  settings: SftpSettings | S3Settings;
  credentials: SftpCredentials | S3Credentials;
  timeoutMs?: number;
}

export interface Connection {
  id: string;
  name: string;
  kind: ConnectionKind;
  settings: Record<string, unknown>;
  /** Names of the credentials that are set; their values are never returned. */
  credentialsSet: string[];
  createdAt: string;
  updatedAt: string;
}

export interface DataflowInput {
  name: string;
  connectionId: string;
  datasetId: string;
  folder: string;
  pattern?: string;
  format: FileFormat;
  mapping?: Record<string, string>;
  errorThreshold?: number;
  schedule: Schedule;
  backfill?: boolean;
  enabled?: boolean;
}

export interface Dataflow extends Required<Omit<DataflowInput, 'mapping'>> {
  id: string;
  mapping: Record<string, string> | null;
  nextRunAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type RunStatus = 'queued' | 'processing' | 'success' | 'failed';

export interface DataflowRun {
  id: string;
  dataflowId: string;
  status: RunStatus;
  trigger: 'schedule' | 'manual';
  counts: { filesFound: number; filesIngested: number; filesFailed: number; input: number; output: number; failed: number };
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  files?: { path: string; fingerprint: string; size: number; status: string; batchId: string | null; attempts: number; error: string | null }[];
}

export interface ConnectionRow {
  id: string;
  ad_account_id: string;
  name: string;
  kind: ConnectionKind;
  settings: Record<string, unknown>;
  secret: string;
  created_at: Date;
  updated_at: Date;
}

export interface DataflowRow {
  id: string;
  ad_account_id: string;
  name: string;
  connection_id: string;
  dataset_id: string;
  folder: string;
  pattern: string;
  format: FileFormat;
  mapping: Record<string, string> | null;
  error_threshold: string;
  schedule: Schedule;
  backfill: boolean;
  enabled: boolean;
  next_run_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface RunRow {
  id: string;
  ad_account_id: string;
  dataflow_id: string;
  status: RunStatus;
  trigger: 'schedule' | 'manual';
  files_found: number;
  files_ingested: number;
  files_failed: number;
  input_count: string;
  output_count: string;
  failed_count: string;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface FileClaim {
  id: string;
  status: string;
  batch_id: string | null;
  attempts: number;
}

export interface DataflowOptions {
  /** Tries per file for transient failures before it is marked failed. */
  maxFileAttempts: number;
  /** Tries of a folder listing before the run fails. */
  listAttempts: number;
  retryBaseMs: number;
  /** Connector factory; tests pass S3 page sizes or short timeouts through it. */
  connectorFor?: (kind: ConnectionKind, settings: Record<string, unknown>, credentials: Record<string, unknown>, timeoutMs?: number) => SourceConnector;
}

export const DEFAULTS: DataflowOptions = { maxFileAttempts: 5, listAttempts: 3, retryBaseMs: 2000 };
