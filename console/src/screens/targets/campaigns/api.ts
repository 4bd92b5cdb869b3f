/** Queries of campaigns, ad groups, messages and talk channels (keys shared by both tabs that read them). */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';
import type { AdGroup, Campaign, Message, TalkChannel } from './types';

export const CAMPAIGNS_KEY = ['campaigns'] as const;

export function useCampaigns() {
  return useQuery({ queryKey: [...CAMPAIGNS_KEY, 'list'], queryFn: () => unwrap<{ items: Campaign[] }>(api.GET('/v1/campaigns')) });
}

export function useCampaign(id: string) {
  return useQuery({ queryKey: [...CAMPAIGNS_KEY, 'one', id], queryFn: () => unwrap<Campaign>(api.GET('/v1/campaigns/{id}', { params: { path: { id } } })) });
}

export function useAdGroups(campaignId: string | null) {
  return useQuery({
    queryKey: [...CAMPAIGNS_KEY, 'ad-groups', campaignId],
    enabled: campaignId !== null,
    queryFn: () => unwrap<{ items: AdGroup[] }>(api.GET('/v1/ad-groups', { params: { query: { campaignId: campaignId! } } })),
  });
}

export function useAdGroup(id: string) {
  return useQuery({ queryKey: [...CAMPAIGNS_KEY, 'ad-group', id], queryFn: () => unwrap<AdGroup>(api.GET('/v1/ad-groups/{id}', { params: { path: { id } } })) });
}

/** Messages of one ad group, or of every ad group (null). */
export function useMessages(adGroupId: string | null, enabled = true) {
  return useQuery({
    queryKey: [...CAMPAIGNS_KEY, 'messages', adGroupId],
    enabled,
    queryFn: () => unwrap<{ items: Message[] }>(api.GET('/v1/messages', { params: { query: adGroupId ? { adGroupId } : {} } })),
  });
}

export function useTalkChannels(enabled = true) {
  return useQuery({ queryKey: ['talk-channels'], enabled, queryFn: () => unwrap<{ items: TalkChannel[] }>(api.GET('/v1/talk-channels')) });
}
