/**
 * Batch ingestion's words. A batch is one load into one dataset: created, given one or more files
 * (each streamed into the batch's staging table, bad rows kept as row errors), then completed
 * (merged into the dataset at once) or aborted. Its rows live in `batches` and `batch_files`.
 */
import type { FileFormat } from './records';

export type BatchStatus = 'loading' | 'staged' | 'success' | 'failed' | 'aborted' | 'deleted';

/** FileFormat includes `multiValueSeparator` (CSV `string[]` cells split on it; default none: JSON arrays). */
export interface BatchOptions extends FileFormat {
  /** header (or JSON key) → field path; default: headers are field paths */
  mapping?: Record<string, string>;
  /** Percentage of failed rows above which the batch fails; default 5 (Adobe's UI default). */
  errorThreshold?: number;
}

export interface BatchFile {
  index: number;
  name: string;
  bytes: number;
  status: 'loading' | 'loaded' | 'failed';
  counts: { input: number; output: number; failed: number };
  failureReason: string | null;
}

export interface Batch {
  id: string;
  datasetId: string;
  status: BatchStatus;
  format: FileFormat;
  mapping: Record<string, string> | null;
  errorThreshold: number;
  counts: { input: number; output: number; failed: number };
  failureReason: string | null;
  files: BatchFile[];
  source: string;
  createdAt: string;
  completedAt: string | null;
}

export interface BatchRow {
  id: string;
  ad_account_id: string;
  dataset_id: string;
  status: BatchStatus;
  format: FileFormat & { stagingColumns?: string[] };
  mapping: Record<string, string> | null;
  error_threshold: string;
  input_count: string;
  output_count: string;
  failed_count: string;
  failure_reason: string | null;
  seq: string | null;
  /** Partition number of the batch's own table (its rows' `_cdp_part` if it becomes a partition). */
  part: number | null;
  /** Whether the batch's table became a partition of the dataset (else its rows were merged into partition 0). */
  partitioned: boolean;
  source: string;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

export interface FileRow {
  id: string;
  batch_id: string;
  file_index: number;
  name: string;
  bytes: string;
  input_count: string;
  output_count: string;
  failed_count: string;
  status: BatchFile['status'];
  failure_reason: string | null;
}

