/** Rows → the API's camelCase shapes. */
import type { Dataflow, DataflowRow, DataflowRun, RunRow } from './types';

export function toDataflow(r: DataflowRow): Dataflow {
  return {
    id: r.id,
    name: r.name,
    connectionId: r.connection_id,
    datasetId: r.dataset_id,
    folder: r.folder,
    pattern: r.pattern,
    format: r.format,
    mapping: r.mapping,
    errorThreshold: Number(r.error_threshold),
    schedule: r.schedule,
    backfill: r.backfill,
    enabled: r.enabled,
    nextRunAt: r.next_run_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export function toRun(r: RunRow): DataflowRun {
  return {
    id: r.id,
    dataflowId: r.dataflow_id,
    status: r.status,
    trigger: r.trigger,
    counts: {
      filesFound: r.files_found,
      filesIngested: r.files_ingested,
      filesFailed: r.files_failed,
      input: Number(r.input_count),
      output: Number(r.output_count),
      failed: Number(r.failed_count),
    },
    error: r.error,
    createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}
