/**
 * Campaigns (캠페인) of Kakao Moment as far as first-party targeting needs them: display and message
 * campaigns, their ad groups (광고그룹) and messages, the ad reactions (광고반응) recorded against them,
 * and each ad group's targeting (맞춤타겟: targets included and excluded) with its estimated reach.
 *
 * - A campaign's type, message type and talk channel are fixed at creation (as in Kakao Moment,
 *   where a campaign's goal cannot change); only names change. Names are unique per ad account
 *   (campaigns), per campaign (ad groups) and per ad group (messages).
 * - Deleting a campaign deletes its ad groups, messages, targeting and reactions; deleting anything
 *   that is a source of an ad-response target is refused (409 naming the targets, `beforeDelete`).
 * - Reactions: display ad groups record PLAY / CLICK / CONVERSION, messages OPEN / CLICK. Every
 *   play is stored with its length and a `qualified` flag (≥ 3 s or ≥ 25 % of the video); only
 *   qualified plays ever count as 재생. A request is all-or-nothing: one bad line refuses all.
 * - Targeting: at most TARGETING_SIDE_LIMIT targets included and as many excluded; friend groups
 *   only in ad groups of direct-message campaigns (다이렉트 메시지 > 친구 전체/그룹) on the group's
 *   own channel. Reach = (base ∩ any included) − any excluded, where the base is the whole universe
 *   for display campaigns and the channel's friends for message campaigns (they only reach friends).
 */
import type { Readable } from 'node:stream';
import type { AuditService } from '../audit/service';
import type { Clock } from '../core/clock';
import type { Db, Queryable, Tx } from '../core/db';
import type { Caller } from '../core/types';
import type { PopulationService } from '../populations/service';
import type { TargetService, TargetUser } from '../targets/service';
import type { SqlFragment, UniverseService } from '../universe/service';
import * as adGroups from './ad-groups';
import * as campaigns from './campaigns';
import * as messages from './messages';
import { reach } from './reach';
import * as reactions from './reactions';
import { targetUsage } from './targeting';
import type {
  AdGroup,
  BeforeDeleteHook,
  Campaign,
  CampaignContext,
  CampaignInput,
  CampaignType,
  ChannelDirectory,
  Message,
  Reach,
  ReactionHook,
  ReactionResult,
  ReactionSource,
  ReactionType,
  TargetingInput,
} from './types';

export {
  CAMPAIGN_REACTIONS,
  CAMPAIGN_TYPES,
  MESSAGE_TYPES,
  REACTION_LABELS,
  REACTION_TYPES,
  type AdGroup,
  type BeforeDeleteHook,
  type Campaign,
  type CampaignInput,
  type CampaignRef,
  type CampaignType,
  type ChannelDirectory,
  type DeletedRefs,
  type Message,
  type MessageType,
  type Named,
  type Reach,
  type ReactionResult,
  type ReactionSource,
  type ReactionType,
  type TargetingInput,
} from './types';
export { MAX_REACTION_LINE_BYTES, MAX_REACTION_LINES } from './reaction-body';
export { QUALIFYING_PLAY } from './reactions';
export { FRIEND_GROUP_CHANNEL_KEY, TARGETING_SIDE_LIMIT } from './targeting';

/**
 * The module's public entry. Each part lives beside it: campaigns.ts, ad-groups.ts (with
 * targeting.ts and reach.ts), messages.ts, reactions.ts (reading bodies: reaction-body.ts).
 */
export class CampaignService {
  private readonly ctx: CampaignContext;

  constructor(db: Db, audit: AuditService, targets: TargetService, populations: PopulationService, universe: UniverseService, clock: Clock) {
    this.ctx = { db, audit, targets, populations, universe, clock, beforeDeleteHooks: [], reactionHooks: [] };
  }

  /** Talk channels come from the friend-groups module; message campaigns use them. */
  useChannels(channels: ChannelDirectory): void {
    this.ctx.channels = channels;
  }

  /** Message campaigns sending through the channel (a used channel cannot be deleted). */
  channelUsage(q: Queryable, caller: Caller, channelId: string): Promise<{ type: string; id: string; name: string }[]> {
    return campaigns.channelUsage(q, caller, channelId);
  }

  /** Called in the recording transaction with the ad groups / messages that got new reactions. */
  onReactions(hook: ReactionHook): void {
    this.ctx.reactionHooks.push(hook);
  }

