import type { Knex } from 'knex';

/**
 * Collected events with less to maintain per row (issue 18, the collector's p99):
 *
 * - No foreign key from tracker_events to trackers. Its check was one trigger call and one row lock
 *   on the tracker per event (14 % of a 320-event group commit's time), while the same statement
 *   already holds that tracker row FOR UPDATE. Trackers are only deleted with their organisation;
 *   one statement-level trigger removes their events (and event ids) then, instead of the cascade.
 * - No (tracker_id, occurred_at) index. Events are kept 121 days and every read of them looks back
 *   up to 120 days, so reading a tracker's events by that index reads nearly all of them anyway:
 *   (tracker_id, event, occurred_at) serves the same reads (PostgreSQL 18 skips over the event
 *   types; older versions read the tracker's entries and filter on occurred_at in the index).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table tracker_events drop constraint tracker_events_tracker_id_fkey;
    drop index tracker_events_window;

    create function trackers_delete_events() returns trigger language plpgsql as $$
    begin
      delete from tracker_events where tracker_id in (select id from gone);
      delete from tracker_event_ids where tracker_id in (select id from gone);
      return null;
    end $$;
    create trigger trackers_delete_events after delete on trackers
      referencing old table as gone for each statement execute function trackers_delete_events();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop trigger trackers_delete_events on trackers;
    drop function trackers_delete_events();
    create index tracker_events_window on tracker_events (tracker_id, occurred_at);
    delete from tracker_events e where not exists (select 1 from trackers t where t.id = e.tracker_id);
    alter table tracker_events add constraint tracker_events_tracker_id_fkey foreign key (tracker_id) references trackers(id) on delete cascade;
  `);
}
