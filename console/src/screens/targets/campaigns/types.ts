/** The API's campaign DTOs (src/campaigns/service.ts) as this console reads them. */
import type { Population } from '../../../ui/PopulationBadge';
import type { TargetKind } from '../../../ui/TargetLimit';

export type CampaignType = 'DISPLAY' | 'MESSAGE';
export type MessageType = 'CHANNEL_MESSAGE' | 'DIRECT_FRIENDS';
export type Reaction = 'PLAY' | 'CLICK' | 'CONVERSION' | 'OPEN';

/** The reactions each campaign type records (the seed's 데이터 가이드). */
export const CAMPAIGN_REACTIONS: Record<CampaignType, Reaction[]> = { DISPLAY: ['PLAY', 'CLICK', 'CONVERSION'], MESSAGE: ['OPEN', 'CLICK'] };

export interface Named {
  id: string;
  name: string;
}

export interface CampaignRef extends Named {
  type: CampaignType;
  messageType: MessageType | null;
}

export interface Campaign extends CampaignRef {
  talkChannelId: string | null;
  adGroupCount: number;
  createdAt: string;
  updatedAt: string;
}

/** src/targets/service.ts TargetBase. */
export interface TargetBase {
  id: string;
  kind: TargetKind;
  name: string;
  population: Population;
  createdAt: string;
  updatedAt: string;
}

export interface AdGroup extends Named {
  campaignId: string;
  campaign: CampaignRef;
  targeting: { include: TargetBase[]; exclude: TargetBase[] };
  createdAt: string;
  updatedAt: string;
}

export interface Message extends Named {
  adGroupId: string;
  adGroup: Named;
  campaign: CampaignRef;
  createdAt: string;
  updatedAt: string;
}

export interface TalkChannel extends Named {
  searchId: string;
  friendCount: number;
}

export interface Reach {
  adGroupId: string;
  base: { kind: 'universe' | 'channel_friends'; talkChannelId: string | null; people: number };
  included: number | null;
  excluded: number | null;
  reach: number;
  targets: { role: 'include' | 'exclude'; target: TargetBase }[];
  estimatedAt: string;
}
