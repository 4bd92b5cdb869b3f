/**
 * The one statement a group commit of collected events runs: the events, the universe's inbox rows
 * of every account holding a right, the trackers' status and the populations marked due — written
 * only while each tracker row is as snapshotted.
 *
 * Deduplication: the ids of events carrying one go into tracker_event_ids first; an id already
 * there and received less than 48 hours before is left alone, one older is refreshed (it counts as
 * new even before the cleanup removed it). Only events without an id, or whose id was inserted or
 * refreshed, are stored, counted per day and fed to the inbox. ON CONFLICT cannot touch a row twice
 * in one statement, so the caller passes each (tracker, id) at most once (collapseDuplicates).
 *
 * Inbox: every stored event's identity set goes to the inbox of every right holder, except those
 * the caller marks `known` (fed by this tracker within the hour, recent.ts): linking them again
 * would change nothing.
 */
import type { PopulationService } from '../populations/service';
import type { SqlFragment, UniverseService } from '../universe/service';
import { TRACKER_SUBJECT, type QueuedEvent } from './types';

/** How long an eventId keeps a resend of its event from being stored again. */
export const DEDUP_HOURS = 48;

/**
 * The items of a batch to write (`items[i]` sent with its index `i`) and the indexes of those
 * skipped at once because an earlier item of the same batch has the same tracker and eventId
 * (two requests, or one, carrying the same id: the first one wins).
 */
export function collapseDuplicates(items: readonly QueuedEvent[]): { send: number[]; skipped: number[] } {
  const send: number[] = [];
  const skipped: number[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const id = items[i].eventId;
    if (id !== null) {
      const key = `${items[i].trackerId}\u0000${id}`;
      if (seen.has(key)) {
        skipped.push(i);
        continue;
      }
      seen.add(key);
    }
    send.push(i);
  }
  return { send, skipped };
}

/**
 * The statement of writeEvents for `items[i]` of every i in `send`; answers `written` = false (and
 * writes nothing) when a tracker row changed after its snapshot, and `duplicates` = the indexes of
 * the sent items not stored because their eventId was seen within 48 hours.
 */
export function eventBatchSql(
  items: readonly QueuedEvent[],
  send: readonly number[],
  trackerIds: string[],
  universe: UniverseService,
  populations: PopulationService,
  /** Items whose identity set the tracker fed recently (recent.ts): stored, not fed to the inbox again. */
  known: (i: QueuedEvent) => boolean = () => false,
): SqlFragment {
  const rows = send.map((n) => {
    const i = items[n];
    return {
      n,
      // Present only when true: the usual case costs no bytes.
      ...(known(i) ? { known: true } : {}),
      event_id: i.eventId,
      tracker_id: i.trackerId,
      event: i.event,
      adid: i.adid,
      app_user_id: i.appUserId,
      cookie_id: i.cookieId,
      // Absent rather than JSON null, so the column is SQL NULL.
      ...(i.properties ? { properties: i.properties } : {}),
      occurred_at: i.occurredAt.toISOString(),
      received_at: i.receivedAt.toISOString(),
    };
  });
  const last = new Map<string, number>();
  for (const i of items) last.set(i.trackerId, Math.max(last.get(i.trackerId) ?? 0, i.receivedAt.getTime()));
  const inbox = universe.appendSql({
    sql: 'select r.ad_account_id, k.nodes from kept k join rights r on r.tracker_id = k.tracker_id where k.known is null order by k.n, r.ad_account_id',
    bindings: [],
  });
  // First events: count the new trackers' populations now rather than within the hour.
  const due = populations.markDueSql({
    sql: `select r.id from rights r join locked l on l.id = r.tracker_id where l.status = 'PRE_COLLECTION'`,
    bindings: [],
  });
  return {
    sql: `with locked as (
            -- Sorted row locks (no deadlocks between writers), as addRight takes them; xmin = the
            -- version locked, which is the newest one whatever the snapshot.
            select id, status, xmin as version from trackers where id = any(?::text[]) order by id for update
          ),
          fresh as (
            select (select count(*) from locked l join trackers t on t.id = l.id and t.xmin = l.version) = ? as ok
          ),
          input as materialized (
            select * from jsonb_to_recordset(?::jsonb) as x(n int, known boolean, event_id text, tracker_id text, event text, adid text,
              app_user_id text, cookie_id text, properties jsonb, occurred_at timestamptz, received_at timestamptz)
          ),
          seen as (
            insert into tracker_event_ids (tracker_id, event_id, received_at)
            select tracker_id, event_id, received_at from input where event_id is not null and (select ok from fresh)
            on conflict (tracker_id, event_id) do update set received_at = excluded.received_at
              where tracker_event_ids.received_at < excluded.received_at - interval '${DEDUP_HOURS} hours'
            returning tracker_id, event_id
          ),
          -- The events to store, in the order received (n): nodes as tracker_events computes them.
          kept as materialized (
            select x.*, array_remove(array['adid:' || x.adid, 'app_user_id:' || x.app_user_id, 'cookie:' || x.cookie_id], null) as nodes
            from input x
            where (select ok from fresh)
              and (x.event_id is null or (x.tracker_id, x.event_id) in (select tracker_id, event_id from seen))
          ),
          ins as (
            insert into tracker_events (tracker_id, event_id, event, adid, app_user_id, cookie_id, properties, occurred_at, received_at)
            select tracker_id, event_id, event, adid, app_user_id, cookie_id, properties, occurred_at, received_at
            from kept order by n
          ),
          days as (
            insert into tracker_event_days (tracker_id, event, day, count, first_seen_at, last_seen_at)
            select tracker_id, event, (occurred_at at time zone 'UTC')::date, count(*), min(occurred_at), max(occurred_at)
            from kept group by 1, 2, 3
            on conflict (tracker_id, event, day) do update set
              count = tracker_event_days.count + excluded.count,
              first_seen_at = least(tracker_event_days.first_seen_at, excluded.first_seen_at),
              last_seen_at = greatest(tracker_event_days.last_seen_at, excluded.last_seen_at)
          ),
          rights as (
            select r.id, r.tracker_id, r.ad_account_id from tracker_rights r where r.tracker_id = any(?::text[]) and (select ok from fresh)
          ),
          inbox as (${inbox.sql}),
          collected as (
            update trackers t set status = 'COLLECTION', updated_at = now(),
              last_event_at = greatest(coalesce(t.last_event_at, v.at), v.at)
            from unnest(?::text[], ?::timestamptz[]) as v(id, at) where t.id = v.id and (select ok from fresh)
          ),
          due as (${due.sql})
          select (select ok from fresh) as written,
            (select coalesce(array_agg(x.n), '{}') from input x
              where x.event_id is not null and not exists (select from seen s where s.tracker_id = x.tracker_id and s.event_id = x.event_id)) as duplicates`,
    bindings: [
      trackerIds,
      trackerIds.length,
      JSON.stringify(rows),
      trackerIds,
      ...inbox.bindings,
      [...last.keys()],
      [...last.values()].map((ms) => new Date(ms).toISOString()),
      ...due.bindings,
    ],
  };
}
