/** Ad groups (광고그룹) of a campaign, each with its targeting (targeting.ts checks and stores it). */
import { ruleError } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import { assertAdGroupNameFree, deleteRow, findAdGroup, findCampaign, insertUnique, runBeforeDelete, updateUnique } from './rows';
import { idsOf, resolveTargeting, targetingRows, writeTargeting } from './targeting';
import type { AdGroup, AdGroupRow, CampaignContext, CampaignRef, CampaignRow, MessageRow, TargetingInput } from './types';

export async function createAdGroup(ctx: CampaignContext, caller: Caller, input: { campaignId: string; name: string; targeting?: TargetingInput }): Promise<AdGroup> {
  const id = await ctx.db.transaction(async (tx) => {
    const campaign = await tx<CampaignRow>('campaigns').where({ id: input.campaignId, ad_account_id: caller.adAccountId }).forShare().first();
    if (!campaign) throw ruleError('/campaignId', 'exists', `Campaign ${input.campaignId} not found in this ad account`);
    const resolved = input.targeting ? await resolveTargeting(ctx, tx, caller, campaign, input.targeting, '/targeting') : null;
    await assertAdGroupNameFree(tx, campaign.id, input.name);
    const row = { id: newId('adg'), ad_account_id: caller.adAccountId, campaign_id: campaign.id, name: input.name, created_by: caller.keyId };
    await insertUnique(tx, 'ad_groups', row, 'ad group', input.name);
    if (resolved) await writeTargeting(tx, caller, row.id, resolved);
    await ctx.audit.record(tx, caller, {
      action: 'create',
      resourceType: 'ad_group',
      resourceId: row.id,
      after: { name: row.name, campaignId: campaign.id, targeting: resolved ? idsOf(resolved) : undefined },
    });
    return row.id;
  });
  return getAdGroup(ctx, caller, id);
}

export async function listAdGroups(ctx: CampaignContext, caller: Caller, filter: { campaignId?: string } = {}): Promise<AdGroup[]> {
  if (filter.campaignId) await findCampaign(ctx.db, caller, filter.campaignId);
  const q = ctx.db<AdGroupRow>('ad_groups').where({ ad_account_id: caller.adAccountId }).orderBy('id', 'desc');
  if (filter.campaignId) q.where({ campaign_id: filter.campaignId });
  return adGroupDtos(ctx, caller, await q);
}

export async function getAdGroup(ctx: CampaignContext, caller: Caller, id: string): Promise<AdGroup> {
  return (await adGroupDtos(ctx, caller, [await findAdGroup(ctx.db, caller, id)]))[0];
}

export async function renameAdGroup(ctx: CampaignContext, caller: Caller, id: string, input: { name: string }): Promise<AdGroup> {
  await ctx.db.transaction(async (tx) => {
    const before = await findAdGroup(tx, caller, id, true);
    if (before.name === input.name) return;
    await assertAdGroupNameFree(tx, before.campaign_id, input.name, id);
    await updateUnique(tx, 'ad_groups', id, { name: input.name, updated_at: tx.fn.now() }, 'ad group', input.name);
    await ctx.audit.record(tx, caller, { action: 'update', resourceType: 'ad_group', resourceId: id, before: { name: before.name }, after: { name: input.name } });
  });
  return getAdGroup(ctx, caller, id);
}

export async function deleteAdGroup(ctx: CampaignContext, caller: Caller, id: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const row = await findAdGroup(tx, caller, id, true);
    const messages = await tx<MessageRow>('messages').where({ ad_account_id: caller.adAccountId, ad_group_id: id }).select('id', 'name');
    await runBeforeDelete(ctx, tx, caller, { campaigns: [], adGroups: [{ id, name: row.name }], messages });
    await deleteRow(tx, 'ad_groups', id, 'ad group');
    await ctx.audit.record(tx, caller, { action: 'delete', resourceType: 'ad_group', resourceId: id, before: { name: row.name, campaignId: row.campaign_id } });
  });
}

/** Replaces the ad group's targeting (맞춤타겟) with the given include / exclude lists. */
export async function setTargeting(ctx: CampaignContext, caller: Caller, id: string, input: TargetingInput): Promise<AdGroup> {
  await ctx.db.transaction(async (tx) => {
    const adGroup = await findAdGroup(tx, caller, id, true);
    const campaign = await findCampaign(tx, caller, adGroup.campaign_id);
    const before = await targetingRows(tx, [id]);
    const resolved = await resolveTargeting(ctx, tx, caller, campaign, input, '');
    await tx('ad_group_targeting').where({ ad_group_id: id }).delete();
    await writeTargeting(tx, caller, id, resolved);
    await tx('ad_groups').where({ id }).update({ updated_at: tx.fn.now() });
    await ctx.audit.record(tx, caller, {
      action: 'update',
      resourceType: 'ad_group',
      resourceId: id,
      before: {
        targeting: {
          include: before.filter((r) => r.role === 'include').map((r) => r.target_id),
          exclude: before.filter((r) => r.role === 'exclude').map((r) => r.target_id),
        },
      },
      after: { targeting: idsOf(resolved) },
    });
  });
  return getAdGroup(ctx, caller, id);
}

async function adGroupDtos(ctx: CampaignContext, caller: Caller, rows: AdGroupRow[]): Promise<AdGroup[]> {
  if (rows.length === 0) return [];
  const campaigns = new Map<string, CampaignRow>();
  for (const c of await ctx.db<CampaignRow>('campaigns').whereIn('id', [...new Set(rows.map((r) => r.campaign_id))])) campaigns.set(c.id, c);
  const targeting = await targetingRows(ctx.db, rows.map((r) => r.id));
  const targetIds = [...new Set(targeting.map((t) => t.target_id))];
  const targetRows = targetIds.length ? (await ctx.targets.list(ctx.db, caller)).filter((t) => targetIds.includes(t.id)) : [];
  const bases = new Map((await ctx.targets.bases(ctx.db, targetRows)).map((b) => [b.id, b]));
  return rows.map((g) => {
    const mine = targeting.filter((t) => t.ad_group_id === g.id);
    const side = (role: string) => mine.filter((t) => t.role === role && bases.has(t.target_id)).map((t) => bases.get(t.target_id)!);
    return {
      id: g.id,
      name: g.name,
      campaignId: g.campaign_id,
      campaign: campaignRef(campaigns.get(g.campaign_id)!),
      targeting: { include: side('include'), exclude: side('exclude') },
      createdAt: g.created_at.toISOString(),
      updatedAt: g.updated_at.toISOString(),
    };
  });
}

function campaignRef(c: CampaignRow): CampaignRef {
  return { id: c.id, name: c.name, type: c.type, messageType: c.message_type };
}
