/**
 * Pixel & SDK (픽셀 & SDK 연동): trackers, the rights ad accounts hold on them, the public collection
 * endpoint and pixel & SDK targets.
 *
 * - A tracker belongs to the ORGANISATION and has a numeric `track_id` (19 random digits: not
 *   guessable from another tracker's id). Ad accounts of the organisation hold rights on it: the
 *   account that creates it is MASTER (may rename it), accounts that add it later are MEMBER. An
 *   account that adds a tracker nobody is MASTER of any more becomes its MASTER.
 * - Collected events feed the universe of EVERY account holding a right at that moment, in the
 *   transaction that stores them; an account that gains a right later gets the tracker's last 120
 *   days replayed into its universe. The tracker's population per account (타겟모수) = people of
 *   that account's universe with any event in the last 120 days.
 * - Collection status PRE_COLLECTION → COLLECTION on the first event; last_event_at = when the
 *   latest event was received (수집현황, near-real-time: every committed batch updates it).
 * - Pixel & SDK targets: the people of a tracker with one event type (or any) in the last N days.
 */
import type { Response } from 'express';
import type { AuditService } from '../audit/service';
import type { Clock } from '../core/clock';
import type { Db, Queryable, Tx } from '../core/db';
import { Conflict, Duplicate, Forbidden, isCdpError, NotFound, ruleError } from '../core/errors';
import { newId } from '../core/ids';
import type { Logger } from '../core/log';
import type { Caller } from '../core/types';
import type { PopulationService, PopulationSource } from '../populations/service';
import type { TargetBase, TargetRow, TargetService } from '../targets/service';
import type { SqlFragment, UniverseService, UniverseSource } from '../universe/service';
import { CollectedEvent, eventOfQuery, eventsInBody, eventsOfBody, PixelEvent } from './events';
import { enforce, RateLimiter } from './rate-limit';
import { collapseDuplicates, DEDUP_HOURS, eventBatchSql } from './event-sql';
import { RecentIdentities } from './recent';
import { GroupCommitWriter } from './writer';
import {
  AvailableTracker, CACHE_MAX, CollectorOptions, DEFAULT_COLLECTOR, HeldTracker, HOUR_MS, newTrackId, NOBODY, PIXEL_TARGET_MINIMUM, PixelTargetInput, PixelTargetRow, PixelTargetView,
  PRUNE_CHUNK, QueuedEvent, RETENTION_DAYS, TRACKER_SUBJECT, TrackerRole, TrackerRow, TrackerView, windowStart,
} from './types';

export { DEFAULT_COLLECTOR, EVENT_IDS_JOB, HOUR_MS, PIXEL_TARGET_MINIMUM, PRUNE_JOB, TRACKER_SUBJECT, WINDOW_DAYS, windowStart } from './types';
export { DEDUP_HOURS } from './event-sql';
export type { AvailableTracker, CollectionStatus, CollectorOptions, PixelTargetInput, PixelTargetView, TrackerRole, TrackerView } from './types';

/** Collected events by outcome: stored, not stored again (a repeated eventId), refused with the request. */
export type CollectListener = (counts: { accepted: number; deduplicated: number; rejected: number }) => void;

