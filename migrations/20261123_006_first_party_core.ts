import type { Knex } from 'knex';

/**
 * The first-party core: the account's identity universe (an identity graph fed through an inbox),
 * the population store every first-party target shares, and the target registry (names, limits,
 * usage) with its uploads (customer files, friend groups).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create sequence universe_person_seq;

    -- Identity sets waiting to be linked into the graph (one row per first-party record or event).
    create table universe_inbox (
      seq bigint generated always as identity primary key,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      nodes text[] not null,
      created_at timestamptz not null default now()
    );
    create index universe_inbox_account on universe_inbox (ad_account_id, seq);

    -- One row per identity node (\`adid:…\`, \`phone:+82…\`) of the account and the person it belongs to.
    create table universe_identities (
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      node text not null,
      person_id bigint not null,
      first_seen_at timestamptz not null default now(),
      primary key (ad_account_id, node)
    );
    create index universe_identities_person on universe_identities (ad_account_id, person_id);

    create table universe_people (
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      person_id bigint not null,
      identity_count integer not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (ad_account_id, person_id)
    );

    create table universe_state (
      ad_account_id text primary key references ad_accounts(id) on delete cascade,
      linked_records bigint not null default 0,
      refused_merges bigint not null default 0,
      dropped_identities bigint not null default 0,
      last_linked_at timestamptz
    );

    -- Populations (모수) of targets, trackers and anything else counted over the universe.
    create table populations (
      subject_id text primary key,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      subject_type text not null,
      state text not null check (state in ('preparing','ready','too_small','failed','querying','query_failed')),
      count bigint,
      minimum integer not null default 0,
      cadence_seconds integer not null,
      attempts integer not null default 0,
      error text,
      refreshed_at timestamptz,
      next_refresh_at timestamptz not null,
      lease_until timestamptz,
      -- Who holds the lease (a count finishing after losing it writes nothing) and how often the
      -- subject was marked due (a change during a count makes it due again at once).
      lease_token text,
      due_version integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index populations_due on populations (next_refresh_at);
    create index populations_account on populations (ad_account_id, subject_type);

    -- Every first-party target of every kind: one namespace of names and one limit per kind.
    create table targets (
      id text primary key,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      kind text not null check (kind in ('customer_file','friend_group','ad_response','pixel','mat','lookalike')),
      name text not null,
      settings jsonb not null default '{}',
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index targets_account_kind_name on targets (ad_account_id, kind, lower(name));
    create index targets_account_kind on targets (ad_account_id, kind, id);

    -- A file of identifiers uploaded for a customer file or friend group, before and after it is saved.
    create table target_uploads (
      id text primary key,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      kind text not null check (kind in ('customer_file','friend_group')),
      identifier_type text not null,
      options jsonb not null default '{}',
      status text not null check (status in ('uploading','ready','failed','saved')),
      file_name text,
      encoding text,
      bytes bigint not null default 0,
      received bigint not null default 0,
      succeeded bigint not null default 0,
      failed bigint not null default 0,
      duplicates bigint not null default 0,
      error text,
      target_id text references targets(id) on delete cascade,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index target_uploads_account on target_uploads (ad_account_id, created_at);

    -- Valid, de-duplicated identity nodes of an upload.
    create table target_upload_entries (
      upload_id text not null references target_uploads(id) on delete cascade,
      node text not null,
      primary key (upload_id, node)
    );

    create table target_upload_failures (
      upload_id text not null references target_uploads(id) on delete cascade,
      row_number bigint not null,
      value text,
      rule text not null,
      message text not null,
      primary key (upload_id, row_number)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists target_upload_failures, target_upload_entries, target_uploads, targets, populations,
      universe_state, universe_people, universe_identities, universe_inbox;
    drop sequence if exists universe_person_seq;
  `);
}
