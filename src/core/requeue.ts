/**
 * Runs stored `queued` — or in flight (`processing`, `running`) — in PostgreSQL whose job the queue
 * no longer has are queued again, under the same job id. That happens when Redis restarts without
 * its data (or is flushed), also under a run a worker was working on (that worker may be gone too:
 * nothing else would ever finish the run), and when a process dies between storing a run and
 * queueing its job. A queue refuses a second job with an id it holds (Bull in Redis, in any state;
 * the in-process queue in local_jobs, whichever process runs it), so a run whose job is waiting or
 * running is never queued twice; handlers leave finished runs alone and continue interrupted ones.
 */
import type { Db } from './db';
import { idAt } from './ids';
import type { JobQueue } from './jobs';

export interface QueuedRuns {
  /** The module's table of runs, with `id` (newId, time-ordered), `status` and `created_at`. */
  table: string;
  /** The prefix of its ids: `since` is read through the primary key. */
  idPrefix: string;
  /** The status of a run a worker has taken (`processing`, or `running` for evaluations). */
  inFlight: string;
  /** The job that runs one, whose id is the run's. */
  job: string;
  /** Queues the run's job, as the module does when it stores the run. */
  enqueue(id: string): Promise<unknown>;
}

/** The scheduled pass (every minute) over runs made within REQUEUE_LOOKBACK_MS; a worker's start looks at all of them. */
export const REQUEUE_JOB = 'runs.requeue';
export const REQUEUE_LOOKBACK_MS = 24 * 3600_000;
/** A run younger than this is left alone: its job is being added right now. */
export const REQUEUE_AFTER_MS = 60_000;
const PAGE = 500;

/** Queues again the lost jobs of `spec`'s queued and in-flight runs (made since `since`; null → all). Returns how many. */
export async function requeueLost(db: Db, jobs: JobQueue, spec: QueuedRuns, since: Date | null): Promise<number> {
  let requeued = 0;
  let after = since ? idAt(spec.idPrefix, since) : '';
  for (;;) {
    const rows: { id: string }[] = await db(spec.table)
      .where('id', '>', after)
      .whereIn('status', ['queued', spec.inFlight])
      .whereRaw(`created_at < now() - ? * interval '1 millisecond'`, [REQUEUE_AFTER_MS])
      .orderBy('id')
      .limit(PAGE)
      .select('id');
    for (const { id } of rows) {
      if (await jobs.get(spec.job, id)) continue;
      await spec.enqueue(id);
      requeued += 1;
    }
    if (rows.length < PAGE) return requeued;
    after = rows[rows.length - 1].id;
  }
}
