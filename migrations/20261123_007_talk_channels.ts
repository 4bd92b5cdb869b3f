import type { Knex } from 'knex';

/** Talk channels (카카오톡 채널) of ad accounts and their friends. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table talk_channels (
      id text primary key,
      ad_account_id text not null references ad_accounts(id) on delete cascade,
      name text not null,
      -- What users type in KakaoTalk search (@프렌즈샵): one channel per ad account, any case.
      search_id text not null,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index talk_channels_account_search_id on talk_channels (ad_account_id, lower(search_id));

    -- Friendships are first-party data: one row per friend identity node (phone:+82…, app_user_id:…).
    create table talk_channel_friends (
      channel_id text not null references talk_channels(id) on delete cascade,
      node text not null,
      added_at timestamptz not null default now(),
      primary key (channel_id, node)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists talk_channel_friends, talk_channels');
}
