/**
 * Background work behind one interface, implemented twice:
 * - BullJobQueue: Bull on Redis (REDIS_URL). Any number of `cdp worker` processes on any number
 *   of machines share the queues; Redis holds the jobs and retries (periodic work is scheduled in
 *   PostgreSQL by core/scheduler.ts, never by Bull's repeat jobs).
 * - InProcessJobQueue: the embedded default without Redis. Same semantics inside one process
 *   (job ids dedupe, retries with exponential backoff, delays). Given a store, each
 *   job is also written to PostgreSQL (local_jobs) under this process's instance id until it ends,
 *   so jobs of a process that was killed are taken over and run again (takeOver), as Bull retries a
 *   stalled job.
 * Handlers must be idempotent: Bull delivers at least once (a stalled job is retried).
 */
import Bull from 'bull';
import type { Db } from './db';
import type { Logger } from './log';

export interface EnqueueOptions {
  /** Deduplicates: adding a job whose id already exists (pending, active or kept) is a no-op. */
  jobId?: string;
  delayMs?: number;
  /** Total tries, default 3. */
  attempts?: number;
  /** First retry delay; doubles on each retry. Default 1000 ms. */
  backoffMs?: number;
}

export interface JobContext {
  id: string;
  /** 1 on the first try. */
  attempt: number;
  progress(percent: number): Promise<void>;
}

export type JobHandler<T = unknown> = (data: T, job: JobContext) => Promise<unknown>;

export type JobStatus = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

export interface JobInfo {
  id: string;
  name: string;
  status: JobStatus;
  /** Tries started so far, including a running or the successful one. */
  attemptsMade: number;
  progress: number;
  failedReason?: string;
  result?: unknown;
}

/** One queue (job name) as seen now: what waits, runs and failed; `oldestWaitingMs` = when the oldest waiting job became due. */
export interface QueueStats {
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
  /** Failed jobs still kept (Bull: the last 5,000 per queue; in-process: among the last 1,000 finished). */
  failed: number;
  oldestWaitingMs: number | null;
}

/** How an attempt ended in this process: completed, failed with a retry to come, or failed for good. */
export type AttemptOutcome = 'completed' | 'retried' | 'failed';
export type AttemptListener = (queue: string, outcome: AttemptOutcome) => void;

export interface JobQueue {
  readonly kind: 'bull' | 'in-process';
  /** Register the handler for a job name. Processing begins with start(). */
  define<T>(name: string, handler: JobHandler<T>, opts?: { concurrency?: number }): void;
  /** Begin processing the defined handlers (API-only processes never call this). */
  start(): Promise<void>;
  enqueue<T>(name: string, data: T, opts?: EnqueueOptions): Promise<string>;
  get(name: string, id: string): Promise<JobInfo | null>;
  /** Throws when the backing store does not answer (health check). */
  ping(): Promise<void>;
  /** Runs the jobs held by processes not in `aliveInstances` (in-process queue); Bull retries stalled jobs itself. */
  takeOver(aliveInstances: readonly number[]): Promise<number>;
  /** Every defined queue now (metrics read it at scrape time). Bull: shared by every process; in-process: this one's. */
  stats(): Promise<QueueStats[]>;
  /** Told about every attempt this process finishes (metrics count them). */
  onAttempt(listener: AttemptListener): void;
  /**
   * Takes no new jobs and resolves once the running ones have finished (Bull: queue.close() waits
   * for active jobs). Jobs left waiting or delayed stay in Redis, or in local_jobs for the process
   * that takes this one's work over.
   */
  close(): Promise<void>;
}

const DEFAULT_ATTEMPTS = 3;
const DEFAULT_BACKOFF_MS = 1000;

