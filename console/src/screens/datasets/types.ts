/** What the Datasets screens read (the DTOs of src/datasets/service.ts and src/ingestion/service.ts). */
export type ExpirationStatus = 'pending' | 'executing' | 'completed' | 'cancelled';

export interface DatasetExpiration {
  id: string;
  datasetId: string;
  expiresAt: string;
  status: ExpirationStatus;
  createdAt: string;
  completedAt: string | null;
}

export interface Dataset {
  id: string;
  name: string;
  description: string;
  schemaId: string;
  classKind: 'prospect' | 'first_party';
  primaryIdentity: { fieldPath: string; namespaceId: string };
  profileEnabled: boolean;
  profileEnabledAt: string | null;
  labels: string[];
  table: string;
  counts: { records: number; currentRecords: number; batches: number };
  expiration: DatasetExpiration | null;
  createdAt: string;
  updatedAt: string;
}

export type BatchStatus = 'loading' | 'staged' | 'success' | 'failed' | 'aborted' | 'deleted';

export interface Batch {
  id: string;
  datasetId: string;
  status: BatchStatus;
  counts: { input: number; output: number; failed: number };
  failureReason: string | null;
  files: { index: number; name: string; bytes: number; status: string; counts: { input: number; output: number; failed: number }; failureReason: string | null }[];
  source: string;
  createdAt: string;
  completedAt: string | null;
}

export interface SchemaSummary {
  id: string;
  title: string;
  kind: 'prospect' | 'first_party';
  profileEnabled: boolean;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

import type { Tone } from '../../ui/StatusBadge';

export const BATCH_TONES: Record<BatchStatus, Tone> = { loading: 'active', staged: 'active', success: 'success', failed: 'danger', aborted: 'warning', deleted: 'neutral' };
