/**
 * Group commit for collected events. Requests hand their (already validated) events to `submit`,
 * which resolves only once those events are committed; the writer gathers what concurrent requests
 * submitted for `flushMs` (or until `maxBatch` events are waiting) and writes it all in ONE
 * transaction, so a burst of a thousand small requests costs a handful of transactions instead of a
 * thousand. One flush runs at a time per process; what arrives meanwhile forms the next batch,
 * written as soon as the running one committed. `write` answers which of the batch's items it did
 * not store because they were already stored (a client's retry): each request learns how many of
 * its own those were.
 *
 * Durability: nothing is acknowledged before its commit. When a batch fails because PostgreSQL
 * refused some of its data (or for a reason it does not say), it is split in halves and each half
 * written again, down to single requests, so one bad request cannot sink the others; a request that
 * fails alone with a data exception (SQLSTATE class 22) is refused with 422 — sending it again
 * cannot help — and one that fails otherwise gets 503 (nothing claimed). When the database itself
 * is unreachable or out of resources the whole batch gets 503 at once, without retries hammering
 * it. `stop()` refuses new events and writes everything pending before the process closes its pool.
 */
import { UnprocessableRequest } from '../core/errors';
import type { Logger } from '../core/log';
import { ServiceUnavailable } from '../core/errors';

/** SQLSTATE of a PostgreSQL error (node's own codes such as ECONNREFUSED are not). */
function sqlState(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^([0-9]{2}|F0|HV|P0|XX)[0-9A-Z]{3}$/.test(code) ? code : null;
}

/** PostgreSQL refused a value (class 22: invalid text, untranslatable character, out of range …). */
function isDataException(err: unknown): boolean {
  return sqlState(err)?.startsWith('22') ?? false;
}

/**
 * The database, not any request's data, failed: no connection (node's network errors, the pool's
 * timeout, a dropped connection), connection exception (08), insufficient resources (53), operator
 * intervention (57: shutdown, cancelled), system (58) or internal (XX) errors.
 */
function isDatabaseDown(err: unknown): boolean {
  const state = sqlState(err);
  if (state) return ['08', '53', '57', '58', 'XX'].includes(state.slice(0, 2));
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | null;
  return (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) || e?.name === 'KnexTimeoutError' || /connection terminated/i.test(String(e?.message));
}

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
  /** How many of `items` were duplicates of ones already stored. */
  resolve(duplicates: number): void;
  reject(err: unknown): void;
}

const NONE: ReadonlySet<number> = new Set();

export class GroupCommitWriter<T> {
  private queue: Pending<T>[] = [];
  private waiting = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    /** Writes the items in one go; answers the indexes (into `items`) of those it skipped as duplicates. */
    private readonly write: (items: T[]) => Promise<ReadonlySet<number>>,
    private readonly log: Logger,
    private options: WriterOptions,
  ) {}

  configure(options: Partial<WriterOptions>): void {
    this.options = { ...this.options, ...options };
  }

  /** Resolves when the items are committed, with how many of them were duplicates; rejects (503) when they could not be. */
  submit(items: T[]): Promise<number> {
    if (this.stopped) return Promise.reject(new ServiceUnavailable('The service is stopping; send the events again', { retryAfterSeconds: 1 }));
    if (this.waiting + items.length > this.options.maxPending) {
      return Promise.reject(new ServiceUnavailable('Too many events are waiting to be written; send them again shortly', { retryAfterSeconds: 1 }));
    }
    return new Promise<number>((resolve, reject) => {
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
      const skipped = this.options.discard ? NONE : await this.write(batch.flatMap((p) => p.items));
      let at = 0;
      for (const p of batch) {
        let duplicates = 0;
        if (skipped.size > 0) for (let i = 0; i < p.items.length; i++) if (skipped.has(at + i)) duplicates++;
        at += p.items.length;
        p.resolve(duplicates);
      }
      return;
    } catch (err) {
      if (batch.length === 1 || isDatabaseDown(err)) {
        for (const p of batch) this.fail(p, err);
        return;
      }
      this.log.warn({ err: (err as Error).message, code: sqlState(err), requests: batch.length }, 'collect: batch write failed; writing it again in halves');
    }
    // Halves, not one by one: one bad request among n costs about 2·log2(n) statements, not n.
    const half = Math.ceil(batch.length / 2);
    await this.flush(batch.slice(0, half));
    await this.flush(batch.slice(half));
  }

  private fail(p: Pending<T>, err: unknown): void {
    if (isDataException(err)) {
      // The database's message quotes the statement and its values: only the SQLSTATE goes out.
      this.log.warn({ err: (err as Error).message, code: sqlState(err), events: p.items.length }, 'collect: events refused by the database');
      const message = `the database refused this request's data (SQLSTATE ${sqlState(err)}); nothing of it was stored. Correct the values rather than sending them again`;
      p.reject(new UnprocessableRequest(message, { errors: [{ pointer: '', rule: 'data_exception', message }] }, { cause: err }));
      return;
    }
    this.log.error({ err: (err as Error).message, events: p.items.length }, 'collect: events could not be written');
    p.reject(new ServiceUnavailable('The events could not be stored; nothing was accepted, send them again', { retryAfterSeconds: 1 }, { cause: err }));
  }
}
