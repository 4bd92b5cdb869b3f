/** Checking and storing an ad group's targeting (맞춤타겟), and which ad groups use a target. */
import type { Queryable, Tx } from '../core/db';
import { ruleError } from '../core/errors';
import type { Caller } from '../core/types';
import type { TargetRow, TargetUser } from '../targets/service';
import type { CampaignContext, CampaignRow, TargetingInput, TargetingRow } from './types';

/** Targets included, and targets excluded, per ad group. */
export const TARGETING_SIDE_LIMIT = 10;
/** The key under which a friend-group target keeps its talk channel in `targets.settings`. */
export const FRIEND_GROUP_CHANNEL_KEY = 'channelId';

/** Target usage (사용 현황): the ad groups whose targeting includes or excludes each target. */
export async function targetUsage(q: Queryable, caller: Caller, targetIds: readonly string[]): Promise<Map<string, TargetUser[]>> {
  const out = new Map<string, TargetUser[]>();
  if (targetIds.length === 0) return out;
  const rows: { target_id: string; role: string; ad_group_id: string; ad_group_name: string; campaign_id: string; campaign_name: string; campaign_type: string }[] = (
    await q.raw(
      `select t.target_id, t.role, g.id as ad_group_id, g.name as ad_group_name, c.id as campaign_id, c.name as campaign_name, c.type as campaign_type
       from ad_group_targeting t join ad_groups g on g.id = t.ad_group_id join campaigns c on c.id = g.campaign_id
       where t.ad_account_id = ? and t.target_id = any(?::text[])
       order by c.name, g.name`,
      [caller.adAccountId, [...targetIds]],
    )
  ).rows;
  for (const r of rows) {
    const list = out.get(r.target_id) ?? [];
    list.push({ type: 'ad_group', id: r.ad_group_id, name: r.ad_group_name, role: r.role, campaign: { id: r.campaign_id, name: r.campaign_name, type: r.campaign_type } });
    out.set(r.target_id, list);
  }
  return out;
}

export async function targetingRows(q: Queryable, adGroupIds: readonly string[]): Promise<TargetingRow[]> {
  if (adGroupIds.length === 0) return [];
  return q<TargetingRow>('ad_group_targeting').whereIn('ad_group_id', adGroupIds).orderBy(['ad_group_id', 'role', 'position']);
}

/**
 * Checks a targeting: sizes, no target on both sides, every target usable (resolveForTargeting:
 * not preparing 준비중 or failed, of this account), friend groups only where they belong.
 */
export async function resolveTargeting(ctx: CampaignContext, q: Queryable, caller: Caller, campaign: CampaignRow, input: TargetingInput, pointer: string): Promise<{ include: TargetRow[]; exclude: TargetRow[] }> {
  const include = input.include ?? [];
  const exclude = input.exclude ?? [];
  for (const [side, ids] of [['include', include], ['exclude', exclude]] as const) {
    if (ids.length > TARGETING_SIDE_LIMIT) {
      throw ruleError(`${pointer}/${side}`, 'max-items', `An ad group can ${side} at most ${TARGETING_SIDE_LIMIT} targets; remove ${ids.length - TARGETING_SIDE_LIMIT}`, 422, { limit: TARGETING_SIDE_LIMIT });
    }
  }
  const both = exclude.findIndex((id) => include.includes(id));
  if (both >= 0) throw ruleError(`${pointer}/exclude/${both}`, 'conflict', `Target ${exclude[both]} cannot be both included and excluded; keep it on one side`);
  const resolved = {
    include: await ctx.targets.resolveForTargeting(q, caller, include, `${pointer}/include`),
    exclude: await ctx.targets.resolveForTargeting(q, caller, exclude, `${pointer}/exclude`),
  };
  for (const side of ['include', 'exclude'] as const) {
    resolved[side].forEach((t, i) => {
      if (t.kind !== 'friend_group') return;
      const at = `${pointer}/${side}/${i}`;
      if (campaign.type !== 'MESSAGE' || campaign.message_type !== 'DIRECT_FRIENDS') {
        throw ruleError(
          at,
          'friend-group',
          `Friend group "${t.name}" (친구그룹) can only target direct messages sent to channel friends (다이렉트 메시지 > 친구 전체/그룹에게 발송하기); campaign "${campaign.name}" is a ${campaign.type === 'MESSAGE' ? 'channel message' : 'display'} campaign`,
        );
      }
      if (t.settings[FRIEND_GROUP_CHANNEL_KEY] !== campaign.talk_channel_id) {
        throw ruleError(at, 'friend-group-channel', `Friend group "${t.name}" belongs to another talk channel than campaign "${campaign.name}"; choose a friend group of the campaign's channel`);
      }
    });
  }
  return resolved;
}

export async function writeTargeting(tx: Tx, caller: Caller, adGroupId: string, resolved: { include: TargetRow[]; exclude: TargetRow[] }): Promise<void> {
  const rows = [
    ...resolved.include.map((t, i) => ({ ad_group_id: adGroupId, target_id: t.id, ad_account_id: caller.adAccountId, role: 'include', position: i })),
    ...resolved.exclude.map((t, i) => ({ ad_group_id: adGroupId, target_id: t.id, ad_account_id: caller.adAccountId, role: 'exclude', position: i })),
  ];
  if (rows.length) await tx('ad_group_targeting').insert(rows);
}

export function idsOf(resolved: { include: TargetRow[]; exclude: TargetRow[] }): { include: string[]; exclude: string[] } {
  return { include: resolved.include.map((t) => t.id), exclude: resolved.exclude.map((t) => t.id) };
}
