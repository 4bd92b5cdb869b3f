/**
 * Group commit for collected events. Requests hand their (already validated) events to `submit`,
 * which resolves only once those events are committed; the writer gathers what concurrent requests
 * submitted for `flushMs` (or until `maxBatch` events are waiting) and writes it all in ONE
 * transaction, so a burst of a thousand small requests costs a handful of transactions instead of a
 * thousand. One flush runs at a time per process; what arrives meanwhile forms the next batch,
 * written as soon as the running one committed.
 *
 * Durability: nothing is acknowledged before its commit. When a batch fails, each request of it is
 * retried alone (one bad request cannot sink the others); a request that still fails is rejected
 * (the route answers 503, nothing claimed). `stop()` refuses new events and writes everything
 * pending before the process closes its database pool.
 */
import type { Logger } from '../core/log';
import { ServiceUnavailable } from './rate-limit';

export interface WriterOptions {
  /** How long the first waiting request waits for others to join its batch. */
  flushMs: number;
  /** A batch is written at once when this many events are waiting. */
  maxBatch: number;
  /** Above this many waiting events new requests are refused (503): the database is not keeping up. */
  maxPending: number;
  /**
   * Benchmarks only (bench/collect.ts; never set by configuration): acknowledge each batch without
   * writing it, so the endpoint's cost without the database can be measured as a baseline.
   */
  discard?: boolean;
}

interface Pending<T> {
  items: T[];
  resolve(): void;
  reject(err: unknown): void;
}

export class GroupCommitWriter<T> {
  private queue: Pending<T>[] = [];
  private waiting = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly log: Logger,
    private options: WriterOptions,
  ) {}

  configure(options: Partial<WriterOptions>): void {
    this.options = { ...this.options, ...options };
  }

  /** Resolves when the items are committed; rejects (503) when they could not be. */
  submit(items: T[]): Promise<void> {
    if (this.stopped) return Promise.reject(new ServiceUnavailable('The service is stopping; send the events again', { retryAfterSeconds: 1 }));
    if (this.waiting + items.length > this.options.maxPending) {
      return Promise.reject(new ServiceUnavailable('Too many events are waiting to be written; send them again shortly', { retryAfterSeconds: 1 }));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.waiting += items.length;
      this.schedule();
    });
  }

  /** Refuses new events and returns once everything submitted so far is written (or rejected). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.running && this.queue.length > 0) this.start();
    while (this.running) await this.running;
  }

  private schedule(): void {
    if (this.running) return; // the running loop takes what arrived when its flush ends
    if (this.waiting >= this.options.maxBatch) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.start();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.running) this.start();
      }, this.options.flushMs);
    }
  }

  private start(): void {
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.queue.length > 0) this.schedule();
    });
  }

  private async loop(): Promise<void> {
    // What arrived during a flush has already waited that long: it goes out right after.
    while (this.queue.length > 0) await this.flush(this.take());
  }

  private take(): Pending<T>[] {
    const batch: Pending<T>[] = [];
    let n = 0;
    while (this.queue.length > 0 && (batch.length === 0 || n + this.queue[0].items.length <= this.options.maxBatch)) {
      const p = this.queue.shift()!;
      n += p.items.length;
      batch.push(p);
    }
    this.waiting -= n;
    return batch;
  }

  private async flush(batch: Pending<T>[]): Promise<void> {
    try {
      if (!this.options.discard) await this.write(batch.flatMap((p) => p.items));
      for (const p of batch) p.resolve();
      return;
    } catch (err) {
      if (batch.length === 1) {
        this.fail(batch[0], err);
        return;
      }
      this.log.warn({ err: (err as Error).message, requests: batch.length }, 'collect: batch write failed; writing its requests one by one');
    }
    for (const p of batch) {
      try {
        await this.write(p.items);
        p.resolve();
      } catch (err) {
        this.fail(p, err);
      }
    }
  }

  private fail(p: Pending<T>, err: unknown): void {
    this.log.error({ err: (err as Error).message, events: p.items.length }, 'collect: events could not be written');
    p.reject(new ServiceUnavailable('The events could not be stored; nothing was accepted, send them again', { retryAfterSeconds: 1 }, { cause: err }));
  }
}
