/** Messages of the ad groups of message campaigns; reactions of message campaigns are recorded on them. */
import { ruleError } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import { reactionSources } from './reactions';
import { assertMessageNameFree, deleteRow, findAdGroup, findCampaign, findMessage, insertUnique, runBeforeDelete, updateUnique } from './rows';
import type { AdGroupRow, CampaignContext, Message, MessageRow } from './types';

export async function createMessage(ctx: CampaignContext, caller: Caller, input: { adGroupId: string; name: string }): Promise<Message> {
  const id = await ctx.db.transaction(async (tx) => {
    const adGroup = await tx<AdGroupRow>('ad_groups').where({ id: input.adGroupId, ad_account_id: caller.adAccountId }).forShare().first();
    if (!adGroup) throw ruleError('/adGroupId', 'exists', `Ad group ${input.adGroupId} not found in this ad account`);
    const campaign = await findCampaign(tx, caller, adGroup.campaign_id);
    if (campaign.type !== 'MESSAGE') {
      throw ruleError('/adGroupId', 'campaign-type', `Ad group "${adGroup.name}" belongs to display campaign "${campaign.name}"; messages belong to ad groups of message campaigns`);
    }
    await assertMessageNameFree(tx, adGroup.id, input.name);
    const row = { id: newId('msg'), ad_account_id: caller.adAccountId, ad_group_id: adGroup.id, name: input.name, created_by: caller.keyId };
    await insertUnique(tx, 'messages', row, 'message', input.name);
    await ctx.audit.record(tx, caller, { action: 'create', resourceType: 'message', resourceId: row.id, after: { name: row.name, adGroupId: adGroup.id } });
    return row.id;
  });
  return getMessage(ctx, caller, id);
}

export async function listMessages(ctx: CampaignContext, caller: Caller, filter: { adGroupId?: string } = {}): Promise<Message[]> {
  if (filter.adGroupId) await findAdGroup(ctx.db, caller, filter.adGroupId);
  const q = ctx.db<MessageRow>('messages').where({ ad_account_id: caller.adAccountId }).orderBy('id', 'desc');
  if (filter.adGroupId) q.where({ ad_group_id: filter.adGroupId });
  return messageDtos(ctx, caller, await q);
}

export async function getMessage(ctx: CampaignContext, caller: Caller, id: string): Promise<Message> {
  return (await messageDtos(ctx, caller, [await findMessage(ctx.db, caller, id)]))[0];
}

export async function renameMessage(ctx: CampaignContext, caller: Caller, id: string, input: { name: string }): Promise<Message> {
  await ctx.db.transaction(async (tx) => {
    const before = await findMessage(tx, caller, id, true);
    if (before.name === input.name) return;
    await assertMessageNameFree(tx, before.ad_group_id, input.name, id);
    await updateUnique(tx, 'messages', id, { name: input.name, updated_at: tx.fn.now() }, 'message', input.name);
    await ctx.audit.record(tx, caller, { action: 'update', resourceType: 'message', resourceId: id, before: { name: before.name }, after: { name: input.name } });
  });
  return getMessage(ctx, caller, id);
}

export async function deleteMessage(ctx: CampaignContext, caller: Caller, id: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const row = await findMessage(tx, caller, id, true);
    await runBeforeDelete(ctx, tx, caller, { campaigns: [], adGroups: [], messages: [{ id, name: row.name }] });
    await deleteRow(tx, 'messages', id, 'message');
    await ctx.audit.record(tx, caller, { action: 'delete', resourceType: 'message', resourceId: id, before: { name: row.name, adGroupId: row.ad_group_id } });
  });
}

async function messageDtos(ctx: CampaignContext, caller: Caller, rows: MessageRow[]): Promise<Message[]> {
  if (rows.length === 0) return [];
  const sources = await reactionSources(ctx.db, caller, rows.map((r) => r.id));
  return rows.map((m) => {
    const s = sources.get(m.id)!;
    return {
      id: m.id,
      name: m.name,
      adGroupId: m.ad_group_id,
      adGroup: s.adGroup!,
      campaign: s.campaign,
      createdAt: m.created_at.toISOString(),
      updatedAt: m.updated_at.toISOString(),
    };
  });
}
