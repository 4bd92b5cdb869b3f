import type { Knex } from 'knex';

/**
 * Citus-ready keys for pixel & SDK trackers (docs/citus.md), which belong to an organisation and are
 * shared by its ad accounts through rights:
 *
 * - Organisation group (organization_id): trackers and tracker_rights. Rights gain organization_id
 *   (from their tracker); keys include it. track_id stays unique per organisation in the schema;
 *   across organisations the service keeps it unique (src/trackers/service.ts, 63 random bits).
 * - Tracker group (tracker_id, collate "C" as tracker_event_ids already has it — Citus co-locates
 *   only distribution columns of one collation): tracker_events, tracker_event_days,
 *   tracker_event_ids. tracker_events' key includes tracker_id.
 * - Foreign keys across groups go (Citus refuses them): tracker_event_days → trackers (a tracker's
 *   deletion removes its days by the trigger that already removes its events) and pixel_targets →
 *   trackers (trackers are deleted only with their organisation, whose accounts' targets go too;
 *   creating a pixel target checks the account's right on the tracker).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table tracker_rights add column organization_id text;
    update tracker_rights r set organization_id = t.organization_id from trackers t where t.id = r.tracker_id;
    alter table tracker_rights alter column organization_id set not null;

    alter table tracker_rights drop constraint tracker_rights_tracker_id_fkey;
    alter table tracker_event_days drop constraint tracker_event_days_tracker_id_fkey;
    alter table pixel_targets drop constraint pixel_targets_tracker_id_fkey;

    alter table trackers drop constraint trackers_pkey, add constraint trackers_pkey primary key (id, organization_id);
    alter table trackers drop constraint trackers_track_id_key, add constraint trackers_track_id_key unique (track_id, organization_id);
    alter table tracker_rights drop constraint tracker_rights_pkey, add constraint tracker_rights_pkey primary key (id, organization_id);
    alter table tracker_rights drop constraint tracker_rights_tracker_id_ad_account_id_key,
      add constraint tracker_rights_tracker_id_ad_account_id_key unique (tracker_id, ad_account_id, organization_id);
    drop index tracker_rights_one_master;
    create unique index tracker_rights_one_master on tracker_rights (tracker_id, organization_id) where role = 'MASTER';
    alter table tracker_rights add constraint tracker_rights_tracker_id_fkey
      foreign key (tracker_id, organization_id) references trackers (id, organization_id) on delete cascade;

    alter table tracker_events alter column tracker_id type text collate "C";
    alter table tracker_event_days alter column tracker_id type text collate "C";
    alter table tracker_events drop constraint tracker_events_pkey, add constraint tracker_events_pkey primary key (seq, tracker_id);

    create or replace function trackers_delete_events() returns trigger language plpgsql as $$
    begin
      delete from tracker_events where tracker_id in (select id from gone);
      delete from tracker_event_ids where tracker_id in (select id from gone);
      delete from tracker_event_days where tracker_id in (select id from gone);
      return null;
    end $$;
  `);
}

export async function down(): Promise<void> {
  throw new Error('20261203_021_tracker_keys cannot be undone: restore a backup taken before it');
}
