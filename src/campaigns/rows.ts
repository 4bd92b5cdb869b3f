/** Row lookups and name-guarded writes shared by campaigns, ad groups and messages. */
import { Conflict, Duplicate, NotFound } from '../core/errors';
import type { Queryable, Tx } from '../core/db';
import type { Caller } from '../core/types';
import type { AdGroupRow, CampaignContext, CampaignRow, DeletedRefs, MessageRow } from './types';

export async function runBeforeDelete(ctx: CampaignContext, tx: Tx, caller: Caller, refs: DeletedRefs): Promise<void> {
  for (const hook of ctx.beforeDeleteHooks) await hook(tx, caller, refs);
}

/** Deletes rows after the hooks agreed; a target made a source meanwhile still stops it (its foreign key). */
export async function deleteRow(tx: Tx, table: string, id: string, what: string): Promise<void> {
  try {
    await tx(table).where({ id }).delete();
  } catch (err) {
    if ((err as { code?: string })?.code === '23503') {
      throw new Conflict(`The ${what} just became a source of an ad-response target (광고반응타겟); remove it from the target first`);
    }
    throw err;
  }
}

export async function findCampaign(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<CampaignRow> {
  const query = q<CampaignRow>('campaigns').where({ id, ad_account_id: caller.adAccountId });
  if (forUpdate) query.forUpdate();
  const row = await query.first();
  if (!row) throw new NotFound(`Campaign ${id} not found`);
  return row;
}

export async function findAdGroup(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<AdGroupRow> {
  const query = q<AdGroupRow>('ad_groups').where({ id, ad_account_id: caller.adAccountId });
  if (forUpdate) query.forUpdate();
  const row = await query.first();
  if (!row) throw new NotFound(`Ad group ${id} not found`);
  return row;
}

export async function findMessage(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<MessageRow> {
  const query = q<MessageRow>('messages').where({ id, ad_account_id: caller.adAccountId });
  if (forUpdate) query.forUpdate();
  const row = await query.first();
  if (!row) throw new NotFound(`Message ${id} not found`);
  return row;
}

export async function assertCampaignNameFree(q: Queryable, caller: Caller, name: string, exceptId?: string): Promise<void> {
  const query = q('campaigns').where({ ad_account_id: caller.adAccountId }).whereRaw('lower(name) = lower(?)', [name]);
  if (exceptId) query.whereNot({ id: exceptId });
  if (await query.first()) throw duplicateName('campaign', name, 'this ad account');
}

export async function assertAdGroupNameFree(q: Queryable, campaignId: string, name: string, exceptId?: string): Promise<void> {
  const query = q('ad_groups').where({ campaign_id: campaignId }).whereRaw('lower(name) = lower(?)', [name]);
  if (exceptId) query.whereNot({ id: exceptId });
  if (await query.first()) throw duplicateName('ad group', name, 'this campaign');
}

export async function assertMessageNameFree(q: Queryable, adGroupId: string, name: string, exceptId?: string): Promise<void> {
  const query = q('messages').where({ ad_group_id: adGroupId }).whereRaw('lower(name) = lower(?)', [name]);
  if (exceptId) query.whereNot({ id: exceptId });
  if (await query.first()) throw duplicateName('message', name, 'this ad group');
}

/** Insert guarded by a unique name index: a concurrent twin answers 409, not 500. */
export async function insertUnique(tx: Tx, table: string, row: object, what: string, name: string): Promise<void> {
  try {
    await tx(table).insert(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateName(what, name, 'its scope');
    throw err;
  }
}

export async function updateUnique(tx: Tx, table: string, id: string, change: object, what: string, name: string): Promise<void> {
  try {
    await tx(table).where({ id }).update(change);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateName(what, name, 'its scope');
    throw err;
  }
}

function duplicateName(what: string, name: string, scope: string) {
  return new Duplicate(`A ${what} named "${name}" already exists in ${scope}; choose another name`, {
    errors: [{ pointer: '/name', rule: 'unique', message: 'is already used' }],
  });
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23505';
}
