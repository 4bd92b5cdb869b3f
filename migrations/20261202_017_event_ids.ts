import type { Knex } from 'knex';

/**
 * Deduplication of collected events and MAT postbacks (issue 18): the ids seen in the last 48 hours.
 *
 * - `tracker_event_ids`: a client's `eventId` per tracker. The group commit inserts the ids of its
 *   events with ON CONFLICT … DO UPDATE only where the stored one is older than 48 h, and stores an
 *   event only when its id was inserted or refreshed. No foreign key (checked per row on the
 *   collector's hot path; trackers are never deleted); `collate "C"`: the ids are opaque, compared
 *   bytewise. A BRIN index on `received_at` (rows arrive in time order, nearly free to maintain)
 *   serves the hourly cleanup of ids older than 48 h.
 * - `mat_postback_ids`: per link code and vendor, the key of a postback — its `eventId` when it
 *   carries one, otherwise a fingerprint of what a resend repeats unchanged (see mat/postbacks.ts).
 * - `tracker_events.event_id`: the client's id of a stored event (NULL without one).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table tracker_event_ids (
      tracker_id text collate "C" not null,
      event_id text collate "C" not null,
      received_at timestamptz not null,
      primary key (tracker_id, event_id)
    );
    create index tracker_event_ids_received on tracker_event_ids using brin (received_at) with (autosummarize = on);

    alter table tracker_events add column event_id text;

    create table mat_postback_ids (
      link_code_id text not null references mat_link_codes(id) on delete cascade,
      vendor text collate "C" not null,
      postback_key text collate "C" not null,
      received_at timestamptz not null,
      primary key (link_code_id, vendor, postback_key)
    );
    create index mat_postback_ids_received on mat_postback_ids using brin (received_at) with (autosummarize = on);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists mat_postback_ids, tracker_event_ids;
    alter table tracker_events drop column if exists event_id;
  `);
}