export class TrackerService {
  private readonly collectListeners: CollectListener[] = [];
  private readonly limiter: RateLimiter;
  private readonly writer: GroupCommitWriter<QueuedEvent>;
  /** Identity sets fed to the universe inbox in the last hour (not fed again). */
  private readonly recent = new RecentIdentities();
  /** track_id → tracker id; trackers are never deleted, so entries never go stale. */
  private readonly byTrackId = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly targets: TargetService,
    private readonly populations: PopulationService,
    private readonly universe: UniverseService,
    private readonly clock: Clock,
    log: Logger,
  ) {
    this.limiter = new RateLimiter(DEFAULT_COLLECTOR);
    this.writer = new GroupCommitWriter((items) => this.writeEvents(items), log, DEFAULT_COLLECTOR);
  }

  /** The populations of trackers and pixel targets, and the events' replay into a relinked universe (services.ts registers them). */
  readonly populationSources: PopulationSource[] = [
    { type: TRACKER_SUBJECT, people: (q, adAccountId, rightId, now) => this.trackerPeople(q, adAccountId, rightId, now) },
    { type: 'pixel', people: (q, adAccountId, targetId, now) => this.pixelTargetPeople(q, adAccountId, targetId, now) },
  ];
  readonly universeSources: UniverseSource[] = [{ name: 'trackers', replay: (tx, caller) => this.replay(tx, caller) }];

  /** Rate limit and group-commit settings (from the configuration; tests tighten them). */
  configure(options: Partial<CollectorOptions>): void {
    const { ratePerSecond, burst, flushMs, maxBatch, maxPending, discard } = options;
    if (ratePerSecond !== undefined || burst !== undefined) this.limiter.configure(strip({ ratePerSecond, burst }));
    this.writer.configure(strip({ flushMs, maxBatch, maxPending, discard }));
  }

  /** Told once per committed batch and per refused request, never per event (metrics; services.ts wires it). */
  onCollected(listener: CollectListener): void {
    this.collectListeners.push(listener);
  }

  private told(accepted: number, deduplicated: number, rejected: number): void {
    for (const l of this.collectListeners) l({ accepted, deduplicated, rejected });
  }

  /** Writes what the collector still holds; called when the service stops, after HTTP closed. */
  async stop(): Promise<void> {
    await this.writer.stop();
  }

  // ---- trackers and rights ---------------------------------------------------------------------

  async create(caller: Caller, input: { name: string }): Promise<TrackerView> {
    const name = input.name.trim();
    const { trackId, rightId } = await this.db.transaction(async (tx) => {
      await this.assertNameFree(tx, caller, name);
      let row: TrackerRow | undefined;
      while (!row) {
        // The schema keeps track_id unique per organisation (the key Citus can keep, docs/citus.md);
        // across organisations this check does. Only a concurrent draw of the same 63 random bits
        // by another organisation could pass it twice.
        const trackId = newTrackId();
        [row] = (
          await tx.raw(
            `insert into trackers (id, organization_id, track_id, name, created_by)
             select ?, ?, ?, ?, ? where not exists (select 1 from trackers where track_id = ?)
             on conflict (track_id, organization_id) do nothing
             returning *`,
            [newId('trk'), caller.organizationId, trackId, name, caller.keyId, trackId],
          )
        ).rows as TrackerRow[];
      }
      const right = await this.grant(tx, caller, row, 'MASTER');
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'tracker', resourceId: row.track_id, after: { name, organizationId: caller.organizationId } });
      return { trackId: row.track_id, rightId: right };
    });
    await this.populations.queue(rightId);
    return this.get(caller, trackId);
  }

  /** Trackers this ad account holds a right on, newest first. */
  async list(caller: Caller): Promise<TrackerView[]> {
    const rows = await this.heldQuery(this.db, caller).orderBy('t.created_at', 'desc').orderBy('t.id', 'desc');
    return this.views(caller, rows);
  }

  async get(caller: Caller, trackId: string): Promise<TrackerView> {
    const row = await this.held(this.db, caller, trackId);
    return (await this.views(caller, [row]))[0];
  }

  /** 권한 추가 popup: trackers of the organisation without a right of this account (or all, flagged). */
  async available(caller: Caller, all = false): Promise<AvailableTracker[]> {
    const q = this.db('trackers as t')
      .leftJoin('tracker_rights as r', (j) => j.on('r.tracker_id', 't.id').andOnVal('r.ad_account_id', caller.adAccountId))
      .where('t.organization_id', caller.organizationId)
      .orderBy('t.created_at', 'desc')
      .orderBy('t.id', 'desc')
      .select('t.*', 'r.role');
    if (!all) q.whereNull('r.id');
    const rows: (TrackerRow & { role: TrackerRole | null })[] = await q;
    return rows.map((r) => ({
      trackId: r.track_id,
      name: r.name,
      status: r.status,
      lastEventAt: r.last_event_at?.toISOString() ?? null,
      added: r.role !== null,
      role: r.role,
      createdAt: r.created_at.toISOString(),
    }));
  }

  async rename(caller: Caller, trackId: string, input: { name: string }): Promise<TrackerView> {
    const name = input.name.trim();
    await this.db.transaction(async (tx) => {
      const row = await this.held(tx, caller, trackId, true);
      if (row.role !== 'MASTER') {
        throw new Forbidden(`Only the MASTER ad account of tracker ${trackId} may rename it; this ad account holds a MEMBER right`);
      }
      if (row.name === name) return;
      await this.assertNameFree(tx, caller, name, row.id);
      await tx('trackers').where({ id: row.id }).update({ name, updated_at: tx.fn.now() });
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'tracker', resourceId: trackId, before: { name: row.name }, after: { name } });
    });
    return this.get(caller, trackId);
  }

  /** Counts this account's population of the tracker now (e.g. after 조회실패). */
  async refresh(caller: Caller, trackId: string): Promise<TrackerView> {
    const row = await this.held(this.db, caller, trackId);
    await this.populations.refreshNow(row.right_id);
    return this.get(caller, trackId);
  }

  /** 이벤트 목록: per event type, how many events and when last seen, over the last 120 days. */
  async events(caller: Caller, trackId: string): Promise<{ trackId: string; from: string; to: string; items: { event: string; count: number; firstSeenAt: string; lastSeenAt: string }[] }> {
    const row = await this.held(this.db, caller, trackId);
    const now = this.clock.now();
    const from = windowStart(now);
    const rows: { event: string; count: string; first_seen_at: Date; last_seen_at: Date }[] = await this.db('tracker_event_days')
      .where({ tracker_id: row.id })
      .where('day', '>=', dayOf(from))
      .groupBy('event')
      .orderBy('event')
      .select('event', this.db.raw('sum(count)::bigint as count'), this.db.raw('min(first_seen_at) as first_seen_at'), this.db.raw('max(last_seen_at) as last_seen_at'));
    return {
      trackId,
      from: from.toISOString(),
      to: now.toISOString(),
      items: rows.map((r) => ({ event: r.event, count: Number(r.count), firstSeenAt: r.first_seen_at.toISOString(), lastSeenAt: r.last_seen_at.toISOString() })),
    };
  }

  /** 권한 추가: a MEMBER right (MASTER when the tracker has none); its last 120 days join this account's universe. */
  async addRight(caller: Caller, trackId: string): Promise<TrackerView> {
    const rightId = await this.db.transaction(async (tx) => {
      // Locked like the writer locks it, and touched: events being written now are either committed
      // before the replay below reads them, or written after this right is visible to the writer.
      const tracker = await this.inOrganization(tx, caller, trackId, true);
      await this.touchTracker(tx, tracker.id);
      const existing = await tx('tracker_rights').where({ tracker_id: tracker.id, ad_account_id: caller.adAccountId }).first();
      if (existing) throw new Duplicate(`This ad account already holds a ${existing.role} right on tracker ${trackId}`);
      const master = await tx('tracker_rights').where({ tracker_id: tracker.id, role: 'MASTER' }).first();
      const id = await this.grant(tx, caller, tracker, master ? 'MEMBER' : 'MASTER');
      await this.universe.appendFromQuery(tx, caller.adAccountId, {
        sql: 'select nodes from tracker_events where tracker_id = ? and occurred_at >= ? order by seq',
        bindings: [tracker.id, windowStart(this.clock.now())],
      });
      return id;
    });
    await this.populations.queue(rightId);
    return this.get(caller, trackId);
  }

  /**
   * 권한 삭제. Refused while pixel & SDK targets of this account use the tracker, and for the MASTER
   * while MEMBER accounts remain (they would be left with a tracker nobody may rename: the members
   * remove their rights first, after which the MASTER may leave and the next account to add the
   * tracker becomes its MASTER).
   */
  async removeRight(caller: Caller, trackId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.held(tx, caller, trackId, true);
      await this.touchTracker(tx, row.id); // a batch waiting for the lock stops feeding this account
      const usedBy = await this.pixelTargetsUsing(tx, caller, [row.id]);
      if (usedBy.length > 0) {
        throw new Conflict(
          `Tracker ${trackId} is used by pixel & SDK targets ${usedBy.map((t) => `"${t.name}"`).join(', ')}; delete them before removing the right`,
          { usage: usedBy.map(({ id, name }) => ({ type: 'pixel_target', id, name })) },
        );
      }
      if (row.role === 'MASTER') {
        const members = await tx('tracker_rights').where({ tracker_id: row.id, role: 'MEMBER' }).count({ n: '*' });
        const n = Number(members[0].n);
        if (n > 0) {
          throw new Conflict(`This ad account is the MASTER of tracker ${trackId} and ${n} MEMBER ad account(s) still hold rights; they remove theirs first`, { members: n });
        }
      }
      await tx('tracker_rights').where({ id: row.right_id }).delete();
      await this.populations.forget(tx, row.right_id);
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'tracker_right', resourceId: row.right_id, before: { trackId, role: row.role } });
    });
  }

  // ---- collection ------------------------------------------------------------------------------

  /**
   * POST /v1/collect/:trackId — answered once the events are committed: `accepted` = the events of
   * the request, `duplicates` = how many of them were not stored again because their eventId was
   * stored for this tracker in the last 48 hours (or came earlier in the same request or batch).
   */
  async collect(trackId: string, body: unknown, ip: string, res: Response): Promise<{ accepted: number; duplicates: number }> {
    try {
      enforce(this.limiter, `${trackId}|${ip}`, res, `track_id ${trackId}`);
      const trackerId = await this.trackerIdOf(trackId);
      const now = this.clock.now();
      const events = eventsOfBody(body, now);
      const duplicates = await this.submit(trackerId, events, now, res);
      return { accepted: events.length, duplicates };
    } catch (err) {
      this.told(0, 0, eventsInBody(body));
      throw err;
    }
  }

  /** GET /v1/collect/:trackId?event=…&adid=… — an image beacon. */
  async beacon(trackId: string, query: Record<string, unknown>, ip: string, res: Response): Promise<void> {
    try {
      enforce(this.limiter, `${trackId}|${ip}`, res, `track_id ${trackId}`);
      const trackerId = await this.trackerIdOf(trackId);
      const now = this.clock.now();
      await this.submit(trackerId, [eventOfQuery(query, now)], now, res);
    } catch (err) {
      this.told(0, 0, 1);
      throw err;
    }
  }

  private async submit(trackerId: string, events: CollectedEvent[], now: Date, res: Response): Promise<number> {
    try {
      return await this.writer.submit(events.map((e) => ({ ...e, trackerId, receivedAt: now })));
    } catch (err) {
      if (isCdpError(err) && err.status === 503) res.setHeader('Retry-After', '1');
      throw err;
    }
  }

  private async trackerIdOf(trackId: string): Promise<string> {
    const cached = this.byTrackId.get(trackId);
    if (cached) return cached;
    const row = /^[0-9]{1,20}$/.test(trackId) ? await this.db('trackers').where({ track_id: trackId }).first('id') : undefined;
    if (!row) throw new NotFound(`No pixel & SDK with track_id ${trackId}; check the track_id in the installed script`);
    if (this.byTrackId.size >= CACHE_MAX) this.byTrackId.clear();
    this.byTrackId.set(trackId, row.id);
    return row.id;
  }

  /**
   * One statement per batch of requests, committed on its own (one round trip: no transaction
   * left idle while the event loop is busy): events with their day rollup, the universe inbox of
   * every right holder, status and last event time, and first events' population counts.
   *
   * Rights are read as of the statement's snapshot, which is taken BEFORE it waits for the tracker
   * row locks. addRight and removeRight hold that lock and make a new version of the tracker row
   * (touchTracker), so a right that changed while the statement waited shows as a locked row newer
   * than the snapshot's: then the statement writes nothing and runs again behind the lock, where its
   * snapshot is taken after the lock (rare: a right changing, or another process's batch of the same
   * tracker committing, while it waited).
   */
  private async writeEvents(items: QueuedEvent[]): Promise<ReadonlySet<number>> {
    const trackerIds = [...new Set(items.map((i) => i.trackerId))].sort();
    const { send, skipped } = collapseDuplicates(items);
    const now = Date.now();
    const batch = eventBatchSql(items, send, trackerIds, this.universe, this.populations, (i) => this.recent.has(i, now));
    let result = (await this.db.raw(batch.sql, batch.bindings)).rows[0] as { written: boolean; duplicates: number[] } | undefined;
    if (!result?.written) {
      result = await this.db.transaction(async (tx) => {
        await tx('trackers').whereIn('id', trackerIds).orderBy('id').forUpdate().select('id');
        const again = (await tx.raw(batch.sql, batch.bindings)).rows[0];
        if (!again?.written) throw new Error(`collect: trackers ${trackerIds.join(', ')} not found or changed under their own lock`);
        return again;
      });
    }
    const duplicates = result!.duplicates;
    const notStored = new Set(duplicates);
    this.recent.remember(duplicates.length === 0 ? send.map((n) => items[n]) : send.filter((n) => !notStored.has(n)).map((n) => items[n]), now);
    this.told(items.length - skipped.length - duplicates.length, skipped.length + duplicates.length, 0);
    return skipped.length === 0 && duplicates.length === 0 ? NO_DUPLICATES : new Set([...skipped, ...duplicates]);
  }

  /** Deletes events no window reads any more (daily job). */
  async prune(): Promise<number> {
    const before = windowStart(this.clock.now(), RETENTION_DAYS);
    let total = 0;
    for (;;) {
      const n = await this.db.raw(`delete from tracker_events where seq in (select seq from tracker_events where occurred_at < ? limit ?)`, [before, PRUNE_CHUNK]);
      total += n.rowCount ?? 0;
      if ((n.rowCount ?? 0) < PRUNE_CHUNK) break;
    }
    await this.db('tracker_event_days').where('day', '<', dayOf(before)).delete();
    return total;
  }

  /**
   * Deletes the eventIds received more than 48 hours ago (hourly job), in chunks of PRUNE_CHUNK so
   * no statement holds many row locks or runs long beside the collector. An id refreshed meanwhile
   * (a resend after 48 h, stored again) is newer than the cut and stays.
   */
  async forgetEventIds(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - DEDUP_HOURS * HOUR_MS);
    let total = 0;
    for (;;) {
      const n = await this.db.raw(
        `delete from tracker_event_ids d using (select tracker_id, event_id from tracker_event_ids where received_at < ? limit ?) o
          where d.tracker_id = o.tracker_id and d.event_id = o.event_id and d.received_at < ?`,
        [before, PRUNE_CHUNK, before],
      );
      total += n.rowCount ?? 0;
      if ((n.rowCount ?? 0) < PRUNE_CHUNK) return total;
    }
  }

  // ---- pixel & SDK targets ---------------------------------------------------------------------

  async createTarget(caller: Caller, input: PixelTargetInput): Promise<PixelTargetView> {
    const event = input.event ?? null;
    const id = await this.db.transaction(async (tx) => {
      const tracker = await this.heldForTarget(tx, caller, input.trackId);
      const row = await this.targets.create(tx, caller, {
        kind: 'pixel',
        name: input.name.trim(),
        settings: { trackId: input.trackId, event, days: input.days },
        cadenceMs: HOUR_MS,
        minimum: PIXEL_TARGET_MINIMUM,
      });
      await tx('pixel_targets').insert({ target_id: row.id, ad_account_id: caller.adAccountId, tracker_id: tracker.id, event, days: input.days });
      return row.id;
    });
    await this.targets.queueCount(id);
    return this.getTarget(caller, id);
  }

  async listTargets(caller: Caller): Promise<PixelTargetView[]> {
    return this.targetViews(this.db, await this.targets.list(this.db, caller, 'pixel'));
  }

  async getTarget(caller: Caller, id: string): Promise<PixelTargetView> {
    return (await this.targetViews(this.db, [await this.targets.find(this.db, caller, 'pixel', id)]))[0];
  }

  async updateTarget(caller: Caller, id: string, input: { name?: string; event?: PixelEvent | null; days?: number }): Promise<PixelTargetView> {
    const recount = input.event !== undefined || input.days !== undefined;
    await this.db.transaction(async (tx) => {
      let row = await this.targets.find(tx, caller, 'pixel', id, true);
      if (input.name !== undefined) row = await this.targets.rename(tx, caller, 'pixel', id, input.name.trim());
      if (recount) {
        const current = await tx<PixelTargetRow>('pixel_targets').where({ target_id: id }).first();
        const event = input.event !== undefined ? input.event : (current!.event ?? null);
        const days = input.days ?? current!.days;
        await this.targets.updateSettings(tx, caller, 'pixel', id, { ...row.settings, event, days });
        await tx('pixel_targets').where({ target_id: id }).update({ event, days });
      }
    });
    if (recount) await this.targets.queueCount(id);
    return this.getTarget(caller, id);
  }

  async deleteTarget(caller: Caller, id: string): Promise<void> {
    await this.targets.delete(caller, 'pixel', id);
  }

  // ---- internals -------------------------------------------------------------------------------

  private async views(caller: Caller, rows: HeldTracker[]): Promise<TrackerView[]> {
    if (rows.length === 0) return [];
    const now = this.clock.now();
    const [populations, types, usage] = await Promise.all([
      this.populations.views(this.db, rows.map((r) => r.right_id)),
      this.db('tracker_event_days')
        .whereIn('tracker_id', rows.map((r) => r.id))
        .where('day', '>=', dayOf(windowStart(now)))
        .groupBy('tracker_id')
        .select('tracker_id', this.db.raw('array_agg(distinct event order by event) as events')),
      this.pixelTargetsUsing(this.db, caller, rows.map((r) => r.id)),
    ]);
    const typesOf = new Map((types as { tracker_id: string; events: string[] }[]).map((t) => [t.tracker_id, t.events]));
    return rows.map((r) => ({
      trackId: r.track_id,
      name: r.name,
      role: r.role,
      status: r.status,
      lastEventAt: r.last_event_at?.toISOString() ?? null,
      population: populations.get(r.right_id)!,
      eventTypes: typesOf.get(r.id) ?? [],
      usage: usage.filter((u) => u.trackerId === r.id).map(({ id, name }) => ({ type: 'pixel_target' as const, id, name })),
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    }));
  }

  private heldQuery(q: Queryable, caller: Caller) {
    return q('trackers as t')
      .join('tracker_rights as r', 'r.tracker_id', 't.id')
      .where('r.ad_account_id', caller.adAccountId)
      .where('t.organization_id', caller.organizationId)
      .select('t.*', 'r.id as right_id', 'r.role');
  }

  /** A tracker this ad account holds a right on (404 otherwise: for this account it does not exist). */
  private async held(q: Queryable, caller: Caller, trackId: string, forUpdate = false): Promise<HeldTracker> {
    const query = this.heldQuery(q, caller).where('t.track_id', trackId);
    if (forUpdate) query.forUpdate();
    const row = (await query.first()) as HeldTracker | undefined;
    if (!row) throw new NotFound(`Tracker ${trackId} not found among the trackers of this ad account; add a right on it first (POST /v1/trackers/${trackId}/rights)`);
    return row;
  }

  private async inOrganization(q: Queryable, caller: Caller, trackId: string, forUpdate = false): Promise<TrackerRow> {
    const query = q<TrackerRow>('trackers').where({ track_id: trackId, organization_id: caller.organizationId });
    if (forUpdate) query.forUpdate();
    const row = await query.first();
    if (!row) throw new NotFound(`Tracker ${trackId} not found in this organisation`);
    return row;
  }

  private async heldForTarget(q: Queryable, caller: Caller, trackId: string): Promise<HeldTracker> {
    try {
      // Locked: a right being removed at the same moment either sees this target or is gone first.
      return await this.held(q, caller, trackId, true);
    } catch (err) {
      if (err instanceof NotFound) {
        throw ruleError('/trackId', 'right', `This ad account holds no right on a tracker with track_id ${trackId}; add one with POST /v1/trackers/${trackId}/rights first`);
      }
      throw err;
    }
  }

  /**
   * A new version of the (locked) tracker row without changing it: a collection batch that took its
   * snapshot before this transaction's rights change commits sees it and reads the rights again (see
   * writeEvents).
   */
  private async touchTracker(tx: Tx, trackerId: string): Promise<void> {
    await tx.raw('update trackers set name = name where id = ?', [trackerId]);
  }

  private async grant(tx: Tx, caller: Caller, tracker: TrackerRow, role: TrackerRole): Promise<string> {
    const id = newId('tkr');
    await tx('tracker_rights').insert({ id, tracker_id: tracker.id, organization_id: tracker.organization_id, ad_account_id: caller.adAccountId, role, created_by: caller.keyId });
    await this.populations.track(tx, { adAccountId: caller.adAccountId, subjectType: TRACKER_SUBJECT, subjectId: id, cadenceMs: HOUR_MS, minimum: 0 });
    await this.audit.record(tx, caller, { action: 'create', resourceType: 'tracker_right', resourceId: id, after: { trackId: tracker.track_id, role } });
    return id;
  }

  private async assertNameFree(q: Queryable, caller: Caller, name: string, exceptId?: string): Promise<void> {
    const query = q('trackers').where({ organization_id: caller.organizationId }).whereRaw('lower(name) = lower(?)', [name]);
    if (exceptId) query.whereNot({ id: exceptId });
    if (await query.first()) {
      throw new Duplicate(`A pixel & SDK named "${name}" already exists in this organisation; choose another name`, {
        errors: [{ pointer: '/name', rule: 'unique', message: 'is already used' }],
      });
    }
  }

  /** Pixel & SDK targets of the caller's account on these trackers. */
  private async pixelTargetsUsing(q: Queryable, caller: Caller, trackerIds: readonly string[]): Promise<{ id: string; name: string; trackerId: string }[]> {
    const rows: { target_id: string; tracker_id: string }[] = await q('pixel_targets')
      .whereIn('tracker_id', trackerIds)
      .where({ ad_account_id: caller.adAccountId })
      .select('target_id', 'tracker_id');
    if (rows.length === 0) return [];
    const trackerOf = new Map(rows.map((r) => [r.target_id, r.tracker_id]));
    return (await this.targets.list(q, caller, 'pixel')).filter((t) => trackerOf.has(t.id)).map((t) => ({ id: t.id, name: t.name, trackerId: trackerOf.get(t.id)! }));
  }

  private async targetViews(q: Queryable, rows: TargetRow[]): Promise<PixelTargetView[]> {
    const bases = await this.targets.bases(q, rows);
    const details: PixelTargetRow[] = rows.length
      ? await q('pixel_targets as p')
          .join('trackers as t', 't.id', 'p.tracker_id')
          .whereIn('p.target_id', rows.map((r) => r.id))
          .select('p.*', 't.track_id', 't.name as tracker_name')
      : [];
    const byId = new Map(details.map((d) => [d.target_id, d]));
    return bases.map((b) => {
      const d = byId.get(b.id)!;
      return { ...b, trackId: d.track_id, trackerName: d.tracker_name, event: d.event, days: d.days };
    });
  }

  private async trackerPeople(q: Queryable, adAccountId: string, rightId: string, now: Date): Promise<SqlFragment> {
    const right = await q('tracker_rights').where({ id: rightId, ad_account_id: adAccountId }).first('tracker_id');
    if (!right) return NOBODY;
    return this.universe.peopleOfNodes(adAccountId, {
      sql: 'select unnest(nodes) from tracker_events where tracker_id = ? and occurred_at >= ?',
      bindings: [right.tracker_id, windowStart(now)],
    });
  }

  private async pixelTargetPeople(q: Queryable, adAccountId: string, targetId: string, now: Date): Promise<SqlFragment> {
    const t: PixelTargetRow | undefined = await q('pixel_targets').where({ target_id: targetId, ad_account_id: adAccountId }).first();
    if (!t) return NOBODY;
    return this.universe.peopleOfNodes(adAccountId, {
      sql: `select unnest(nodes) from tracker_events where tracker_id = ? and occurred_at >= ?${t.event ? ' and event = ?' : ''}`,
      bindings: [t.tracker_id, windowStart(now, t.days), ...(t.event ? [t.event] : [])],
    });
  }

  /**
   * Lookalike features: the pixel & SDK events since `from` of every tracker this account holds a
   * right on, as records `(record_key, nodes, feature 'pixel:<event>', value 1)`.
   */
  eventFeatureRecords(adAccountId: string, from: Date): SqlFragment {
    return {
      sql: `select e.seq::text as record_key, e.nodes, 'pixel:' || e.event as feature, 1::float8 as value
            from tracker_events e join tracker_rights r on r.tracker_id = e.tracker_id
            where r.ad_account_id = ? and e.occurred_at >= ?`,
      bindings: [adAccountId, from],
    };
  }

  /** Universe relink: every stored event of the trackers this account holds a right on. */
  private async replay(tx: Tx, caller: Caller): Promise<void> {
    await this.universe.appendFromQuery(tx, caller.adAccountId, {
      sql: `select e.nodes from tracker_events e join tracker_rights r on r.tracker_id = e.tracker_id where r.ad_account_id = ? order by e.seq`,
      bindings: [caller.adAccountId],
    });
  }
}

const NO_DUPLICATES: ReadonlySet<number> = new Set();

function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function strip<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
