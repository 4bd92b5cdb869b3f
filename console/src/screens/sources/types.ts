/** What the Sources screens read (the DTOs of src/dataflows/service.ts and connectors/types.ts). */
export type ConnectionKind = 'sftp' | 's3';

export interface Connection {
  id: string;
  name: string;
  kind: ConnectionKind;
  settings: Record<string, unknown>;
  credentialsSet: string[];
  createdAt: string;
  updatedAt: string;
}

export interface RemoteFile {
  path: string;
  size: number;
  modifiedAt: string;
  fingerprint: string;
}

export type FailureReason = 'auth_failed' | 'host_unreachable' | 'host_key_mismatch' | 'no_such_folder' | 'permission_denied' | 'timeout' | 'protocol' | 'unknown';

export type TestResult = { ok: true; detail: string; sample: RemoteFile[] } | { ok: false; reason: FailureReason; message: string };

export type Frequency = 'once' | 'minute' | 'hour' | 'day' | 'week';

export interface Schedule {
  frequency: Frequency;
  interval?: number;
  startAt?: string;
}

export interface Dataflow {
  id: string;
  name: string;
  connectionId: string;
  datasetId: string;
  folder: string;
  pattern: string;
  format: { format: 'csv' | 'jsonl' };
  mapping: Record<string, string> | null;
  errorThreshold: number;
  schedule: Schedule;
  backfill: boolean;
  enabled: boolean;
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

export interface DatasetSummary {
  id: string;
  name: string;
  schemaId: string;
  classKind: string;
  profileEnabled: boolean;
  primaryIdentity: { fieldPath: string; namespaceId: string };
}

import type { Tone } from '../../ui/StatusBadge';

export const RUN_TONES: Record<RunStatus, Tone> = { queued: 'neutral', processing: 'active', success: 'success', failed: 'danger' };

/** `sftp.example.com:22` or `s3://bucket` — where a connection points. */
export function whereOf(c: Connection): string {
  const s = c.settings as { host?: string; port?: number; bucket?: string; endpoint?: string };
  return c.kind === 'sftp' ? `${s.host}:${s.port ?? 22}` : `s3://${s.bucket}${s.endpoint ? ` (${s.endpoint})` : ''}`;
}