  /** Called in the deleting transaction with everything the deletion takes with it. */
  beforeDelete(hook: BeforeDeleteHook): void {
    this.ctx.beforeDeleteHooks.push(hook);
  }

  // ---- campaigns (campaigns.ts) ------------------------------------------------------------------

  createCampaign(caller: Caller, input: CampaignInput): Promise<Campaign> {
    return campaigns.createCampaign(this.ctx, caller, input);
  }

  listCampaigns(caller: Caller, filter: { type?: CampaignType } = {}): Promise<Campaign[]> {
    return campaigns.listCampaigns(this.ctx, caller, filter);
  }

  getCampaign(caller: Caller, id: string): Promise<Campaign> {
    return campaigns.getCampaign(this.ctx, caller, id);
  }

  renameCampaign(caller: Caller, id: string, input: { name: string }): Promise<Campaign> {
    return campaigns.renameCampaign(this.ctx, caller, id, input);
  }

  deleteCampaign(caller: Caller, id: string): Promise<void> {
    return campaigns.deleteCampaign(this.ctx, caller, id);
  }

  // ---- ad groups and their targeting (ad-groups.ts, targeting.ts, reach.ts) ---------------------

  createAdGroup(caller: Caller, input: { campaignId: string; name: string; targeting?: TargetingInput }): Promise<AdGroup> {
    return adGroups.createAdGroup(this.ctx, caller, input);
  }

  listAdGroups(caller: Caller, filter: { campaignId?: string } = {}): Promise<AdGroup[]> {
    return adGroups.listAdGroups(this.ctx, caller, filter);
  }

  getAdGroup(caller: Caller, id: string): Promise<AdGroup> {
    return adGroups.getAdGroup(this.ctx, caller, id);
  }

  renameAdGroup(caller: Caller, id: string, input: { name: string }): Promise<AdGroup> {
    return adGroups.renameAdGroup(this.ctx, caller, id, input);
  }

  deleteAdGroup(caller: Caller, id: string): Promise<void> {
    return adGroups.deleteAdGroup(this.ctx, caller, id);
  }

  setTargeting(caller: Caller, id: string, input: TargetingInput): Promise<AdGroup> {
    return adGroups.setTargeting(this.ctx, caller, id, input);
  }

  reach(caller: Caller, id: string, proposal: TargetingInput = {}): Promise<Reach> {
    return reach(this.ctx, caller, id, proposal);
  }

  targetUsage(q: Queryable, caller: Caller, targetIds: readonly string[]): Promise<Map<string, TargetUser[]>> {
    return targetUsage(q, caller, targetIds);
  }

  // ---- messages (messages.ts) --------------------------------------------------------------------

  createMessage(caller: Caller, input: { adGroupId: string; name: string }): Promise<Message> {
    return messages.createMessage(this.ctx, caller, input);
  }

  listMessages(caller: Caller, filter: { adGroupId?: string } = {}): Promise<Message[]> {
    return messages.listMessages(this.ctx, caller, filter);
  }

  getMessage(caller: Caller, id: string): Promise<Message> {
    return messages.getMessage(this.ctx, caller, id);
  }

  renameMessage(caller: Caller, id: string, input: { name: string }): Promise<Message> {
    return messages.renameMessage(this.ctx, caller, id, input);
  }

  deleteMessage(caller: Caller, id: string): Promise<void> {
    return messages.deleteMessage(this.ctx, caller, id);
  }

  // ---- reactions (reactions.ts) ------------------------------------------------------------------

  recordReactions(caller: Caller, contentType: string | undefined, body: Readable): Promise<ReactionResult> {
    return reactions.recordReactions(this.ctx, caller, contentType, body);
  }

  reactionPeople(adAccountId: string, sel: { sourceIds: readonly string[]; types: readonly ReactionType[]; from: Date; to: Date }): SqlFragment {
    return reactions.reactionPeople(this.ctx, adAccountId, sel);
  }

  reactionFeatureRecords(adAccountId: string, from: Date): SqlFragment {
    return reactions.reactionFeatureRecords(adAccountId, from);
  }

  replayReactions(tx: Tx, caller: Caller): Promise<void> {
    return reactions.replayReactions(this.ctx, tx, caller);
  }

  reactionSources(q: Queryable, caller: Caller, ids: readonly string[]): Promise<Map<string, ReactionSource>> {
    return reactions.reactionSources(q, caller, ids);
  }
}
