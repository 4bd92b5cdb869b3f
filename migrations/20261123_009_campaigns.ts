import type { Knex } from 'knex';

/** campaigns, ad groups, messages, reactions and ad group targeting; ad-response target definitions. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- Display or message campaigns (캠페인). A message campaign sends through one talk channel;
    -- its type, message type and channel are fixed at creation.
    create table campaigns (
      id text primary key,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      name text not null,
      type text not null check (type in ('DISPLAY','MESSAGE')),
      message_type text check (message_type in ('CHANNEL_MESSAGE','DIRECT_FRIENDS')),
      talk_channel_id text,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((type = 'MESSAGE') = (message_type is not null)),
      check ((type = 'MESSAGE') = (talk_channel_id is not null))
    );
    create unique index campaigns_account_name on campaigns (ad_account_id, lower(name));
    create index campaigns_channel on campaigns (ad_account_id, talk_channel_id);

    -- Ad groups (광고그룹): the unit display ads are delivered and targeted by.
    create table ad_groups (
      id text primary key,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      campaign_id text not null references campaigns(id) on delete cascade,
      name text not null,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index ad_groups_campaign_name on ad_groups (campaign_id, lower(name));
    create index ad_groups_account on ad_groups (ad_account_id, campaign_id, id);

    -- Messages of message campaigns' ad groups.
    create table messages (
      id text primary key,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      ad_group_id text not null references ad_groups(id) on delete cascade,
      name text not null,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index messages_ad_group_name on messages (ad_group_id, lower(name));
    create index messages_account on messages (ad_account_id, ad_group_id, id);

    -- 맞춤타겟: the targets an ad group includes or excludes. Target deletion is refused while a
    -- row here uses it (the registry asks the usage provider), the cascade is only a backstop.
    create table ad_group_targeting (
      ad_group_id text not null references ad_groups(id) on delete cascade,
      target_id text not null references targets(id) on delete cascade,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      role text not null check (role in ('include','exclude')),
      position integer not null,
      primary key (ad_group_id, target_id)
    );
    create index ad_group_targeting_target on ad_group_targeting (ad_account_id, target_id);

    -- Ad reactions (광고반응): plays, clicks and conversions of display ad groups, opens and clicks
    -- of messages. source_id is the ad group (display) or the message (message campaigns); nodes
    -- are the reaction's identity nodes as appended to the universe.
    create table reactions (
      id bigint generated always as identity primary key,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      ad_group_id text not null references ad_groups(id) on delete cascade,
      message_id text references messages(id) on delete cascade,
      source_id text not null,
      type text not null check (type in ('PLAY','CLICK','CONVERSION','OPEN')),
      adid text,
      app_user_id text,
      nodes text[] not null,
      occurred_at timestamptz not null,
      play_seconds double precision,
      play_percent double precision,
      -- A play counts only at ≥ 3 s or ≥ 25 % of the video; shorter plays are kept but never counted.
      qualified boolean not null,
      received_at timestamptz not null default now(),
      check (adid is not null or app_user_id is not null)
    );
    create index reactions_source on reactions (ad_account_id, source_id, type, occurred_at);

    -- Ad-response targets (광고반응타겟): the definition beside the registry row.
    create table ad_response_targets (
      target_id text primary key references targets(id) on delete cascade,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      campaign_type text not null check (campaign_type in ('DISPLAY','MESSAGE')),
      combination jsonb not null,
      collection_days integer not null check (collection_days between 1 and 90)
    );

    -- Its sources. The foreign keys (no cascade) keep a source from disappearing under a target
    -- even when two requests race; the services answer 409 naming the target before that.
    create table ad_response_sources (
      target_id text not null references ad_response_targets(target_id) on delete cascade,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      position integer not null,
      ad_group_id text references ad_groups(id),
      message_id text references messages(id),
      primary key (target_id, position),
      check ((ad_group_id is null) <> (message_id is null))
    );
    create index ad_response_sources_ad_group on ad_response_sources (ad_group_id) where ad_group_id is not null;
    create index ad_response_sources_message on ad_response_sources (message_id) where message_id is not null;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists ad_response_sources, ad_response_targets, reactions, ad_group_targeting, messages, ad_groups, campaigns;
  `);
}
