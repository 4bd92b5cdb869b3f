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
 * - failed 생성실패 (customer files: 등록실패): the first count failed MAX_ATTEMPTS times; delete
 *   and create the target again.
 * - querying 조회중: a refresh of an already counted subject is running; the last number is kept.
 * - query_failed 조회실패: that refresh failed; the last number is kept and it is retried soon.
 */
import { randomUUID } from 'node:crypto';
import type { Db, Queryable, Tx } from '../core/db';
import type { Clock } from '../core/clock';
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
const MAX_ATTEMPTS = 3;
const RETRY_MS = 60_000;
const LEASE_MS = 10 * 60_000;
export const DAY_MS = 24 * 60 * 60 * 1000;

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

export class PopulationService {
  private readonly sources = new Map<string, PopulationSource>();

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
    await q('populations').whereIn('subject_id', subjectIds).update({ next_refresh_at: new Date('9999-01-01T00:00:00Z'), updated_at: q.fn.now() });
  }

  /** Every subject of an account due now (after the universe was rebuilt), held ones excepted. */
  async markAccountDue(adAccountId: string): Promise<void> {
    await this.db('populations')
      .where({ ad_account_id: adAccountId })
      .where('next_refresh_at', '<', new Date('9999-01-01T00:00:00Z'))
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

  /** Counts the people of a SQL fragment (after linking what is pending for the account). */
  async countPeople(q: Queryable, adAccountId: string, people: SqlFragment, link = true): Promise<number> {
    if (link) await this.universe.linkPending(adAccountId);
    const { rows } = await q.raw(`select count(*)::bigint as n from (${people.sql}) p`, [...people.bindings]);
    return Number(rows[0].n);
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
          lease_until: new Date(now.getTime() + LEASE_MS),
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
    } catch (err) {
      const attempts = row.attempts + 1;
      const first = row.count === null;
      const givenUp = first && attempts >= MAX_ATTEMPTS;
      const message = err instanceof Error ? err.message : String(err);
      this.log.warn({ subjectId: row.subject_id, subjectType: row.subject_type, attempts, err: message }, 'population count failed');
      await this.db('populations')
        .where({ subject_id: row.subject_id, lease_token: row.lease_token })
        .update({
          lease_token: null,
          state: givenUp ? 'failed' : first ? 'preparing' : 'query_failed',
          attempts,
          error: givenUp ? `Counting failed ${attempts} times (${message}); delete the target and create it again` : `Counting failed (${message}); retrying`,
          // A failed target is not retried: as in Kakao, it is deleted and created again.
          next_refresh_at: givenUp ? new Date('9999-01-01T00:00:00Z') : new Date(now.getTime() + RETRY_MS),
          lease_until: null,
          updated_at: this.db.fn.now(),
        });
    }
  }
}
