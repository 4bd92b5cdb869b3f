/** Shared types of the campaigns module: its DTOs, rows and the context its parts share. */
import type { AuditService } from '../audit/service';
import type { Clock } from '../core/clock';
import type { Db, Queryable, Tx } from '../core/db';
import type { Caller } from '../core/types';
import type { PopulationService } from '../populations/service';
import type { TargetBase, TargetService } from '../targets/service';
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

export interface CampaignRow {
  id: string;
  ad_account_id: string;
  name: string;
  type: CampaignType;
  message_type: MessageType | null;
  talk_channel_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface AdGroupRow {
  id: string;
  ad_account_id: string;
  campaign_id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

export interface MessageRow {
  id: string;
  ad_account_id: string;
  ad_group_id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

export interface TargetingRow {
  ad_group_id: string;
  target_id: string;
  role: 'include' | 'exclude';
  position: number;
}

export interface ReactionResult {
  accepted: number;
  /** Plays stored but shorter than 3 s and 25 %: they never count as 재생. */
  notQualifyingPlays: number;
}

/** Called in the recording transaction with the ad groups / messages that got new reactions. */
export type ReactionHook = (tx: Tx, adAccountId: string, sourceIds: string[]) => Promise<void>;

/** What the parts of the module share: the services it uses and the hooks src/services.ts wires. */
export interface CampaignContext {
  db: Db;
  audit: AuditService;
  targets: TargetService;
  populations: PopulationService;
  universe: UniverseService;
  clock: Clock;
  /** Talk channels (the friend-groups module); message campaigns need them. */
  channels?: ChannelDirectory;
  beforeDeleteHooks: BeforeDeleteHook[];
  reactionHooks: ReactionHook[];
}
