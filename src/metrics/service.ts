/**
 * Prometheus metrics of this process (prom-client): one Registry per service, the series of
 * ./series.ts, recorders the other modules' hooks call (src/services.ts wires them, so no domain
 * module imports this one) and what is read at scrape time — the job queues and the database pool.
 *
 * Recording is a counter increment per request, committed batch, file, run or count, never per
 * row or event: the collection group commit writes ~20,000 events/s and pays one call per commit.
 *
 * Access: without METRICS_TOKEN only loopback clients may scrape (no API key); with it, anyone
 * who sends `Authorization: Bearer <token>`. The token is compared in constant time and never
 * logged or shown.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { Registry } from 'prom-client';
import type { Db } from '../core/db';
import { Forbidden, Unauthorized } from '../core/errors';
import type { AttemptOutcome, JobQueue } from '../core/jobs';
import type { Logger } from '../core/log';
import { CONSOLE_ROUTE, defineSeries, OUTCOMES, Series, UNMATCHED_ROUTE } from './series';

export { CONSOLE_ROUTE, UNMATCHED_ROUTE } from './series';

/** Queue statistics get this long per scrape (Redis may be down); the scrape answers without them then. */
const QUEUE_STATS_TIMEOUT_MS = 2000;

export interface MetricsSettings {
  /** METRICS_TOKEN: when set, scrapes must send it as a bearer token (from any address). */
  token?: string;
}

/** The part of knex's tarn pool read at scrape time. */
interface PoolLike {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

export class MetricsService {
  readonly registry = new Registry();
  private readonly series: Series;
  private tokenDigest: Buffer | null = null;

  constructor(
    private readonly db: Db,
    private readonly jobs: JobQueue,
    private readonly log: Logger,
  ) {
    this.series = defineSeries(this.registry);
    const s = this.series;
    for (const outcome of OUTCOMES.batchRows) s.batchRows.inc({ outcome }, 0);
    for (const outcome of OUTCOMES.collectEvents) s.collectEvents.inc({ outcome }, 0);
    for (const outcome of OUTCOMES.matPostbacks) s.matPostbacks.inc({ outcome }, 0);
    for (const destination_type of OUTCOMES.exportDestinations) {
      s.exportRows.inc({ destination_type }, 0);
      s.exportFiles.inc({ destination_type }, 0);
    }
    jobs.onAttempt((queue, outcome) => this.attempt(queue, outcome));
  }

  configure(settings: MetricsSettings): void {
    this.tokenDigest = settings.token ? digest(settings.token) : null;
  }

  // ---- recorders (called through the hooks services.ts wires) ---------------------------------

  /** One HTTP response; `route` is the route template that answered, null when none did. */
  readonly request = (r: { method: string; route: string | null; console: boolean; status: number; seconds: number }): void => {
    const route = r.route ?? (r.console ? CONSOLE_ROUTE : UNMATCHED_ROUTE);
    this.series.httpDuration.observe({ method: r.method, route, status: String(r.status) }, r.seconds);
  };

  readonly batchRows = (rows: { ok: number; failed: number }): void => {
    if (rows.ok) this.series.batchRows.inc({ outcome: 'ok' }, rows.ok);
    if (rows.failed) this.series.batchRows.inc({ outcome: 'failed' }, rows.failed);
  };

  readonly exported = (run: { destinationKind: string; rows: number; files: number }): void => {
    this.series.exportRows.inc({ destination_type: run.destinationKind }, run.rows);
    this.series.exportFiles.inc({ destination_type: run.destinationKind }, run.files);
  };

  readonly collected = (counts: { accepted: number; deduplicated: number; rejected: number }): void => {
    for (const outcome of OUTCOMES.collectEvents) if (counts[outcome]) this.series.collectEvents.inc({ outcome }, counts[outcome]);
  };

  readonly postbacks = (counts: { accepted: number; deduplicated: number; ignored: number; rejected: number }): void => {
    for (const outcome of OUTCOMES.matPostbacks) if (counts[outcome]) this.series.matPostbacks.inc({ outcome }, counts[outcome]);
  };

  readonly populationCounted = (kind: string, outcome: string): void => {
    this.series.populationCounts.inc({ kind, outcome });
  };

  private attempt(queue: string, outcome: AttemptOutcome): void {
    if (outcome !== 'completed') this.series.jobAttemptsFailed.inc({ queue });
    if (outcome !== 'retried') this.series.jobsFinished.inc({ queue, outcome });
  }

  // ---- scrape ----------------------------------------------------------------------------------

  /** Refused unless the request may read the metrics (see the file's comment). */
  authorize(req: Request): void {
    if (this.tokenDigest) {
      const header = req.get('authorization');
      const sent = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
      if (!sent || !timingSafeEqual(digest(sent), this.tokenDigest)) {
        throw new Unauthorized('GET /metrics needs the metrics token: send "Authorization: Bearer <METRICS_TOKEN>"');
      }
      return;
    }
    if (!isLoopback(req.socket.remoteAddress)) {
      throw new Forbidden('GET /metrics answers only clients on this machine (loopback) while METRICS_TOKEN is not set; set METRICS_TOKEN and scrape with "Authorization: Bearer <METRICS_TOKEN>"');
    }
  }

  /** The Prometheus text format, with the queue and pool gauges read now. */
  async render(): Promise<{ contentType: string; body: string }> {
    await Promise.all([this.readQueues(), this.readPool()]);
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async readQueues(): Promise<void> {
    const s = this.series;
    const gauges = [s.jobsWaiting, s.jobsActive, s.jobsDelayed, s.jobsFailed, s.jobsOldestWaitingAge];
    let timer: NodeJS.Timeout | undefined;
    try {
      const stats = await Promise.race([
        this.jobs.stats(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${QUEUE_STATS_TIMEOUT_MS} ms`)), QUEUE_STATS_TIMEOUT_MS);
        }),
      ]);
      const now = Date.now();
      for (const g of gauges) g.reset();
      for (const q of stats) {
        const queue = { queue: q.queue };
        s.jobsWaiting.set(queue, q.waiting);
        s.jobsActive.set(queue, q.active);
        s.jobsDelayed.set(queue, q.delayed);
        s.jobsFailed.set(queue, q.failed);
        s.jobsOldestWaitingAge.set(queue, q.oldestWaitingMs === null ? 0 : Math.max(0, (now - q.oldestWaitingMs) / 1000));
      }
    } catch (err) {
      // An absent series says "unknown"; a stale one would say something false.
      for (const g of gauges) g.reset();
      this.log.warn({ err: (err as Error).message }, 'metrics: job queue statistics unavailable');
    } finally {
      clearTimeout(timer);
    }
  }

  private async readPool(): Promise<void> {
    const client = this.db.client as { pool?: PoolLike; config?: { pool?: { max?: number } } };
    const pool = client.pool;
    if (!pool) return;
    this.series.poolInUse.set(pool.numUsed());
    this.series.poolWaiting.set(pool.numPendingAcquires());
    this.series.poolFree.set(pool.numFree());
    if (client.config?.pool?.max !== undefined) this.series.poolMax.set(client.config.pool.max);
  }
}

function digest(token: string): Buffer {
  // Equal lengths for timingSafeEqual, whatever was sent.
  return createHash('sha256').update(token, 'utf8').digest();
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 addresses (a dual-stack listener reports those). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}
