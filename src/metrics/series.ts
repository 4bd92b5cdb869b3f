/**
 * Every series GET /metrics shows: name, help, labels and type, in one place (README "Metrics"
 * lists the same). Labels only ever take values from a fixed set — route templates, job names,
 * target kinds, outcomes — never from a request, so no client can grow the series count.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DestinationKind } from '../activation/types';

/** Request durations from 5 ms up to the 5 minutes a large upload or download may take. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** `route` of requests no API route matched (404s, any path a client makes up). */
export const UNMATCHED_ROUTE = 'unmatched';
/** `route` of the web console's pages and assets. */
export const CONSOLE_ROUTE = 'console';

export function defineSeries(registry: Registry) {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  // The job queue gauges, read at scrape time, all by queue.
  const queueGauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['queue'] as const, registers });
  return {
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by method, route template (e.g. /v1/datasets/:id/data; unmatched, console) and status, until the response was sent or the client went away',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: HTTP_BUCKETS,
      registers,
    }),

    jobsWaiting: queueGauge('cdp_jobs_waiting', 'Jobs due and waiting for a worker, by queue (job name)'),
    jobsActive: queueGauge('cdp_jobs_active', 'Jobs running now, by queue'),
    jobsDelayed: queueGauge('cdp_jobs_delayed', 'Jobs waiting for their time: delayed jobs and retries in their backoff, by queue'),
    jobsFailed: queueGauge('cdp_jobs_failed', 'Failed jobs still kept (Bull: the last 5,000 per queue; in-process: among the last 1,000 finished), by queue'),
    jobsOldestWaitingAge: queueGauge('cdp_jobs_oldest_waiting_age_seconds', 'How long the oldest waiting job has been due, by queue (0 when none waits)'),
    jobsFinished: new Counter({
      name: 'cdp_jobs_finished_total',
      help: 'Jobs this process finished, by queue and outcome (completed; failed = its last attempt failed)',
      labelNames: ['queue', 'outcome'] as const,
      registers,
    }),
    jobAttemptsFailed: new Counter({
      name: 'cdp_job_attempts_failed_total',
      help: 'Failed attempts in this process, retried ones included, by queue',
      labelNames: ['queue'] as const,
      registers,
    }),

    batchRows: new Counter({
      name: 'cdp_batch_rows_total',
      help: 'Rows of batch files whose load ended: ok = valid and staged for the batch, failed = refused with a row error',
      labelNames: ['outcome'] as const,
      registers,
    }),
    exportRows: new Counter({ name: 'cdp_export_rows_total', help: 'Rows written by successful activation runs, by destination type', labelNames: ['destination_type'] as const, registers }),
    exportFiles: new Counter({ name: 'cdp_export_files_total', help: 'Files published by successful activation runs, by destination type', labelNames: ['destination_type'] as const, registers }),
    collectEvents: new Counter({
      name: 'cdp_collect_events_total',
      help: 'Pixel & SDK events: accepted = stored, deduplicated = a repeated eventId answered 202 and not stored again, rejected = refused with their request',
      labelNames: ['outcome'] as const,
      registers,
    }),
    matPostbacks: new Counter({
      name: 'cdp_mat_postbacks_total',
      help: 'MAT postbacks: accepted = stored, deduplicated = a resend not stored again, ignored = no event or ad id, rejected = refused with their request',
      labelNames: ['outcome'] as const,
      registers,
    }),
    populationCounts: new Counter({
      name: 'cdp_population_counts_total',
      help: 'Population (모수) counts done, by subject kind and outcome (ready, too_small = below the minimum, failed)',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    }),

    poolInUse: new Gauge({ name: 'cdp_db_pool_in_use', help: 'Database pool connections in use', registers }),
    poolWaiting: new Gauge({ name: 'cdp_db_pool_waiting', help: 'Requests for a database connection waiting for the pool', registers }),
    poolFree: new Gauge({ name: 'cdp_db_pool_free', help: 'Open database pool connections not in use', registers }),
    poolMax: new Gauge({ name: 'cdp_db_pool_max', help: 'Largest number of connections the pool opens (DATABASE_POOL_MAX)', registers }),
  };
}

export type Series = ReturnType<typeof defineSeries>;

/** Outcomes shown from the start at 0, so a rate() has a beginning and a dashboard no gap. */
export const OUTCOMES = {
  batchRows: ['ok', 'failed'],
  collectEvents: ['accepted', 'deduplicated', 'rejected'],
  matPostbacks: ['accepted', 'deduplicated', 'ignored', 'rejected'],
  exportDestinations: ['s3', 'liveramp'] satisfies DestinationKind[],
} as const;
