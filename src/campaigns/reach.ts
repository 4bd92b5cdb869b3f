/** Estimated reach (추정 도달수) of an ad group's targeting, counted over the universe. */
import { Conflict } from '../core/errors';
import type { Caller } from '../core/types';
import type { TargetRow } from '../targets/service';
import type { SqlFragment } from '../universe/service';
import { findAdGroup, findCampaign } from './rows';
import { resolveTargeting, targetingRows } from './targeting';
import type { CampaignContext, Reach, TargetingInput } from './types';

/**
 * Estimated reach (추정 도달수) of the ad group's saved targeting, or of a proposed one given in
 * `proposal` (checked the same way as when saving it). Counted now over the universe.
 */
export async function reach(ctx: CampaignContext, caller: Caller, id: string, proposal: TargetingInput = {}): Promise<Reach> {
  const adGroup = await findAdGroup(ctx.db, caller, id);
  const campaign = await findCampaign(ctx.db, caller, adGroup.campaign_id);
  let input: TargetingInput = proposal;
  if (proposal.include === undefined && proposal.exclude === undefined) {
    const saved = await targetingRows(ctx.db, [id]);
    input = {
      include: saved.filter((r) => r.role === 'include').map((r) => r.target_id),
      exclude: saved.filter((r) => r.role === 'exclude').map((r) => r.target_id),
    };
  }
  const resolved = await resolveTargeting(ctx, ctx.db, caller, campaign, input, '');
  const a = caller.adAccountId;
  const union = async (rows: TargetRow[]): Promise<SqlFragment | null> => {
    if (rows.length === 0) return null;
    const parts = await Promise.all(rows.map((r) => ctx.targets.peopleOf(ctx.db, caller, r)));
    return { sql: parts.map((p) => `(${p.sql})`).join(' union '), bindings: parts.flatMap((p) => p.bindings) };
  };
  const included = await union(resolved.include);
  const excluded = await union(resolved.exclude);
  let base: SqlFragment;
  if (campaign.type === 'MESSAGE') {
    if (!ctx.channels) throw new Conflict('Talk channels are not available in this installation');
    base = ctx.channels.channelFriendsPeople(a, campaign.talk_channel_id!);
  } else {
    base = ctx.universe.allPeople(a);
  }
  // Display: every target's people are universe people, so the includes are the base themselves.
  let reached: SqlFragment = included ? (campaign.type === 'MESSAGE' ? setOp('intersect', base, included) : included) : base;
  if (excluded) reached = setOp('except', reached, excluded);
  await ctx.universe.linkPending(a);
  const count = (f: SqlFragment) => ctx.populations.countPeople(ctx.db, a, f, false);
  const bases = await ctx.targets.bases(ctx.db, [...resolved.include, ...resolved.exclude]);
  return {
    adGroupId: id,
    base: { kind: campaign.type === 'MESSAGE' ? 'channel_friends' : 'universe', talkChannelId: campaign.talk_channel_id, people: await count(base) },
    included: included ? await count(included) : null,
    excluded: excluded ? await count(excluded) : null,
    reach: await count(reached),
    targets: bases.map((t, i) => ({ role: i < resolved.include.length ? 'include' : 'exclude', target: t })),
    estimatedAt: ctx.clock.now().toISOString(),
  };
}

function setOp(op: 'intersect' | 'except' | 'union', a: SqlFragment, b: SqlFragment): SqlFragment {
  return { sql: `select person_id from ((${a.sql}) ${op} (${b.sql})) s`, bindings: [...a.bindings, ...b.bindings] };
}
