/**
 * Populations (모수): how many distinct people of the account's universe a target (or a tracker, a
 * MAT link…) reaches. Every counted thing has one row here; the module that owns it registers a
 * PopulationSource that turns the subject into SQL yielding `person_id`s, and this service does the
 * rest the same way for all of them: background refresh on each kind's cadence (claimed with
 * FOR UPDATE SKIP LOCKED and a lease, so two workers never count the same subject at once), the
 * state machine, the Korean labels, retries.
 *
 * States (API enum → what the Kakao screens show):
 * - preparing 준비중: never counted yet; the target cannot be used for targeting.
 * - ready (the number): counted, at least the kind's minimum.
 * - too_small 모수부족: counted, below the kind's minimum (usable; delivery would be poor).
 * - failed 생성실패 (customer files: 등록실패): the first count failed (the reason is shown); not
 *   usable. Retried automatically with backoff until MAX_ATTEMPTS, then at the kind's next
 *   scheduled refresh or when someone refreshes it.
 * - querying 조회중: a refresh of an already counted subject is running; the last number is kept.
 * - query_failed 조회실패: that refresh failed; the last number is kept, retried the same way.
 *
 * Every count runs under a statement timeout (POPULATION_COUNT_TIMEOUT_MS): a count that cannot
 * finish fails with that reason instead of holding its subject 준비중 / 조회중.
 */
import { randomUUID } from 'node:crypto';
import type { Db, Queryable, Tx } from '../core/db';
import type { Clock } from '../core/clock';
import { isCdpError, isDatabaseError, ServiceUnavailable } from '../core/errors';
import type { JobQueue } from '../core/jobs';
import type { Logger } from '../core/log';
import type { SqlFragment, UniverseService } from '../universe/service';

export const POPULATION_STATES = ['preparing', 'ready', 'too_small', 'failed', 'querying', 'query_failed'] as const;
export type PopulationState = (typeof POPULATION_STATES)[number];

export const POPULATION_LABELS: Record<PopulationState, string> = {
  preparing: '준비중',
  ready: '모수',
  too_small: '모수부족',
  failed: '생성실패',
  querying: '조회중',
  query_failed: '조회실패',
};

export const POPULATION_TICK_JOB = 'populations.tick';
export const POPULATION_REFRESH_JOB = 'populations.refresh';
/** Automatic attempts in a row (a minute apart, doubling); then the kind's cadence or a refresh. */
export const MAX_ATTEMPTS = 3;
const RETRY_MS = 60_000;
const LEASE_MS = 10 * 60_000;
export const DAY_MS = 24 * 60 * 60 * 1000;
/** Default of POPULATION_COUNT_TIMEOUT_MS. */
export const DEFAULT_COUNT_TIMEOUT_MS = 60_000;
const NEVER = new Date('9999-01-01T00:00:00Z');

export interface PopulationView {
  state: PopulationState;
  /** Korean label as the Kakao screens show it (the number itself when ready). */
  label: string;
  /** Distinct people; null until first counted. */
  count: number | null;
  minimum: number;
  /** Usable in ad group targeting (not while preparing or failed). */
  usable: boolean;
  error: string | null;
  refreshedAt: string | null;
  nextRefreshAt: string;
}

export interface PopulationSource {
  /** subject_type of the rows this source counts (e.g. 'customer_file', 'tracker'). */
  type: string;
  /**
   * SQL returning the distinct `person_id`s the subject reaches at `now`. Use
   * universe.peopleOfNodes(...) to go from identity nodes to people.
   */
  people(q: Queryable, adAccountId: string, subjectId: string, now: Date): Promise<SqlFragment>;
  /** Called in the transaction that stores a new count (e.g. to mirror it on the kind's own row). */
  afterCount?(tx: Tx, adAccountId: string, subjectId: string, count: number): Promise<void>;
}

export interface TrackOptions {
  adAccountId: string;
  subjectType: string;
  subjectId: string;
  cadenceMs: number;
  minimum?: number;
}

