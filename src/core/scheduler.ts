/**
 * The one scheduler of periodic work. Schedules live in PostgreSQL (`schedules`), not in Redis:
 * every worker process runs the same small loop, claims the schedules that are due with
 * FOR UPDATE SKIP LOCKED, enqueues their job and advances `next_run_at` in the SAME transaction.
 * So:
 * - a Redis restart loses nothing: a slot whose enqueue failed rolls back and is claimed again on
 *   the next loop; Bull's own repeat jobs (kept in Redis) are not used;
 * - several workers never enqueue the same slot: the row is locked and moved forward by whoever
 *   claimed it, and the job id names the slot (`<schedule>@<slot time>`), so even a retried enqueue
 *   of the same slot is a no-op;
 * - slots missed while no worker ran are not replayed one by one: the next loop enqueues once and
 *   moves on to the next future slot (the jobs are ticks that look at what is due in PostgreSQL).
 * What a tick does is claimed in PostgreSQL as well (dataflow runs, evaluations, populations…).
 */
import type { Db } from './db';
import type { JobQueue } from './jobs';
import type { Logger } from './log';
import { nextSlot, Recurrence } from './schedule';

export interface ScheduleInfo {
  name: string;
  recurrence: Recurrence;
  jobName: string;
  nextRunAt: string;
  lastRunAt: string | null;
  lastEnqueuedJobId: string | null;
}

interface ScheduleRow {
  name: string;
  recurrence: Recurrence;
  job_name: string;
  data: unknown;
  next_run_at: Date;
  last_run_at: Date | null;
  last_job_id: string | null;
}

export class Scheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly db: Db,
    private readonly jobs: JobQueue,
    private readonly log: Logger,
    /** Wall-clock time of slots: ticks poll on real time; what they find due uses services.clock. */
    private readonly now: () => Date = () => new Date(),
    /**
     * An enqueue that does not answer in time (Redis down: its client queues commands until it
     * reconnects) fails the slot's transaction instead of holding the row lock; should the queued
     * command land later, the slot's job id makes the next enqueue of that slot a no-op.
     */
    private readonly enqueueTimeoutMs = 5000,
  ) {}

  /**
   * Declares a schedule (idempotent: every worker declares the same ones at start). A changed
   * recurrence takes effect from now; an unchanged one keeps its next slot.
   */
  async declare(name: string, recurrence: Recurrence, jobName: string, data: unknown = {}): Promise<void> {
    const next = slotAfter(recurrence, this.now());
    await this.db.raw(
      `insert into schedules (name, recurrence, job_name, data, next_run_at) values (?, ?::jsonb, ?, ?::jsonb, ?)
       on conflict (name) do update set
         next_run_at = case when schedules.recurrence = excluded.recurrence then schedules.next_run_at else excluded.next_run_at end,
         recurrence = excluded.recurrence, job_name = excluded.job_name, data = excluded.data, updated_at = now()`,
      [name, JSON.stringify(recurrence), jobName, JSON.stringify(data ?? {}), next],
    );
  }

  /** Enqueues every due schedule once; returns how many were enqueued. */
  async runDue(): Promise<number> {
    const now = this.now();
    let enqueued = 0;
    for (;;) {
      const done = await this.db.transaction(async (tx) => {
        const row = await tx<ScheduleRow>('schedules').where('next_run_at', '<=', now).orderBy('next_run_at').forUpdate().skipLocked().first();
        if (!row) return false;
        const jobId = `${row.name}@${row.next_run_at.toISOString()}`;
        // Enqueue inside the transaction: if Redis is down this throws and the slot stays due.
        await withTimeout(this.jobs.enqueue(row.job_name, row.data ?? {}, { jobId, attempts: 1 }), this.enqueueTimeoutMs, `enqueueing ${jobId}`);
        await tx('schedules')
          .where({ name: row.name })
          .update({ next_run_at: slotAfter(row.recurrence, now), last_run_at: now, last_job_id: jobId, updated_at: tx.fn.now() });
        return true;
      });
      if (!done) return enqueued;
      enqueued++;
    }
  }

  /** Runs the loop every `intervalMs` until stop(). Errors (e.g. Redis down) are logged and retried. */
  start(intervalMs = 5000): void {
    if (this.timer) return;
    const loop = () => {
      this.running = this.runDue().catch((err) => {
        this.log.warn({ err: (err as Error).message }, 'scheduler: could not enqueue due schedules; retrying');
        return 0;
      });
      void this.running.finally(() => {
        if (this.timer) this.timer = setTimeout(loop, intervalMs);
      });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    const t = this.timer;
    this.timer = undefined;
    if (t) clearTimeout(t);
    await this.running;
  }

  async list(): Promise<ScheduleInfo[]> {
    const rows = await this.db<ScheduleRow>('schedules').orderBy('name');
    return rows.map((r) => ({
      name: r.name,
      recurrence: r.recurrence,
      jobName: r.job_name,
      nextRunAt: r.next_run_at.toISOString(),
      lastRunAt: r.last_run_at?.toISOString() ?? null,
      lastEnqueuedJobId: r.last_job_id,
    }));
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Slots counted from 2000-01-01T00:00Z unless the recurrence starts elsewhere: every minute is on the minute. */
const EPOCH = new Date('2000-01-01T00:00:00.000Z');

function slotAfter(recurrence: Recurrence, after: Date): Date {
  const next = nextSlot(recurrence, EPOCH, after);
  if (!next) throw new Error('a worker schedule recurs; `once` is not one');
  return next;
}