export class BullJobQueue implements JobQueue {
  readonly kind = 'bull' as const;
  private readonly queues = new Map<string, Bull.Queue>();
  private readonly handlers = new Map<string, { handler: JobHandler<any>; concurrency: number }>();
  private readonly listeners: AttemptListener[] = [];

  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly defaultConcurrency: number,
    private readonly lockMs = 30_000,
  ) {}

  private queue(name: string): Bull.Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Bull(name, this.redisUrl, {
        prefix: this.prefix,
        // A worker renews its lock while it runs; a killed worker's job is seen stalled and retried.
        settings: { lockDuration: this.lockMs, lockRenewTime: Math.floor(this.lockMs / 2), stalledInterval: this.lockMs, maxStalledCount: 3 },
      });
      q.on('error', (err) => this.log.error({ queue: name, err: err.message }, 'job queue error'));
      this.queues.set(name, q);
    }
    return q;
  }

  define<T>(name: string, handler: JobHandler<T>, opts: { concurrency?: number } = {}): void {
    this.handlers.set(name, { handler, concurrency: opts.concurrency ?? this.defaultConcurrency });
  }

  async start(): Promise<void> {
    for (const [name, { handler, concurrency }] of this.handlers) {
      const q = this.queue(name);
      q.process(concurrency, async (job) =>
        handler(job.data, {
          id: String(job.id),
          attempt: job.attemptsMade + 1,
          progress: async (p) => {
            await job.progress(p);
          },
        }),
      );
      q.on('failed', (job, err) => {
        this.log.warn({ queue: name, jobId: job.id, attempt: job.attemptsMade, err: err.message }, 'job attempt failed');
        // Bull has counted the failed try by now: the last one leaves the job failed.
        this.told(name, job.attemptsMade < (job.opts.attempts ?? 1) ? 'retried' : 'failed');
      });
      q.on('completed', () => this.told(name, 'completed'));
    }
    await Promise.all([...this.handlers.keys()].map((n) => this.queue(n).isReady()));
  }

  async enqueue<T>(name: string, data: T, opts: EnqueueOptions = {}): Promise<string> {
    const job = await this.queue(name).add(data, {
      jobId: opts.jobId,
      delay: opts.delayMs,
      attempts: opts.attempts ?? DEFAULT_ATTEMPTS,
      backoff: { type: 'exponential', delay: opts.backoffMs ?? DEFAULT_BACKOFF_MS },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
    return String(job.id);
  }

  async get(name: string, id: string): Promise<JobInfo | null> {
    const job = await this.queue(name).getJob(id);
    if (!job) return null;
    const state = await job.getState();
    const status: JobStatus = state === 'paused' || state === 'stuck' ? 'waiting' : (state as JobStatus);
    return {
      id: String(job.id),
      name,
      status,
      // Bull counts failed tries only; report tries started, like the in-process queue.
      attemptsMade: status === 'completed' || status === 'active' ? job.attemptsMade + 1 : job.attemptsMade,
      progress: Number(job.progress()) || 0,
      failedReason: job.failedReason,
      result: job.returnvalue,
    };
  }

  async ping(): Promise<void> {
    await this.queue('health').client.ping();
  }

  async takeOver(): Promise<number> {
    return 0;
  }

  async stats(): Promise<QueueStats[]> {
    return Promise.all(
      [...this.handlers.keys()].map(async (name) => {
        const q = this.queue(name);
        const [counts, [oldest]] = await Promise.all([q.getJobCounts(), q.getWaiting(0, 0)]);
        return {
          queue: name,
          waiting: counts.waiting,
          active: counts.active,
          delayed: counts.delayed,
          failed: counts.failed,
          // A delayed job or a retry became due `delay` after it was added.
          oldestWaitingMs: oldest ? oldest.timestamp + (oldest.opts.delay ?? 0) : null,
        };
      }),
    );
  }

  onAttempt(listener: AttemptListener): void {
    this.listeners.push(listener);
  }

  private told(name: string, outcome: AttemptOutcome): void {
    for (const l of this.listeners) l(name, outcome);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}

interface LocalJob {
  id: string;
  name: string;
  data: unknown;
  attempts: number;
  backoffMs: number;
  attemptsMade: number;
  status: JobStatus;
  progress: number;
  failedReason?: string;
  result?: unknown;
  /** When it last became waiting (Date.now()), for the oldest waiting job's age. */
  waitingSince?: number;
}

const KEEP_FINISHED = 1000;

/** Where the in-process queue keeps its jobs while they are pending or running. */
export interface LocalJobStore {
  db: Db;
  /** This process's instance id (core/instances.ts). */
  owner(): number;
}

export class InProcessJobQueue implements JobQueue {
  readonly kind = 'in-process' as const;
  private readonly handlers = new Map<string, { handler: JobHandler<any>; concurrency: number }>();
  private readonly jobs = new Map<string, LocalJob>(); // key: `${name}:${id}`
  private readonly waiting = new Map<string, LocalJob[]>();
  private readonly active = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly finished: string[] = [];
  private readonly listeners: AttemptListener[] = [];
  private started = false;
  private closed = false;
  private seq = 0;

  constructor(
    private readonly log: Logger,
    private readonly defaultConcurrency: number,
    private readonly store?: LocalJobStore,
  ) {}

  define<T>(name: string, handler: JobHandler<T>, opts: { concurrency?: number } = {}): void {
    this.handlers.set(name, { handler, concurrency: opts.concurrency ?? this.defaultConcurrency });
  }

  async start(): Promise<void> {
    this.started = true;
    for (const name of this.handlers.keys()) this.pump(name);
  }

  async takeOver(aliveInstances: readonly number[]): Promise<number> {
    if (!this.store || this.closed) return 0;
    // A job that died on its last attempt still gets one: its handler decides how the work ends.
    const { rows } = await this.store.db.raw(
      `update local_jobs set owner = ?, attempts = greatest(attempts, attempts_made + 1)
        where not (owner = any(?)) returning name, id, data, attempts, backoff_ms, attempts_made`,
      [this.store.owner(), [...aliveInstances]],
    );
    for (const r of rows as { name: string; id: string; data: unknown; attempts: number; backoff_ms: number; attempts_made: number }[]) {
      const key = `${r.name}:${r.id}`;
      if (this.jobs.get(key)?.status === 'active') continue;
      const job: LocalJob = { id: r.id, name: r.name, data: r.data, attempts: r.attempts, backoffMs: r.backoff_ms, attemptsMade: r.attempts_made, status: 'waiting', progress: 0 };
      this.jobs.set(key, job);
      this.log.info({ queue: r.name, jobId: r.id, attemptsMade: r.attempts_made }, 'took over a job of a stopped process');
      this.push(job);
    }
    return rows.length;
  }

  async enqueue<T>(name: string, data: T, opts: EnqueueOptions = {}): Promise<string> {
    // Closing, a job (e.g. one a finishing job queues) is still recorded for the process that takes this one's work over.
    if (this.closed && !this.store) throw new Error('job queue is closed');
    const id = opts.jobId ?? String(++this.seq);
    const key = `${name}:${id}`;
    if (this.jobs.has(key)) return id;
    const job: LocalJob = {
      id,
      name,
      data,
      attempts: opts.attempts ?? DEFAULT_ATTEMPTS,
      backoffMs: opts.backoffMs ?? DEFAULT_BACKOFF_MS,
      attemptsMade: 0,
      status: opts.delayMs ? 'delayed' : 'waiting',
      progress: 0,
    };
    this.jobs.set(key, job);
    if (this.store) {
      try {
        const { rows } = await this.store.db.raw(
          `insert into local_jobs (name, id, data, attempts, backoff_ms, owner, run_after)
           values (?, ?, ?::jsonb, ?, ?, ?, now() + ? * interval '1 millisecond') on conflict do nothing returning id`,
          [name, id, JSON.stringify(data ?? null), job.attempts, job.backoffMs, this.store.owner(), opts.delayMs ?? 0],
        );
        // Held by another process (or left by a dead one, which takeOver runs): the id dedupes.
        if (rows.length === 0) {
          this.jobs.delete(key);
          return id;
        }
      } catch (err) {
        this.jobs.delete(key);
        throw err;
      }
    }
    if (this.closed) return id;
    if (opts.delayMs) this.later(opts.delayMs, () => this.push(job));
    else this.push(job);
    return id;
  }

  async get(name: string, id: string): Promise<JobInfo | null> {
    const job = this.jobs.get(`${name}:${id}`);
    if (!job) return null;
    const { data: _data, attempts: _a, backoffMs: _b, ...info } = job;
    return { ...info };
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('job queue is closed');
  }

  async stats(): Promise<QueueStats[]> {
    const out = new Map<string, QueueStats>();
    for (const name of this.handlers.keys()) {
      const waiting = this.waiting.get(name) ?? [];
      const since = waiting.reduce((min, j) => Math.min(min, j.waitingSince ?? Infinity), Infinity);
      out.set(name, { queue: name, waiting: waiting.length, active: this.active.get(name) ?? 0, delayed: 0, failed: 0, oldestWaitingMs: Number.isFinite(since) ? since : null });
    }
    for (const job of this.jobs.values()) {
      const s = out.get(job.name);
      if (s && job.status === 'delayed') s.delayed++;
      else if (s && job.status === 'failed') s.failed++;
    }
    return [...out.values()];
  }

  onAttempt(listener: AttemptListener): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private push(job: LocalJob): void {
    if (this.closed) return;
    job.status = 'waiting';
    job.waitingSince = Date.now();
    const list = this.waiting.get(job.name) ?? [];
    list.push(job);
    this.waiting.set(job.name, list);
    this.pump(job.name);
  }

  private pump(name: string): void {
    const def = this.handlers.get(name);
    if (!this.started || this.closed || !def) return;
    const list = this.waiting.get(name) ?? [];
    while (list.length > 0 && (this.active.get(name) ?? 0) < def.concurrency) {
      const job = list.shift()!;
      this.active.set(name, (this.active.get(name) ?? 0) + 1);
      const run = this.run(job, def.handler).finally(() => {
        this.running.delete(run);
        this.active.set(name, (this.active.get(name) ?? 1) - 1);
        this.pump(name);
      });
      this.running.add(run);
    }
  }

  private async run(job: LocalJob, handler: JobHandler<any>): Promise<void> {
    job.status = 'active';
    job.attemptsMade += 1;
    // Counted before the handler runs: a process killed mid-job has used the attempt.
    await this.stored((db) => db('local_jobs').where({ name: job.name, id: job.id }).update({ attempts_made: job.attemptsMade }));
    try {
      job.result = await handler(job.data, {
        id: job.id,
        attempt: job.attemptsMade,
        progress: async (p) => {
          job.progress = p;
        },
      });
      job.status = 'completed';
      this.retire(job);
      this.told(job.name, 'completed');
    } catch (err) {
      job.failedReason = (err as Error)?.message ?? String(err);
      this.log.warn({ queue: job.name, jobId: job.id, attempt: job.attemptsMade, err: job.failedReason }, 'job attempt failed');
      if (job.attemptsMade < job.attempts) {
        job.status = 'delayed';
        // Closing: its row stays in local_jobs, so the process that takes this one's work over retries it.
        if (!this.closed) this.later(job.backoffMs * 2 ** (job.attemptsMade - 1), () => this.push(job));
        this.told(job.name, 'retried');
      } else {
        job.status = 'failed';
        this.retire(job);
        this.told(job.name, 'failed');
      }
    }
  }

  private told(name: string, outcome: AttemptOutcome): void {
    for (const l of this.listeners) l(name, outcome);
  }

  /** Best effort: a write the database refuses now leaves a row a later takeover runs again (idempotent). */
  private async stored(fn: (db: Db) => Promise<unknown>): Promise<void> {
    if (!this.store) return;
    await fn(this.store.db).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'could not record a job in local_jobs'));
  }

  /** Keep the last finished jobs for get(); drop older ones so memory stays bounded. */
  private retire(job: LocalJob): void {
    void this.stored((db) => db('local_jobs').where({ name: job.name, id: job.id }).delete());
    this.finished.push(`${job.name}:${job.id}`);
    while (this.finished.length > KEEP_FINISHED) this.jobs.delete(this.finished.shift()!);
  }
}

export function createJobQueue(opts: {
  redisUrl?: string;
  prefix: string;
  log: Logger;
  concurrency: number;
  lockMs?: number;
  /** Makes the in-process queue durable (the runtime always passes it). */
  store?: LocalJobStore;
}): JobQueue {
  return opts.redisUrl
    ? new BullJobQueue(opts.redisUrl, opts.prefix, opts.log, opts.concurrency, opts.lockMs)
    : new InProcessJobQueue(opts.log, opts.concurrency, opts.store);
}
