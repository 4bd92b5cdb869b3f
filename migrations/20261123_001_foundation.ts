import type { Knex } from 'knex';

/**
 * Accounts and keys, identity namespaces, XDM-like schemas, governance (labels, marketing actions,
 * policies) and the audit log. Every tenant table carries ad_account_id and every lookup filters on
 * it; uniqueness is per account and case-insensitive where people type the value.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table organizations (
      id text primary key,
      name text not null,
      created_at timestamptz not null default now()
    );

    create table ad_accounts (
      id text primary key,
      organization_id text not null references organizations(id),
      name text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index ad_accounts_org_name on ad_accounts (organization_id, lower(name));

    create table api_keys (
      id text primary key,
      organization_id text not null references organizations(id),
      -- home account; org-wide admin keys may switch account with X-Ad-Account-Id
      ad_account_id text not null references ad_accounts(id),
      org_wide boolean not null default false,
      role text not null check (role in ('admin','data_engineer','governance','marketer')),
      name text not null,
      secret_hash text not null,
      created_by text,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz,
      check (not org_wide or role = 'admin')
    );
    create index api_keys_account on api_keys (ad_account_id);

    create table namespaces (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      name text not null,
      code text not null,
      type text not null check (type in ('cookie','cross_device','device','email','phone','non_people','partner_id')),
      description text not null default '',
      standard boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index namespaces_account_code on namespaces (ad_account_id, lower(code));
    create unique index namespaces_account_name on namespaces (ad_account_id, lower(name));

    create table field_groups (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      title text not null,
      description text not null default '',
      intended_classes text[] not null,
      -- json, not jsonb: the field order of a definition is part of it (jsonb reorders keys)
      definition json not null,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index field_groups_account_title on field_groups (ad_account_id, lower(title));

    create table schemas (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      title text not null,
      description text not null default '',
      class_id text not null,
      field_group_ids text[] not null default '{}',
      profile_enabled boolean not null default false,
      profile_enabled_at timestamptz,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index schemas_account_title on schemas (ad_account_id, lower(title));

    create table identity_descriptors (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      schema_id text not null references schemas(id) on delete cascade,
      field_path text not null,
      namespace_id text not null references namespaces(id),
      is_primary boolean not null default false,
      created_at timestamptz not null default now(),
      unique (schema_id, field_path)
    );
    create unique index identity_descriptors_one_primary on identity_descriptors (schema_id) where is_primary;

    create table custom_labels (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      code text not null,
      category text not null default 'Custom',
      friendly_name text not null,
      description text not null default '',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index custom_labels_account_code on custom_labels (ad_account_id, code);

    -- One store for field-level (schema_field + path) and dataset-level (dataset, path '') labels.
    create table label_assignments (
      id bigserial primary key,
      ad_account_id text not null references ad_accounts(id),
      target_kind text not null check (target_kind in ('schema_field','dataset')),
      target_id text not null,
      field_path text not null default '',
      label text not null,
      created_by text,
      created_at timestamptz not null default now(),
      unique (target_kind, target_id, field_path, label)
    );
    create index label_assignments_target on label_assignments (ad_account_id, target_kind, target_id);

    create table marketing_actions (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      name text not null,
      description text not null default '',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index marketing_actions_account_name on marketing_actions (ad_account_id, name);

    create table policies (
      id text primary key,
      ad_account_id text not null references ad_accounts(id),
      name text not null,
      description text not null default '',
      status text not null check (status in ('DRAFT','ENABLED','DISABLED')),
      marketing_actions text[] not null,
      deny jsonb not null,
      core_key text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index policies_account_name on policies (ad_account_id, lower(name));
    create index policies_account_enabled on policies (ad_account_id) where status = 'ENABLED';

    create table audit_log (
      id bigserial primary key,
      ad_account_id text not null references ad_accounts(id),
      actor_key_id text not null,
      actor_role text not null,
      action text not null check (action in ('create','update','delete')),
      resource_type text not null,
      resource_id text not null,
      before jsonb,
      after jsonb,
      created_at timestamptz not null default now()
    );
    create index audit_log_account on audit_log (ad_account_id, id desc);
    create index audit_log_resource on audit_log (ad_account_id, resource_type, resource_id, id desc);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists audit_log, policies, marketing_actions, label_assignments, custom_labels,
      identity_descriptors, schemas, field_groups, namespaces, api_keys, ad_accounts, organizations cascade;
  `);
}