interface PopulationRow {
  subject_id: string;
  ad_account_id: string;
  subject_type: string;
  state: PopulationState;
  count: string | null;
  minimum: number;
  cadence_seconds: number;
  attempts: number;
  error: string | null;
  refreshed_at: Date | null;
  next_refresh_at: Date;
  lease_until: Date | null;
  lease_token: string | null;
  due_version: number;
}

export function toPopulationView(r: PopulationRow, failedLabel = POPULATION_LABELS.failed): PopulationView {
  const count = r.count === null ? null : Number(r.count);
  return {
    state: r.state,
    label: r.state === 'ready' ? String(count) : r.state === 'failed' ? failedLabel : POPULATION_LABELS[r.state],
    count,
    minimum: r.minimum,
    usable: r.state !== 'preparing' && r.state !== 'failed',
    error: r.error,
    refreshedAt: r.refreshed_at?.toISOString() ?? null,
    nextRefreshAt: r.next_refresh_at.toISOString(),
  };
}

export interface PopulationOptions {
  /** Statement timeout of every count (POPULATION_COUNT_TIMEOUT_MS). */
  countTimeoutMs?: number;
}

/** How a count ended: at least the kind's minimum, below it (모수부족), or failed. */
export type CountOutcome = 'ready' | 'too_small' | 'failed';
export type CountListener = (subjectType: string, outcome: CountOutcome) => void;

export class PopulationService {
  private readonly sources = new Map<string, PopulationSource>();
  private readonly countListeners: CountListener[] = [];
  private countTimeoutMs = DEFAULT_COUNT_TIMEOUT_MS;

