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
import { Transform } from 'node:stream';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import type { AuditService } from '../audit/service';
import type { Clock } from '../core/clock';
import type { Db, Queryable, Tx } from '../core/db';
import { Conflict, Duplicate, FieldError, InvalidRequest, isCdpError, NotFound, PayloadTooLarge, ruleError, UnprocessableRequest } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import { escapePointer, requestSchemas } from '../core/validation';
import { streamSlots } from '../core/slots';
import { normalizeAppUserId, normalizeDeviceId } from '../namespaces/identity';
import type { PopulationService } from '../populations/service';
import type { TargetBase, TargetRow, TargetService, TargetUser } from '../targets/service';
import { node } from '../universe/nodes';
import type { SqlFragment, UniverseService } from '../universe/service';

export const CAMPAIGN_TYPES = ['DISPLAY', 'MESSAGE'] as const;
export type CampaignType = (typeof CAMPAIGN_TYPES)[number];
export const MESSAGE_TYPES = ['CHANNEL_MESSAGE', 'DIRECT_FRIENDS'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
export const REACTION_TYPES = ['PLAY', 'CLICK', 'CONVERSION', 'OPEN'] as const;
export type ReactionType = (typeof REACTION_TYPES)[number];

/** The reactions each campaign type records (the seed's 데이터 가이드 ⑦). */
export const CAMPAIGN_REACTIONS: Record<CampaignType, readonly ReactionType[]> = {
  DISPLAY: ['PLAY', 'CLICK', 'CONVERSION'],
  MESSAGE: ['OPEN', 'CLICK'],
};
export const REACTION_LABELS: Record<ReactionType, string> = { PLAY: '재생', CLICK: '클릭', CONVERSION: '전환', OPEN: '열람' };

/** A play counts as 재생 from this length on (either one is enough). */
export const QUALIFYING_PLAY = { seconds: 3, percent: 25 } as const;
/** Targets included, and targets excluded, per ad group. */
export const TARGETING_SIDE_LIMIT = 10;
/** Reactions per request (JSON lines). */
export const MAX_REACTION_LINES = 100_000;
/** One reaction is a few hundred bytes; a line this long is not one. */
export const MAX_REACTION_LINE_BYTES = 64 * 1024;
/** Reaction times may run this far ahead of our clock (device clocks drift). */
const FUTURE_TOLERANCE_MS = 5 * 60_000;
const MAX_LISTED_ERRORS = 100;
const CHUNK_LINES = 5000;
const MAX_JSON_BYTES = 64 * 1024;
/** The key under which a friend-group target keeps its talk channel in `targets.settings`. */
export const FRIEND_GROUP_CHANNEL_KEY = 'channelId';

/** What this module needs of talk channels (the friend-groups module provides it). */
export interface ChannelDirectory {
  assertChannel(q: Queryable, caller: Caller, channelId: string, pointer: string): Promise<{ id: string; name: string }>;
  channelFriendsPeople(adAccountId: string, channelId: string): SqlFragment;
  useChannelUsage(provider: (q: Queryable, caller: Caller, channelId: string) => Promise<{ type: string; id: string; name: string }[]>): void;
}

export interface Named {
  id: string;
  name: string;
}

/** Everything a deletion takes with it; ad-response targets refuse when one of them is a source. */
export interface DeletedRefs {
  campaigns: Named[];
  adGroups: Named[];
  messages: Named[];
}
export type BeforeDeleteHook = (tx: Tx, caller: Caller, refs: DeletedRefs) => Promise<void>;

export interface CampaignInput {
  name: string;
  type: CampaignType;
  messageType?: MessageType;
  talkChannelId?: string;
}

export interface TargetingInput {
  include?: string[];
  exclude?: string[];
}

export interface Campaign {
  id: string;
  name: string;
  type: CampaignType;
  messageType: MessageType | null;
  talkChannelId: string | null;
  adGroupCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface CampaignRef {
  id: string;
  name: string;
  type: CampaignType;
  messageType: MessageType | null;
}

export interface AdGroup {
  id: string;
  name: string;
  campaignId: string;
  campaign: CampaignRef;
  targeting: { include: TargetBase[]; exclude: TargetBase[] };
  createdAt: string;
  updatedAt: string;
}

export interface Message {
  id: string;
  name: string;
  adGroupId: string;
  adGroup: Named;
  campaign: CampaignRef;
  createdAt: string;
  updatedAt: string;
}

/** An ad group (display) or message (message campaigns) that reactions are recorded against. */
export interface ReactionSource {
  id: string;
  kind: 'ad_group' | 'message';
  name: string;
  adGroup: Named | null;
  campaign: CampaignRef;
}

export interface Reach {
  adGroupId: string;
  /** Who the ad group could reach without targeting: the universe, or the channel's friends. */
  base: { kind: 'universe' | 'channel_friends'; talkChannelId: string | null; people: number };
  /** People in any included target (null without includes). */
  included: number | null;
  /** People in any excluded target (null without excludes). */
  excluded: number | null;
  reach: number;
  targets: { role: 'include' | 'exclude'; target: TargetBase }[];
  estimatedAt: string;
}

interface CampaignRow {
  id: string;
  ad_account_id: string;
  name: string;
  type: CampaignType;
  message_type: MessageType | null;
  talk_channel_id: string | null;
  created_at: Date;
  updated_at: Date;
}

interface AdGroupRow {
  id: string;
  ad_account_id: string;
  campaign_id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

interface MessageRow {
  id: string;
  ad_account_id: string;
  ad_group_id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

interface TargetingRow {
  ad_group_id: string;
  target_id: string;
  role: 'include' | 'exclude';
  position: number;
}

/** One reaction as stored (camelCase → columns in insertReactions). */
interface ReactionRecord {
  ad_group_id: string;
  message_id: string | null;
  source_id: string;
  type: ReactionType;
  adid: string | null;
  app_user_id: string | null;
  nodes: string[];
  occurred_at: string;
  play_seconds: number | null;
  play_percent: number | null;
  qualified: boolean;
}

interface ReactionLine {
  line: number;
  /** JSON Pointer prefix of this reaction in the request (`/<line-1>`, or '' for one JSON body). */
  prefix: string;
  value?: Record<string, unknown>;
  errors: FieldError[];
}

export interface ReactionResult {
  accepted: number;
  /** Plays stored but shorter than 3 s and 25 %: they never count as 재생. */
  notQualifyingPlays: number;
}

function campaignRef(c: CampaignRow): CampaignRef {
  return { id: c.id, name: c.name, type: c.type, messageType: c.message_type };
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23505';
}

export class CampaignService {
  private channels?: ChannelDirectory;
  private readonly beforeDeleteHooks: BeforeDeleteHook[] = [];
  private readonly reactionHooks: ((tx: Tx, adAccountId: string, sourceIds: string[]) => Promise<void>)[] = [];

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly targets: TargetService,
    private readonly populations: PopulationService,
    private readonly universe: UniverseService,
    private readonly clock: Clock,
  ) {}

  /** Talk channels come from the friend-groups module; message campaigns use them. */
  useChannels(channels: ChannelDirectory): void {
    this.channels = channels;
    // A channel that message campaigns send through cannot be deleted.
    channels.useChannelUsage(async (q, caller, channelId) =>
      (await q<CampaignRow>('campaigns').where({ ad_account_id: caller.adAccountId, talk_channel_id: channelId }).orderBy('id')).map((c) => ({
        type: 'campaign',
        id: c.id,
        name: c.name,
      })),
    );
  }

  /** Called in the recording transaction with the ad groups / messages that got new reactions. */
  onReactions(hook: (tx: Tx, adAccountId: string, sourceIds: string[]) => Promise<void>): void {
    this.reactionHooks.push(hook);
  }

  /** Called in the deleting transaction with everything the deletion takes with it. */
  beforeDelete(hook: BeforeDeleteHook): void {
    this.beforeDeleteHooks.push(hook);
  }

  // ---- campaigns -------------------------------------------------------------------------------

  async createCampaign(caller: Caller, input: CampaignInput): Promise<Campaign> {
    const id = await this.db.transaction(async (tx) => {
      let messageType: MessageType | null = null;
      let channelId: string | null = null;
      if (input.type === 'DISPLAY') {
        if (input.messageType) throw ruleError('/messageType', 'message-only', 'Only message campaigns have a message type; leave it out for a display campaign');
        if (input.talkChannelId) throw ruleError('/talkChannelId', 'message-only', 'Only message campaigns send through a talk channel; leave it out for a display campaign');
      } else {
        messageType = input.messageType ?? 'CHANNEL_MESSAGE';
        if (!input.talkChannelId) throw ruleError('/talkChannelId', 'required', 'A message campaign sends through a talk channel: give talkChannelId');
        if (!this.channels) throw ruleError('/talkChannelId', 'exists', 'Talk channels are not available in this installation');
        channelId = (await this.channels.assertChannel(tx, caller, input.talkChannelId, '/talkChannelId')).id;
      }
      await this.assertCampaignNameFree(tx, caller, input.name);
      const row: Partial<CampaignRow> & { created_by: string } = {
        id: newId('cmp'),
        ad_account_id: caller.adAccountId,
        name: input.name,
        type: input.type,
        message_type: messageType,
        talk_channel_id: channelId,
        created_by: caller.keyId,
      };
      await this.insertUnique(tx, 'campaigns', row, 'campaign', input.name);
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'campaign', resourceId: row.id!, after: { name: row.name, type: row.type, messageType, talkChannelId: channelId } });
      return row.id!;
    });
    return this.getCampaign(caller, id);
  }

  async listCampaigns(caller: Caller, filter: { type?: CampaignType } = {}): Promise<Campaign[]> {
    const q = this.db<CampaignRow>('campaigns').where({ ad_account_id: caller.adAccountId }).orderBy('id', 'desc');
    if (filter.type) q.where({ type: filter.type });
    return this.campaignDtos(await q);
  }

  async getCampaign(caller: Caller, id: string): Promise<Campaign> {
    return (await this.campaignDtos([await this.findCampaign(this.db, caller, id)]))[0];
  }

  async renameCampaign(caller: Caller, id: string, input: { name: string }): Promise<Campaign> {
    await this.db.transaction(async (tx) => {
      const before = await this.findCampaign(tx, caller, id, true);
      if (before.name === input.name) return;
      await this.assertCampaignNameFree(tx, caller, input.name, id);
      await this.updateUnique(tx, 'campaigns', id, { name: input.name, updated_at: tx.fn.now() }, 'campaign', input.name);
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'campaign', resourceId: id, before: { name: before.name }, after: { name: input.name } });
    });
    return this.getCampaign(caller, id);
  }

  async deleteCampaign(caller: Caller, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.findCampaign(tx, caller, id, true);
      const adGroups = await tx<AdGroupRow>('ad_groups').where({ ad_account_id: caller.adAccountId, campaign_id: id }).select('id', 'name');
      const messages = await tx<MessageRow>('messages')
        .where({ ad_account_id: caller.adAccountId })
        .whereIn('ad_group_id', adGroups.map((g) => g.id))
        .select('id', 'name');
      await this.runBeforeDelete(tx, caller, { campaigns: [{ id, name: row.name }], adGroups, messages });
      await this.deleteRow(tx, 'campaigns', id, 'campaign');
      await this.audit.record(tx, caller, {
        action: 'delete',
        resourceType: 'campaign',
        resourceId: id,
        before: { name: row.name, type: row.type, messageType: row.message_type, talkChannelId: row.talk_channel_id, adGroups: adGroups.map((g) => g.id) },
      });
    });
  }

  // ---- ad groups -------------------------------------------------------------------------------

  async createAdGroup(caller: Caller, input: { campaignId: string; name: string; targeting?: TargetingInput }): Promise<AdGroup> {
    const id = await this.db.transaction(async (tx) => {
      const campaign = await tx<CampaignRow>('campaigns').where({ id: input.campaignId, ad_account_id: caller.adAccountId }).forShare().first();
      if (!campaign) throw ruleError('/campaignId', 'exists', `Campaign ${input.campaignId} not found in this ad account`);
      const resolved = input.targeting ? await this.resolveTargeting(tx, caller, campaign, input.targeting, '/targeting') : null;
      await this.assertAdGroupNameFree(tx, campaign.id, input.name);
      const row = { id: newId('adg'), ad_account_id: caller.adAccountId, campaign_id: campaign.id, name: input.name, created_by: caller.keyId };
      await this.insertUnique(tx, 'ad_groups', row, 'ad group', input.name);
      if (resolved) await this.writeTargeting(tx, caller, row.id, resolved);
      await this.audit.record(tx, caller, {
        action: 'create',
        resourceType: 'ad_group',
        resourceId: row.id,
        after: { name: row.name, campaignId: campaign.id, targeting: resolved ? idsOf(resolved) : undefined },
      });
      return row.id;
    });
    return this.getAdGroup(caller, id);
  }

  async listAdGroups(caller: Caller, filter: { campaignId?: string } = {}): Promise<AdGroup[]> {
    if (filter.campaignId) await this.findCampaign(this.db, caller, filter.campaignId);
    const q = this.db<AdGroupRow>('ad_groups').where({ ad_account_id: caller.adAccountId }).orderBy('id', 'desc');
    if (filter.campaignId) q.where({ campaign_id: filter.campaignId });
    return this.adGroupDtos(caller, await q);
  }

  async getAdGroup(caller: Caller, id: string): Promise<AdGroup> {
    return (await this.adGroupDtos(caller, [await this.findAdGroup(this.db, caller, id)]))[0];
  }

  async renameAdGroup(caller: Caller, id: string, input: { name: string }): Promise<AdGroup> {
    await this.db.transaction(async (tx) => {
      const before = await this.findAdGroup(tx, caller, id, true);
      if (before.name === input.name) return;
      await this.assertAdGroupNameFree(tx, before.campaign_id, input.name, id);
      await this.updateUnique(tx, 'ad_groups', id, { name: input.name, updated_at: tx.fn.now() }, 'ad group', input.name);
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'ad_group', resourceId: id, before: { name: before.name }, after: { name: input.name } });
    });
    return this.getAdGroup(caller, id);
  }

  async deleteAdGroup(caller: Caller, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.findAdGroup(tx, caller, id, true);
      const messages = await tx<MessageRow>('messages').where({ ad_account_id: caller.adAccountId, ad_group_id: id }).select('id', 'name');
      await this.runBeforeDelete(tx, caller, { campaigns: [], adGroups: [{ id, name: row.name }], messages });
      await this.deleteRow(tx, 'ad_groups', id, 'ad group');
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'ad_group', resourceId: id, before: { name: row.name, campaignId: row.campaign_id } });
    });
  }

  /** Replaces the ad group's targeting (맞춤타겟) with the given include / exclude lists. */
  async setTargeting(caller: Caller, id: string, input: TargetingInput): Promise<AdGroup> {
    await this.db.transaction(async (tx) => {
      const adGroup = await this.findAdGroup(tx, caller, id, true);
      const campaign = await this.findCampaign(tx, caller, adGroup.campaign_id);
      const before = await this.targetingRows(tx, [id]);
      const resolved = await this.resolveTargeting(tx, caller, campaign, input, '');
      await tx('ad_group_targeting').where({ ad_group_id: id }).delete();
      await this.writeTargeting(tx, caller, id, resolved);
      await tx('ad_groups').where({ id }).update({ updated_at: tx.fn.now() });
      await this.audit.record(tx, caller, {
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
    return this.getAdGroup(caller, id);
  }

  /**
   * Estimated reach (추정 도달수) of the ad group's saved targeting, or of a proposed one given in
   * `proposal` (checked the same way as when saving it). Counted now over the universe.
   */
  async reach(caller: Caller, id: string, proposal: TargetingInput = {}): Promise<Reach> {
    const adGroup = await this.findAdGroup(this.db, caller, id);
    const campaign = await this.findCampaign(this.db, caller, adGroup.campaign_id);
    let input: TargetingInput = proposal;
    if (proposal.include === undefined && proposal.exclude === undefined) {
      const saved = await this.targetingRows(this.db, [id]);
      input = {
        include: saved.filter((r) => r.role === 'include').map((r) => r.target_id),
        exclude: saved.filter((r) => r.role === 'exclude').map((r) => r.target_id),
      };
    }
    const resolved = await this.resolveTargeting(this.db, caller, campaign, input, '');
    const a = caller.adAccountId;
    const union = async (rows: TargetRow[]): Promise<SqlFragment | null> => {
      if (rows.length === 0) return null;
      const parts = await Promise.all(rows.map((r) => this.targets.peopleOf(this.db, caller, r)));
      return { sql: parts.map((p) => `(${p.sql})`).join(' union '), bindings: parts.flatMap((p) => p.bindings) };
    };
    const included = await union(resolved.include);
    const excluded = await union(resolved.exclude);
    let base: SqlFragment;
    if (campaign.type === 'MESSAGE') {
      if (!this.channels) throw new Conflict('Talk channels are not available in this installation');
      base = this.channels.channelFriendsPeople(a, campaign.talk_channel_id!);
    } else {
      base = this.universe.allPeople(a);
    }
    // Display: every target's people are universe people, so the includes are the base themselves.
    let reached: SqlFragment = included ? (campaign.type === 'MESSAGE' ? setOp('intersect', base, included) : included) : base;
    if (excluded) reached = setOp('except', reached, excluded);
    await this.universe.linkPending(a);
    const count = (f: SqlFragment) => this.populations.countPeople(this.db, a, f, false);
    const bases = await this.targets.bases(this.db, [...resolved.include, ...resolved.exclude]);
    return {
      adGroupId: id,
      base: { kind: campaign.type === 'MESSAGE' ? 'channel_friends' : 'universe', talkChannelId: campaign.talk_channel_id, people: await count(base) },
      included: included ? await count(included) : null,
      excluded: excluded ? await count(excluded) : null,
      reach: await count(reached),
      targets: bases.map((t, i) => ({ role: i < resolved.include.length ? 'include' : 'exclude', target: t })),
      estimatedAt: this.clock.now().toISOString(),
    };
  }

  /** Target usage (사용 현황): the ad groups whose targeting includes or excludes each target. */
  async targetUsage(q: Queryable, caller: Caller, targetIds: readonly string[]): Promise<Map<string, TargetUser[]>> {
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

  // ---- messages --------------------------------------------------------------------------------

  async createMessage(caller: Caller, input: { adGroupId: string; name: string }): Promise<Message> {
    const id = await this.db.transaction(async (tx) => {
      const adGroup = await tx<AdGroupRow>('ad_groups').where({ id: input.adGroupId, ad_account_id: caller.adAccountId }).forShare().first();
      if (!adGroup) throw ruleError('/adGroupId', 'exists', `Ad group ${input.adGroupId} not found in this ad account`);
      const campaign = await this.findCampaign(tx, caller, adGroup.campaign_id);
      if (campaign.type !== 'MESSAGE') {
        throw ruleError('/adGroupId', 'campaign-type', `Ad group "${adGroup.name}" belongs to display campaign "${campaign.name}"; messages belong to ad groups of message campaigns`);
      }
      await this.assertMessageNameFree(tx, adGroup.id, input.name);
      const row = { id: newId('msg'), ad_account_id: caller.adAccountId, ad_group_id: adGroup.id, name: input.name, created_by: caller.keyId };
      await this.insertUnique(tx, 'messages', row, 'message', input.name);
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'message', resourceId: row.id, after: { name: row.name, adGroupId: adGroup.id } });
      return row.id;
    });
    return this.getMessage(caller, id);
  }

  async listMessages(caller: Caller, filter: { adGroupId?: string } = {}): Promise<Message[]> {
    if (filter.adGroupId) await this.findAdGroup(this.db, caller, filter.adGroupId);
    const q = this.db<MessageRow>('messages').where({ ad_account_id: caller.adAccountId }).orderBy('id', 'desc');
    if (filter.adGroupId) q.where({ ad_group_id: filter.adGroupId });
    return this.messageDtos(caller, await q);
  }

  async getMessage(caller: Caller, id: string): Promise<Message> {
    return (await this.messageDtos(caller, [await this.findMessage(this.db, caller, id)]))[0];
  }

  async renameMessage(caller: Caller, id: string, input: { name: string }): Promise<Message> {
    await this.db.transaction(async (tx) => {
      const before = await this.findMessage(tx, caller, id, true);
      if (before.name === input.name) return;
      await this.assertMessageNameFree(tx, before.ad_group_id, input.name, id);
      await this.updateUnique(tx, 'messages', id, { name: input.name, updated_at: tx.fn.now() }, 'message', input.name);
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'message', resourceId: id, before: { name: before.name }, after: { name: input.name } });
    });
    return this.getMessage(caller, id);
  }

  async deleteMessage(caller: Caller, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.findMessage(tx, caller, id, true);
      await this.runBeforeDelete(tx, caller, { campaigns: [], adGroups: [], messages: [{ id, name: row.name }] });
      await this.deleteRow(tx, 'messages', id, 'message');
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'message', resourceId: id, before: { name: row.name, adGroupId: row.ad_group_id } });
    });
  }

  // ---- reactions -------------------------------------------------------------------------------

  /**
   * Records reactions: one JSON object (`application/json`) or JSON lines (`application/x-ndjson`,
   * at most MAX_REACTION_LINES). All or nothing: any invalid line refuses the request with 422
   * listing the first MAX_LISTED_ERRORS problems (pointer `/<line-1>/<field>`). Lines are written in
   * chunks inside one transaction while the body streams; each reaction's identity nodes join the
   * universe inbox in the same transaction.
   */
  async recordReactions(caller: Caller, contentType: string | undefined, body: Readable): Promise<ReactionResult> {
    const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
    const lines = type === 'application/json' ? this.singleReaction(body) : ['application/x-ndjson', 'application/jsonl', 'application/json-lines'].includes(type) ? this.reactionLines(body) : null;
    if (!lines) throw new InvalidRequest('Send one reaction as application/json, or many as JSON lines (application/x-ndjson)');
    // The transaction stays open while the body streams: share the streaming slots with uploads.
    const slots = streamSlots(this.db);
    await slots.acquire();
    try {
      return await this.db.transaction(async (tx) => {
        const errors: FieldError[] = [];
        const result: ReactionResult = { accepted: 0, notQualifyingPlays: 0 };
        const cache = new Map<string, ResolvedSource | null>();
        let chunk: ReactionLine[] = [];
        const flush = async () => {
          const records = await this.checkReactions(tx, caller, chunk, cache, errors);
          chunk = [];
          // After the first error nothing more is written (it is rolled back anyway); lines are still checked.
          if (errors.length === 0 && records.length > 0) {
            await this.insertReactions(tx, caller.adAccountId, records);
            result.accepted += records.length;
            result.notQualifyingPlays += records.filter((r) => r.type === 'PLAY' && !r.qualified).length;
          }
        };
        for await (const line of lines) {
          chunk.push(line);
          if (chunk.length >= CHUNK_LINES) await flush();
          if (errors.length >= MAX_LISTED_ERRORS) break;
        }
        if (chunk.length && errors.length < MAX_LISTED_ERRORS) await flush();
        if (errors.length > 0) {
          const listed = errors.slice(0, MAX_LISTED_ERRORS);
          throw new UnprocessableRequest(
            `${errors.length >= MAX_LISTED_ERRORS ? `At least ${MAX_LISTED_ERRORS}` : errors.length} problem(s) in the reactions; nothing was stored. First: ${listed[0].message}`,
            { errors: listed },
          );
        }
        if (result.accepted === 0) throw new InvalidRequest('The request holds no reaction');
        return result;
      });
    } catch (err) {
      if ((err as { code?: string })?.code === '23503') throw new Conflict('An ad group or message of these reactions was deleted meanwhile; nothing was stored, send them again');
      throw err;
    } finally {
      slots.release();
    }
  }

  /** SQL of the people (column person_id) with the given reactions on the given sources in [from, to]. */
  reactionPeople(adAccountId: string, sel: { sourceIds: readonly string[]; types: readonly ReactionType[]; from: Date; to: Date }): SqlFragment {
    return this.universe.peopleOfNodes(adAccountId, {
      sql: `select unnest(r.nodes) from reactions r
            where r.ad_account_id = ? and r.source_id = any(?::text[]) and r.type = any(?::text[])
              and (r.type <> 'PLAY' or r.qualified) and r.occurred_at >= ? and r.occurred_at <= ?`,
      bindings: [adAccountId, [...sel.sourceIds], [...sel.types], sel.from, sel.to],
    });
  }

  /**
   * Lookalike features: the account's counted reactions since `from` (plays only when qualifying),
   * as records `(record_key, nodes, feature 'reaction:<TYPE>', value 1)`.
   */
  reactionFeatureRecords(adAccountId: string, from: Date): SqlFragment {
    return {
      sql: `select r.id::text as record_key, r.nodes, 'reaction:' || r.type as feature, 1::float8 as value
            from reactions r where r.ad_account_id = ? and r.occurred_at >= ? and (r.type <> 'PLAY' or r.qualified)`,
      bindings: [adAccountId, from],
    };
  }

  /** Universe relink: every stored reaction appends its identity nodes again. */
  async replayReactions(tx: Tx, caller: Caller): Promise<void> {
    await this.universe.appendFromQuery(tx, caller.adAccountId, { sql: `select nodes from reactions where ad_account_id = ? order by id`, bindings: [caller.adAccountId] });
  }

  /** Ad groups and messages by id (those of other accounts are simply absent). */
  async reactionSources(q: Queryable, caller: Caller, ids: readonly string[]): Promise<Map<string, ReactionSource>> {
    const out = new Map<string, ReactionSource>();
    if (ids.length === 0) return out;
    const rows: {
      id: string; kind: 'ad_group' | 'message'; name: string; ad_group_id: string | null; ad_group_name: string | null;
      campaign_id: string; campaign_name: string; campaign_type: CampaignType; message_type: MessageType | null;
    }[] = (
      await q.raw(
        `select g.id, 'ad_group' as kind, g.name, null as ad_group_id, null as ad_group_name, c.id as campaign_id, c.name as campaign_name, c.type as campaign_type, c.message_type
         from ad_groups g join campaigns c on c.id = g.campaign_id where g.ad_account_id = ? and g.id = any(?::text[])
         union all
         select m.id, 'message', m.name, g.id, g.name, c.id, c.name, c.type, c.message_type
         from messages m join ad_groups g on g.id = m.ad_group_id join campaigns c on c.id = g.campaign_id where m.ad_account_id = ? and m.id = any(?::text[])`,
        [caller.adAccountId, [...ids], caller.adAccountId, [...ids]],
      )
    ).rows;
    for (const r of rows) {
      out.set(r.id, {
        id: r.id,
        kind: r.kind,
        name: r.name,
        adGroup: r.ad_group_id ? { id: r.ad_group_id, name: r.ad_group_name! } : null,
        campaign: { id: r.campaign_id, name: r.campaign_name, type: r.campaign_type, messageType: r.message_type },
      });
    }
    return out;
  }

  // ---- internals -------------------------------------------------------------------------------

  private async runBeforeDelete(tx: Tx, caller: Caller, refs: DeletedRefs): Promise<void> {
    for (const hook of this.beforeDeleteHooks) await hook(tx, caller, refs);
  }

  /** Deletes rows after the hooks agreed; a target made a source meanwhile still stops it (its foreign key). */
  private async deleteRow(tx: Tx, table: string, id: string, what: string): Promise<void> {
    try {
      await tx(table).where({ id }).delete();
    } catch (err) {
      if ((err as { code?: string })?.code === '23503') {
        throw new Conflict(`The ${what} just became a source of an ad-response target (광고반응타겟); remove it from the target first`);
      }
      throw err;
    }
  }

  private async findCampaign(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<CampaignRow> {
    const query = q<CampaignRow>('campaigns').where({ id, ad_account_id: caller.adAccountId });
    if (forUpdate) query.forUpdate();
    const row = await query.first();
    if (!row) throw new NotFound(`Campaign ${id} not found`);
    return row;
  }

  private async findAdGroup(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<AdGroupRow> {
    const query = q<AdGroupRow>('ad_groups').where({ id, ad_account_id: caller.adAccountId });
    if (forUpdate) query.forUpdate();
    const row = await query.first();
    if (!row) throw new NotFound(`Ad group ${id} not found`);
    return row;
  }

  private async findMessage(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<MessageRow> {
    const query = q<MessageRow>('messages').where({ id, ad_account_id: caller.adAccountId });
    if (forUpdate) query.forUpdate();
    const row = await query.first();
    if (!row) throw new NotFound(`Message ${id} not found`);
    return row;
  }

  private async assertCampaignNameFree(q: Queryable, caller: Caller, name: string, exceptId?: string): Promise<void> {
    const query = q('campaigns').where({ ad_account_id: caller.adAccountId }).whereRaw('lower(name) = lower(?)', [name]);
    if (exceptId) query.whereNot({ id: exceptId });
    if (await query.first()) throw duplicateName('campaign', name, 'this ad account');
  }

  private async assertAdGroupNameFree(q: Queryable, campaignId: string, name: string, exceptId?: string): Promise<void> {
    const query = q('ad_groups').where({ campaign_id: campaignId }).whereRaw('lower(name) = lower(?)', [name]);
    if (exceptId) query.whereNot({ id: exceptId });
    if (await query.first()) throw duplicateName('ad group', name, 'this campaign');
  }

  private async assertMessageNameFree(q: Queryable, adGroupId: string, name: string, exceptId?: string): Promise<void> {
    const query = q('messages').where({ ad_group_id: adGroupId }).whereRaw('lower(name) = lower(?)', [name]);
    if (exceptId) query.whereNot({ id: exceptId });
    if (await query.first()) throw duplicateName('message', name, 'this ad group');
  }

  /** Insert guarded by a unique name index: a concurrent twin answers 409, not 500. */
  private async insertUnique(tx: Tx, table: string, row: object, what: string, name: string): Promise<void> {
    try {
      await tx(table).insert(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateName(what, name, 'its scope');
      throw err;
    }
  }

  private async updateUnique(tx: Tx, table: string, id: string, change: object, what: string, name: string): Promise<void> {
    try {
      await tx(table).where({ id }).update(change);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateName(what, name, 'its scope');
      throw err;
    }
  }

  private async campaignDtos(rows: CampaignRow[]): Promise<Campaign[]> {
    const counts = new Map<string, number>();
    if (rows.length) {
      const found: { campaign_id: string; n: string }[] = (
        await this.db.raw(`select campaign_id, count(*)::bigint as n from ad_groups where campaign_id = any(?::text[]) group by campaign_id`, [rows.map((c) => c.id)])
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

  private async adGroupDtos(caller: Caller, rows: AdGroupRow[]): Promise<AdGroup[]> {
    if (rows.length === 0) return [];
    const campaigns = new Map<string, CampaignRow>();
    for (const c of await this.db<CampaignRow>('campaigns').whereIn('id', [...new Set(rows.map((r) => r.campaign_id))])) campaigns.set(c.id, c);
    const targeting = await this.targetingRows(this.db, rows.map((r) => r.id));
    const targetIds = [...new Set(targeting.map((t) => t.target_id))];
    const targetRows = targetIds.length ? (await this.targets.list(this.db, caller)).filter((t) => targetIds.includes(t.id)) : [];
    const bases = new Map((await this.targets.bases(this.db, targetRows)).map((b) => [b.id, b]));
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

  private async messageDtos(caller: Caller, rows: MessageRow[]): Promise<Message[]> {
    if (rows.length === 0) return [];
    const sources = await this.reactionSources(this.db, caller, rows.map((r) => r.id));
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

  private async targetingRows(q: Queryable, adGroupIds: readonly string[]): Promise<TargetingRow[]> {
    if (adGroupIds.length === 0) return [];
    return q<TargetingRow>('ad_group_targeting').whereIn('ad_group_id', adGroupIds).orderBy(['ad_group_id', 'role', 'position']);
  }

  /**
   * Checks a targeting: sizes, no target on both sides, every target usable (resolveForTargeting:
   * not preparing 준비중 or failed, of this account), friend groups only where they belong.
   */
  private async resolveTargeting(q: Queryable, caller: Caller, campaign: CampaignRow, input: TargetingInput, pointer: string): Promise<{ include: TargetRow[]; exclude: TargetRow[] }> {
    const include = input.include ?? [];
    const exclude = input.exclude ?? [];
    for (const [side, ids] of [['include', include], ['exclude', exclude]] as const) {
      if (ids.length > TARGETING_SIDE_LIMIT) {
        throw ruleError(`${pointer}/${side}`, 'max-items', `An ad group can ${side} at most ${TARGETING_SIDE_LIMIT} targets; remove ${ids.length - TARGETING_SIDE_LIMIT}`);
      }
    }
    const both = exclude.findIndex((id) => include.includes(id));
    if (both >= 0) throw ruleError(`${pointer}/exclude/${both}`, 'conflict', `Target ${exclude[both]} cannot be both included and excluded; keep it on one side`);
    const resolved = {
      include: await this.targets.resolveForTargeting(q, caller, include, `${pointer}/include`),
      exclude: await this.targets.resolveForTargeting(q, caller, exclude, `${pointer}/exclude`),
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

  private async writeTargeting(tx: Tx, caller: Caller, adGroupId: string, resolved: { include: TargetRow[]; exclude: TargetRow[] }): Promise<void> {
    const rows = [
      ...resolved.include.map((t, i) => ({ ad_group_id: adGroupId, target_id: t.id, ad_account_id: caller.adAccountId, role: 'include', position: i })),
      ...resolved.exclude.map((t, i) => ({ ad_group_id: adGroupId, target_id: t.id, ad_account_id: caller.adAccountId, role: 'exclude', position: i })),
    ];
    if (rows.length) await tx('ad_group_targeting').insert(rows);
  }

  private async *singleReaction(body: Readable): AsyncGenerator<ReactionLine> {
    let size = 0;
    const parts: Buffer[] = [];
    for await (const part of body) {
      size += (part as Buffer).length;
      if (size > MAX_JSON_BYTES) throw new PayloadTooLarge(`One JSON reaction is at most ${MAX_JSON_BYTES} bytes; send many as JSON lines (application/x-ndjson)`);
      parts.push(part as Buffer);
    }
    let value: unknown;
    try {
      value = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      throw new InvalidRequest('The request body is not valid JSON');
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new InvalidRequest('Send one reaction as a JSON object, or many as JSON lines (application/x-ndjson)');
    }
    // One reaction is an ordinary request body: shape errors are 400 like everywhere else.
    requestSchemas().check('reaction-create', value, 'body');
    yield { line: 1, prefix: '', value: value as Record<string, unknown>, errors: [] };
  }

  private async *reactionLines(body: Readable): AsyncGenerator<ReactionLine> {
    // readline buffers a whole line: bound each line before it does, so one endless line cannot
    // take the process's memory.
    let tooLong: Error | null = null;
    let lineBytes = 0;
    const bounded = new Transform({
      transform(chunk: Buffer, _enc, done) {
        let from = 0;
        for (let i = chunk.indexOf(10); ; i = chunk.indexOf(10, from)) {
          lineBytes += (i === -1 ? chunk.length : i) - from;
          if (lineBytes > MAX_REACTION_LINE_BYTES) {
            tooLong = new PayloadTooLarge(`A reaction line is at most ${MAX_REACTION_LINE_BYTES} bytes`, { limit: MAX_REACTION_LINE_BYTES });
            return done(tooLong);
          }
          if (i === -1) break;
          lineBytes = 0;
          from = i + 1;
        }
        done(null, chunk);
      },
    });
    body.on('error', (err) => bounded.destroy(err));
    body.pipe(bounded);
    const rl = readline.createInterface({ input: bounded, crlfDelay: Infinity });
    bounded.on('error', () => rl.close());
    let n = 0;
    for await (const raw of rl) {
      n++;
      const text = raw.trim();
      if (text === '') continue;
      if (n > MAX_REACTION_LINES) {
        rl.close();
        throw new PayloadTooLarge(`At most ${MAX_REACTION_LINES} reactions per request; split the file`, { limit: MAX_REACTION_LINES });
      }
      const prefix = `/${n - 1}`;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        yield { line: n, prefix, errors: [{ pointer: prefix, rule: 'json', message: `line ${n}: not valid JSON` }] };
        continue;
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        yield { line: n, prefix, errors: [{ pointer: prefix, rule: 'type', message: `line ${n}: must be a JSON object` }] };
        continue;
      }
      try {
        requestSchemas().check('reaction-create', value, 'body', prefix);
      } catch (err) {
        if (!isCdpError(err)) throw err;
        yield { line: n, prefix, errors: (err.extras.errors ?? []).map((e) => ({ ...e, message: `line ${n}: ${e.pointer.slice(prefix.length) || '/'} ${e.message}` })) };
        continue;
      }
      yield { line: n, prefix, value: value as Record<string, unknown>, errors: [] };
    }
    if (tooLong) throw tooLong;
  }

  /** Checks a chunk of lines (references looked up once per chunk) and returns the valid records. */
  private async checkReactions(tx: Tx, caller: Caller, lines: ReactionLine[], cache: Map<string, ResolvedSource | null>, errors: FieldError[]): Promise<ReactionRecord[]> {
    const adGroupIds = new Set<string>();
    const messageIds = new Set<string>();
    for (const l of lines) {
      const v = l.value;
      if (!v) continue;
      if (typeof v.adGroupId === 'string' && !cache.has(`g:${v.adGroupId}`)) adGroupIds.add(v.adGroupId);
      if (typeof v.messageId === 'string' && !cache.has(`m:${v.messageId}`)) messageIds.add(v.messageId);
    }
    if (adGroupIds.size || messageIds.size) {
      const found = await this.reactionSources(tx, caller, [...adGroupIds, ...messageIds]);
      for (const id of adGroupIds) cache.set(`g:${id}`, resolvedOf(found.get(id), 'ad_group'));
      for (const id of messageIds) cache.set(`m:${id}`, resolvedOf(found.get(id), 'message'));
    }
    const now = this.clock.now().getTime();
    const records: ReactionRecord[] = [];
    for (const l of lines) {
      if (errors.length >= MAX_LISTED_ERRORS) break;
      if (!l.value) {
        errors.push(...l.errors);
        continue;
      }
      const found: FieldError[] = [];
      const say = (field: string, rule: string, message: string) =>
        found.push({ pointer: `${l.prefix}/${escapePointer(field)}`, rule, message: l.prefix ? `line ${l.line}: ${message}` : message });
      const record = checkReaction(l.value as unknown as ReactionInput, cache, now, say);
      if (found.length) errors.push(...found);
      else if (record) records.push(record);
    }
    return records;
  }

  private async insertReactions(tx: Tx, adAccountId: string, records: ReactionRecord[]): Promise<void> {
    await tx.raw(
      `insert into reactions (ad_account_id, ad_group_id, message_id, source_id, type, adid, app_user_id, nodes, occurred_at, play_seconds, play_percent, qualified)
       select ?, r.ad_group_id, r.message_id, r.source_id, r.type, r.adid, r.app_user_id, array(select jsonb_array_elements_text(r.nodes)),
              r.occurred_at, r.play_seconds, r.play_percent, r.qualified
       from jsonb_to_recordset(?::jsonb) as r(ad_group_id text, message_id text, source_id text, type text, adid text, app_user_id text, nodes jsonb,
              occurred_at timestamptz, play_seconds float8, play_percent float8, qualified boolean)`,
      [adAccountId, JSON.stringify(records)],
    );
    await this.universe.append(tx, adAccountId, records.map((r) => r.nodes));
    const sources = [...new Set(records.map((r) => r.source_id))];
    for (const hook of this.reactionHooks) await hook(tx, adAccountId, sources);
  }
}

interface ReactionInput {
  adGroupId?: string;
  messageId?: string;
  type: ReactionType;
  adid?: string;
  appUserId?: string | number;
  occurredAt: string;
  playSeconds?: number;
  playPercent?: number;
}

/** An ad group or message looked up for reactions (null: not in this account). */
interface ResolvedSource {
  kind: 'ad_group' | 'message';
  id: string;
  name: string;
  adGroupId: string;
  campaign: CampaignRef;
}

function resolvedOf(s: ReactionSource | undefined, kind: 'ad_group' | 'message'): ResolvedSource | null {
  if (!s || s.kind !== kind) return null;
  return { kind, id: s.id, name: s.name, adGroupId: kind === 'ad_group' ? s.id : s.adGroup!.id, campaign: s.campaign };
}

/** The domain rules of one reaction; reports through `say` and returns the record when valid. */
function checkReaction(
  v: ReactionInput,
  cache: Map<string, ResolvedSource | null>,
  now: number,
  say: (field: string, rule: string, message: string) => void,
): ReactionRecord | null {
  let ok = true;
  const fail = (field: string, rule: string, message: string) => {
    ok = false;
    say(field, rule, message);
  };
  let source: ResolvedSource | null = null;
  if (v.adGroupId !== undefined && v.messageId !== undefined) {
    fail('messageId', 'one-of', 'give adGroupId (display ad group) or messageId (message), not both');
  } else if (v.adGroupId !== undefined) {
    source = cache.get(`g:${v.adGroupId}`) ?? null;
    if (!source) fail('adGroupId', 'exists', `ad group ${v.adGroupId} not found in this ad account`);
    else if (source.campaign.type !== 'DISPLAY') {
      fail('adGroupId', 'campaign-type', `ad group "${source.name}" belongs to message campaign "${source.campaign.name}": record its reactions on its messages (messageId)`);
    } else if (!CAMPAIGN_REACTIONS.DISPLAY.includes(v.type)) {
      fail('type', 'campaign-type', `display ad groups record ${CAMPAIGN_REACTIONS.DISPLAY.join(', ')}, not ${v.type}`);
    }
  } else if (v.messageId !== undefined) {
    source = cache.get(`m:${v.messageId}`) ?? null;
    if (!source) fail('messageId', 'exists', `message ${v.messageId} not found in this ad account`);
    else if (!CAMPAIGN_REACTIONS.MESSAGE.includes(v.type)) {
      fail('type', 'campaign-type', `messages record ${CAMPAIGN_REACTIONS.MESSAGE.join(', ')}, not ${v.type}`);
    }
  } else {
    fail('adGroupId', 'required', 'give adGroupId (display ad group) or messageId (message)');
  }

  let adid: string | null = null;
  let appUserId: string | null = null;
  if (v.adid === undefined && v.appUserId === undefined) fail('adid', 'required', 'give at least one identifier: adid or appUserId');
  if (v.adid !== undefined) {
    const r = normalizeDeviceId(v.adid);
    if (r.ok) adid = r.value;
    else fail('adid', r.rule, `adid: ${r.message}`);
  }
  if (v.appUserId !== undefined) {
    if (typeof v.appUserId === 'number' && !Number.isSafeInteger(v.appUserId)) {
      fail('appUserId', 'precision', 'appUserId is too large for a JSON number; send it as a string');
    } else {
      const r = normalizeAppUserId(String(v.appUserId));
      if (r.ok) appUserId = r.value;
      else fail('appUserId', r.rule, `appUserId: ${r.message}`);
    }
  }

  const at = new Date(v.occurredAt);
  if (Number.isNaN(at.getTime())) fail('occurredAt', 'format', 'occurredAt is not a valid time');
  else if (at.getTime() > now + FUTURE_TOLERANCE_MS) fail('occurredAt', 'not-future', `occurredAt ${v.occurredAt} is in the future; send reactions once they happened`);

  const hasPlay = v.playSeconds !== undefined || v.playPercent !== undefined;
  if (v.type === 'PLAY' && !hasPlay) fail('playSeconds', 'required', 'a PLAY needs playSeconds or playPercent (it counts from 3 seconds or 25 % of the video)');
  if (v.type !== 'PLAY' && hasPlay) fail(v.playSeconds !== undefined ? 'playSeconds' : 'playPercent', 'play-only', 'playSeconds and playPercent belong to PLAY reactions only');

  if (!ok || !source) return null;
  const qualified = v.type !== 'PLAY' || (v.playSeconds ?? 0) >= QUALIFYING_PLAY.seconds || (v.playPercent ?? 0) >= QUALIFYING_PLAY.percent;
  return {
    ad_group_id: source.adGroupId,
    message_id: source.kind === 'message' ? source.id : null,
    source_id: source.id,
    type: v.type,
    adid,
    app_user_id: appUserId,
    nodes: [adid ? node('adid', adid) : null, appUserId ? node('app_user_id', appUserId) : null].filter((n): n is string => n !== null),
    occurred_at: at.toISOString(),
    play_seconds: v.playSeconds ?? null,
    play_percent: v.playPercent ?? null,
    qualified,
  };
}

function idsOf(resolved: { include: TargetRow[]; exclude: TargetRow[] }): { include: string[]; exclude: string[] } {
  return { include: resolved.include.map((t) => t.id), exclude: resolved.exclude.map((t) => t.id) };
}

function setOp(op: 'intersect' | 'except' | 'union', a: SqlFragment, b: SqlFragment): SqlFragment {
  return { sql: `select person_id from ((${a.sql}) ${op} (${b.sql})) s`, bindings: [...a.bindings, ...b.bindings] };
}

function duplicateName(what: string, name: string, scope: string) {
  return new Duplicate(`A ${what} named "${name}" already exists in ${scope}; choose another name`, {
    errors: [{ pointer: '/name', rule: 'unique', message: 'is already used' }],
  });
}
