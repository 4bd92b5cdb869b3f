import type { Knex } from 'knex';

/**
 * Pixel & SDK: trackers (owned by an organisation, numeric track_id), the rights ad accounts hold
 * on them, the collected events with a per-day rollup (event lists without scanning events), and
 * pixel & SDK targets. MAT: link codes, received postbacks with their own rollup (what "+ MAT
 * 연동하기" offers) and MAT links (targets of kind `mat`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table trackers (
      id text primary key,
      organization_id text not null references organizations(id) on delete cascade,
      track_id text not null unique check (track_id ~ '^[0-9]{1,20}$'),
      name text not null,
      status text not null default 'PRE_COLLECTION' check (status in ('PRE_COLLECTION','COLLECTION')),
      last_event_at timestamptz,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index trackers_org_name on trackers (organization_id, lower(name));

    create table tracker_rights (
      id text primary key,
      tracker_id text not null references trackers(id) on delete cascade,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      role text not null check (role in ('MASTER','MEMBER')),
      created_by text,
      created_at timestamptz not null default now(),
      unique (tracker_id, ad_account_id)
    );
    create index tracker_rights_account on tracker_rights (ad_account_id);
    create unique index tracker_rights_one_master on tracker_rights (tracker_id) where role = 'MASTER';

    -- One row per collected pixel/SDK event; nodes = its identity nodes for the universe.
    create table tracker_events (
      seq bigint generated always as identity primary key,
      tracker_id text not null references trackers(id) on delete cascade,
      event text not null,
      adid text,
      app_user_id text,
      cookie_id text,
      nodes text[] generated always as (
        array_remove(array['adid:' || adid, 'app_user_id:' || app_user_id, 'cookie:' || cookie_id], null)
      ) stored,
      properties jsonb,
      occurred_at timestamptz not null,
      received_at timestamptz not null
    );
    create index tracker_events_window on tracker_events (tracker_id, occurred_at);
    create index tracker_events_event_window on tracker_events (tracker_id, event, occurred_at);
    create index tracker_events_occurred on tracker_events (occurred_at);

    -- Per tracker, event type and day (UTC, of occurred_at): the event list reads this, not events.
    create table tracker_event_days (
      tracker_id text not null references trackers(id) on delete cascade,
      event text not null,
      day date not null,
      count bigint not null,
      first_seen_at timestamptz not null,
      last_seen_at timestamptz not null,
      primary key (tracker_id, event, day)
    );

    create table pixel_targets (
      target_id text primary key references targets(id) on delete cascade,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      tracker_id text not null references trackers(id),
      event text,
      days integer not null check (days between 1 and 120)
    );
    create index pixel_targets_tracker on pixel_targets (tracker_id, ad_account_id);

    create table mat_link_codes (
      id text primary key,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      name text not null,
      code text not null unique,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index mat_link_codes_account_name on mat_link_codes (ad_account_id, lower(name));

    create table mat_postbacks (
      seq bigint generated always as identity primary key,
      link_code_id text not null references mat_link_codes(id) on delete cascade,
      vendor text not null,
      event text not null check (event in ('install','open','purchase')),
      vendor_event text,
      adid text not null,
      occurred_at timestamptz not null,
      received_at timestamptz not null
    );
    create index mat_postbacks_window on mat_postbacks (link_code_id, vendor, event, occurred_at);
    create index mat_postbacks_occurred on mat_postbacks (occurred_at);

    -- What each link code has received per vendor and event, all time (first = 등록일시 of a MAT link).
    create table mat_received (
      link_code_id text not null references mat_link_codes(id) on delete cascade,
      vendor text not null,
      event text not null,
      first_collected_at timestamptz not null,
      last_collected_at timestamptz not null,
      count bigint not null,
      primary key (link_code_id, vendor, event)
    );

    create table mat_links (
      target_id text primary key references targets(id) on delete cascade,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      link_code_id text not null references mat_link_codes(id),
      vendor text not null,
      event text not null check (event in ('install','open','purchase'))
    );
    create index mat_links_code on mat_links (link_code_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists mat_links, mat_received, mat_postbacks, mat_link_codes,
      pixel_targets, tracker_event_days, tracker_events, tracker_rights, trackers;
  `);
}