  constructor(
    private readonly db: Db,
    private readonly universe: UniverseService,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  register(source: PopulationSource): void {
    this.sources.set(source.type, source);
  }

  /** Told about every count done in this process (metrics; services.ts wires it). */
  onCounted(listener: CountListener): void {
    this.countListeners.push(listener);
  }

  configure(opts: PopulationOptions): void {
    if (opts.countTimeoutMs !== undefined) this.countTimeoutMs = opts.countTimeoutMs;
  }

  /** Starts counting a subject (in the caller's transaction); the first count is queued at once. */
  async track(tx: Tx, opts: TrackOptions): Promise<void> {
    await tx('populations').insert({
      subject_id: opts.subjectId,
      ad_account_id: opts.adAccountId,
      subject_type: opts.subjectType,
      state: 'preparing',
      minimum: opts.minimum ?? 0,
      cadence_seconds: Math.round(opts.cadenceMs / 1000),
      next_refresh_at: this.clock.now(),
    });
  }

  /** Queue a count now (after the creating transaction committed). */
  async queue(subjectId: string): Promise<void> {
    await this.jobs.enqueue(POPULATION_REFRESH_JOB, { subjectId });
  }

  async forget(q: Queryable, subjectId: string): Promise<void> {
    await q('populations').where({ subject_id: subjectId }).delete();
  }

  /** Makes subjects due now (new data arrived or the definition changed). */
  async markDue(q: Queryable, subjectIds: readonly string[]): Promise<void> {
    if (subjectIds.length === 0) return;
    // due_version tells a count running right now that what it counts changed under it.
    await q('populations')
      .whereIn('subject_id', subjectIds)
      .update({ next_refresh_at: this.clock.now(), due_version: q.raw('due_version + 1'), updated_at: q.fn.now() });
  }

  /** `markDue` as one data-modifying statement (a CTE of the caller's statement); `subjectIds` yields the ids. */
  markDueSql(subjectIds: SqlFragment): SqlFragment {
    return {
      sql: `update populations set next_refresh_at = ?, due_version = due_version + 1, updated_at = now()
            where subject_id in (${subjectIds.sql})`,
      bindings: [this.clock.now(), ...subjectIds.bindings],
    };
  }

  /**
   * Keeps subjects 준비중 (not counted, not usable) until `markDue`: e.g. a lookalike whose members
   * exist only once its first build completed.
   */
  async hold(q: Queryable, subjectIds: readonly string[]): Promise<void> {
    if (subjectIds.length === 0) return;
    await q('populations').whereIn('subject_id', subjectIds).update({ next_refresh_at: NEVER, updated_at: q.fn.now() });
  }

  /** Every subject of an account due now (after the universe was rebuilt), held ones excepted. */
  async markAccountDue(adAccountId: string): Promise<void> {
    await this.db('populations')
      .where({ ad_account_id: adAccountId })
      .where('next_refresh_at', '<', NEVER)
      .update({ next_refresh_at: this.clock.now(), due_version: this.db.raw('due_version + 1'), updated_at: this.db.fn.now() });
  }

  async view(q: Queryable, subjectId: string, failedLabel?: string): Promise<PopulationView | null> {
    const row = await q<PopulationRow>('populations').where({ subject_id: subjectId }).first();
    return row ? toPopulationView(row, failedLabel) : null;
  }

  async views(q: Queryable, subjectIds: readonly string[], failedLabel?: string): Promise<Map<string, PopulationView>> {
    const out = new Map<string, PopulationView>();
    if (subjectIds.length === 0) return out;
    const rows = await q<PopulationRow>('populations').whereIn('subject_id', subjectIds);
    for (const r of rows) out.set(r.subject_id, toPopulationView(r, failedLabel));
    return out;
  }

  /** Tick: counts every subject whose refresh is due. Returns how many were counted. */
  async refreshDue(limit = 50): Promise<number> {
    let done = 0;
    for (;;) {
      const due = await this.claim(limit, null);
      for (const row of due) {
        await this.count(row);
        done++;
      }
      if (due.length < limit) return done;
    }
  }

  /** Counts one subject now (job and on-request refresh). Returns false when another worker holds it. */
  async refresh(subjectId: string): Promise<boolean> {
    const [row] = await this.claim(1, subjectId);
    if (!row) return false;
    await this.count(row);
    return true;
  }

  /**
   * Counts one subject now for a caller who asked for it: when another worker is counting it (e.g.
   * the count a change queued), waits for that one to finish and counts again, so the answer
   * includes everything committed before the request.
   */
  async refreshNow(subjectId: string, timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.refresh(subjectId)) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** SQL of the people a subject reaches (for set algebra across targets, e.g. ad group reach). */
  async peopleOf(q: Queryable, adAccountId: string, subjectType: string, subjectId: string): Promise<SqlFragment> {
    const source = this.sources.get(subjectType);
    if (!source) throw new Error(`no population source for ${subjectType}`);
    return source.people(q, adAccountId, subjectId, this.clock.now());
  }

  /**
   * Counts the people of a SQL fragment (after linking what is pending for the account) under the
   * count timeout; a longer count is a ServiceUnavailable (503 where a request waits for it, e.g.
   * reach). In a caller's transaction it runs in a savepoint and restores the caller's timeout.
   */
  async countPeople(q: Queryable, adAccountId: string, people: SqlFragment, link = true): Promise<number> {
    if (link) await this.universe.linkPending(adAccountId);
    const ms = this.countTimeoutMs;
    try {
      return await q.transaction(async (tx) => {
        const [{ before }] = (await tx.raw(`select current_setting('statement_timeout') as before, set_config('statement_timeout', ?, true)`, [`${ms}ms`])).rows;
        const { rows } = await tx.raw(`select count(*)::bigint as n from (${people.sql}) p`, [...people.bindings]);
        await tx.raw(`select set_config('statement_timeout', ?, true)`, [before]);
        return Number(rows[0].n);
      });
    } catch (err) {
      if ((err as { code?: string }).code === '57014') {
        const why = /statement timeout/.test((err as Error).message) ? `took longer than ${formatMs(ms)} (POPULATION_COUNT_TIMEOUT_MS) and was stopped` : 'was cancelled in the database';
        throw new ServiceUnavailable(`the count ${why}`, { retryAfterSeconds: 60 }, { cause: err });
      }
      throw err;
    }
  }

  private async claim(limit: number, subjectId: string | null): Promise<PopulationRow[]> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const q = tx<PopulationRow>('populations')
        .where((w) => w.whereNull('lease_until').orWhere('lease_until', '<', now))
        .orderBy('next_refresh_at')
        .limit(limit)
        .forUpdate()
        .skipLocked();
      if (subjectId) q.where({ subject_id: subjectId });
      else q.where('next_refresh_at', '<=', now);
      const rows = await q;
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.subject_id);
      const token = randomUUID();
      for (const r of rows) r.lease_token = token;
      await tx('populations')
        .whereIn('subject_id', ids)
        .update({
          lease_token: token,
          // Longer than a count can take, so nobody else starts the same count meanwhile.
          lease_until: new Date(now.getTime() + Math.max(LEASE_MS, 2 * this.countTimeoutMs)),
          state: tx.raw(`case when count is null then state else 'querying' end`),
          updated_at: tx.fn.now(),
        });
      return rows;
    });
  }

  private async count(row: PopulationRow): Promise<void> {
    const source = this.sources.get(row.subject_type);
    const now = this.clock.now();
    try {
      if (!source) throw new Error(`no population source for ${row.subject_type}`);
      await this.universe.linkPending(row.ad_account_id);
      const people = await source.people(this.db, row.ad_account_id, row.subject_id, now);
      const n = await this.countPeople(this.db, row.ad_account_id, people, false);
      await this.db.transaction(async (tx) => {
        // Only while we still hold the lease; marked due meanwhile → due again now, not a cadence later.
        const updated = await tx('populations')
          .where({ subject_id: row.subject_id, lease_token: row.lease_token })
          .update({
            state: n >= row.minimum ? 'ready' : 'too_small',
            count: n,
            attempts: 0,
            error: null,
            refreshed_at: now,
            next_refresh_at: tx.raw('case when due_version = ? then ?::timestamptz else ?::timestamptz end', [
              row.due_version,
              new Date(now.getTime() + row.cadence_seconds * 1000),
              now,
            ]),
            lease_token: null,
            lease_until: null,
            updated_at: tx.fn.now(),
          });
        if (updated && source.afterCount) await source.afterCount(tx, row.ad_account_id, row.subject_id, n);
      });
      for (const l of this.countListeners) l(row.subject_type, n >= row.minimum ? 'ready' : 'too_small');
    } catch (err) {
      for (const l of this.countListeners) l(row.subject_type, 'failed');
      // Visible at once: 생성실패 before a first number, 조회실패 (the last number kept) after one.
      // Retried a minute later, then two; after MAX_ATTEMPTS the state stays until the kind's next
      // scheduled refresh or a refresh on request (each of them one more attempt).
      const attempts = row.attempts + 1;
      const first = row.count === null;
      const reason = failureReason(err);
      const retryAt = attempts < MAX_ATTEMPTS ? new Date(now.getTime() + RETRY_MS * 2 ** (attempts - 1)) : null;
      const next = retryAt ?? new Date(now.getTime() + row.cadence_seconds * 1000);
      this.log.warn({ subjectId: row.subject_id, subjectType: row.subject_type, attempts, err: err instanceof Error ? err.message : String(err) }, 'population count failed');
      const kept = first ? '' : `; the count of ${row.refreshed_at?.toISOString()} is kept`;
      const then = retryAt
        ? `retrying at ${retryAt.toISOString()} (attempt ${attempts + 1} of ${MAX_ATTEMPTS})`
        : `${attempts === MAX_ATTEMPTS ? `no more automatic retries after ${MAX_ATTEMPTS} attempts` : 'failed again'}; counted again at ${next.toISOString()} or when you refresh it`;
      await this.db('populations')
        .where({ subject_id: row.subject_id, lease_token: row.lease_token })
        .update({
          lease_token: null,
          state: first ? 'failed' : 'query_failed',
          attempts,
          error: `Counting failed: ${reason}${kept}; ${then}`,
          // Marked due while it ran (new data): that counts again at once, as after a success.
          next_refresh_at: this.db.raw('case when due_version = ? then ?::timestamptz else ?::timestamptz end', [row.due_version, next, now]),
          lease_until: null,
          updated_at: this.db.fn.now(),
        });
    }
  }
}

/** What a user is told about a failed count: never SQL (a database error's message starts with it). */
function failureReason(err: unknown): string {
  if (isCdpError(err)) return err.message;
  if (isDatabaseError(err)) return `the database stopped the count (SQLSTATE ${(err as { code: string }).code})`;
  return err instanceof Error ? err.message : String(err);
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
