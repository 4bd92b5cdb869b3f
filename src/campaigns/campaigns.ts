/** Campaigns (캠페인): display or message; the type, message type and talk channel are fixed at creation. */
import type { Queryable } from '../core/db';
import { ruleError } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import { assertCampaignNameFree, deleteRow, findCampaign, insertUnique, runBeforeDelete, updateUnique } from './rows';
import type { AdGroupRow, Campaign, CampaignContext, CampaignInput, CampaignRow, CampaignType, MessageRow, MessageType } from './types';

export async function createCampaign(ctx: CampaignContext, caller: Caller, input: CampaignInput): Promise<Campaign> {
  const id = await ctx.db.transaction(async (tx) => {
    let messageType: MessageType | null = null;
    let channelId: string | null = null;
    if (input.type === 'DISPLAY') {
      if (input.messageType) throw ruleError('/messageType', 'message-only', 'Only message campaigns have a message type; leave it out for a display campaign');
      if (input.talkChannelId) throw ruleError('/talkChannelId', 'message-only', 'Only message campaigns send through a talk channel; leave it out for a display campaign');
    } else {
      messageType = input.messageType ?? 'CHANNEL_MESSAGE';
      if (!input.talkChannelId) throw ruleError('/talkChannelId', 'required', 'A message campaign sends through a talk channel: give talkChannelId');
      if (!ctx.channels) throw ruleError('/talkChannelId', 'exists', 'Talk channels are not available in this installation');
      channelId = (await ctx.channels.assertChannel(tx, caller, input.talkChannelId, '/talkChannelId')).id;
    }
    await assertCampaignNameFree(tx, caller, input.name);
    const row: Partial<CampaignRow> & { created_by: string } = {
      id: newId('cmp'),
      ad_account_id: caller.adAccountId,
      name: input.name,
      type: input.type,
      message_type: messageType,
      talk_channel_id: channelId,
      created_by: caller.keyId,
    };
    await insertUnique(tx, 'campaigns', row, 'campaign', input.name);
    await ctx.audit.record(tx, caller, { action: 'create', resourceType: 'campaign', resourceId: row.id!, after: { name: row.name, type: row.type, messageType, talkChannelId: channelId } });
    return row.id!;
  });
  return getCampaign(ctx, caller, id);
}

export async function listCampaigns(ctx: CampaignContext, caller: Caller, filter: { type?: CampaignType } = {}): Promise<Campaign[]> {
  const q = ctx.db<CampaignRow>('campaigns').where({ ad_account_id: caller.adAccountId }).orderBy('id', 'desc');
  if (filter.type) q.where({ type: filter.type });
  return campaignDtos(ctx, await q);
}

export async function getCampaign(ctx: CampaignContext, caller: Caller, id: string): Promise<Campaign> {
  return (await campaignDtos(ctx, [await findCampaign(ctx.db, caller, id)]))[0];
}

export async function renameCampaign(ctx: CampaignContext, caller: Caller, id: string, input: { name: string }): Promise<Campaign> {
  await ctx.db.transaction(async (tx) => {
    const before = await findCampaign(tx, caller, id, true);
    if (before.name === input.name) return;
    await assertCampaignNameFree(tx, caller, input.name, id);
    await updateUnique(tx, 'campaigns', id, { name: input.name, updated_at: tx.fn.now() }, 'campaign', input.name);
    await ctx.audit.record(tx, caller, { action: 'update', resourceType: 'campaign', resourceId: id, before: { name: before.name }, after: { name: input.name } });
  });
  return getCampaign(ctx, caller, id);
}

export async function deleteCampaign(ctx: CampaignContext, caller: Caller, id: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const row = await findCampaign(tx, caller, id, true);
    const adGroups = await tx<AdGroupRow>('ad_groups').where({ ad_account_id: caller.adAccountId, campaign_id: id }).select('id', 'name');
    const messages = await tx<MessageRow>('messages')
      .where({ ad_account_id: caller.adAccountId })
      .whereIn('ad_group_id', adGroups.map((g) => g.id))
      .select('id', 'name');
    await runBeforeDelete(ctx, tx, caller, { campaigns: [{ id, name: row.name }], adGroups, messages });
    await deleteRow(tx, 'campaigns', id, 'campaign');
    await ctx.audit.record(tx, caller, {
      action: 'delete',
      resourceType: 'campaign',
      resourceId: id,
      before: { name: row.name, type: row.type, messageType: row.message_type, talkChannelId: row.talk_channel_id, adGroups: adGroups.map((g) => g.id) },
    });
  });
}

/** The campaigns sending through a talk channel: such a channel cannot be deleted. */
export async function channelUsage(q: Queryable, caller: Caller, channelId: string): Promise<{ type: string; id: string; name: string }[]> {
  return (await q<CampaignRow>('campaigns').where({ ad_account_id: caller.adAccountId, talk_channel_id: channelId }).orderBy('id')).map((c) => ({
    type: 'campaign',
    id: c.id,
    name: c.name,
  }));
}

async function campaignDtos(ctx: CampaignContext, rows: CampaignRow[]): Promise<Campaign[]> {
  const counts = new Map<string, number>();
  if (rows.length) {
    const found: { campaign_id: string; n: string }[] = (
      await ctx.db.raw(`select campaign_id, count(*)::bigint as n from ad_groups where campaign_id = any(?::text[]) group by campaign_id`, [rows.map((c) => c.id)])
    ).rows;
    for (const r of found) counts.set(r.campaign_id, Number(r.n));
  }
  return rows.map((c) => ({
    id: c.id,
    name: c.name,
    type: c.type,
    messageType: c.message_type,
    talkChannelId: c.talk_channel_id,
    adGroupCount: counts.get(c.id) ?? 0,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
  }));
}
