import type { Knex } from 'knex';

/**
 * Upload entries and failures without foreign keys: a 200 MB customer file writes ~5M entries in
 * one statement, and the per-row foreign key check (one trigger call and row lock on the upload
 * per entry) cost as much as the insert itself. Rows are only ever written in the transaction that
 * creates their upload, so the check has nothing to catch; deleting an upload (purge, its target
 * or account deleted) still removes them, by one statement-level trigger instead of the cascade.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table target_upload_entries drop constraint target_upload_entries_upload_id_fkey;
    alter table target_upload_failures drop constraint target_upload_failures_upload_id_fkey;

    create function target_uploads_delete_rows() returns trigger language plpgsql as $$
    begin
      delete from target_upload_entries where upload_id in (select id from gone);
      delete from target_upload_failures where upload_id in (select id from gone);
      return null;
    end $$;
    create trigger target_uploads_delete_rows after delete on target_uploads
      referencing old table as gone for each statement execute function target_uploads_delete_rows();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop trigger target_uploads_delete_rows on target_uploads;
    drop function target_uploads_delete_rows();
    delete from target_upload_entries e where not exists (select 1 from target_uploads u where u.id = e.upload_id);
    delete from target_upload_failures f where not exists (select 1 from target_uploads u where u.id = f.upload_id);
    alter table target_upload_entries add constraint target_upload_entries_upload_id_fkey foreign key (upload_id) references target_uploads(id) on delete cascade;
    alter table target_upload_failures add constraint target_upload_failures_upload_id_fkey foreign key (upload_id) references target_uploads(id) on delete cascade;
  `);
}
