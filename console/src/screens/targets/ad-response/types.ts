/** The API's ad-response target DTO (src/ad-response/service.ts). */
import type { TargetUser } from '../../../ui/TargetUsage';
import type { CampaignRef, CampaignType, Named, Reaction, TargetBase } from '../campaigns/types';

export type Combination =
  | { type: 'ONE'; reaction: Reaction }
  | { type: 'ALL' }
  | { type: 'DIFFERENCE'; include: Reaction; exclude: Reaction }
  | { type: 'INTERSECTION'; reactions: Reaction[] };

export interface ReactionSource extends Named {
  kind: 'ad_group' | 'message';
  adGroup: Named | null;
  campaign: CampaignRef;
}

export interface AdResponseTarget extends TargetBase {
  campaignType: CampaignType;
  sources: ReactionSource[];
  combination: Combination & { label: string };
  collectionDays: number;
  collectionWindow: { from: string; to: string };
  dataGuide: { reactions: { type: Reaction; label: string }[] };
  note: string;
  usage: TargetUser[];
}
