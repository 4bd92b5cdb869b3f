/** The queries the tab's screens share; lists poll while a friend count is being counted. */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';
import { counting, FriendGroup, TalkChannel } from './types';

export const GROUPS_KEY = ['targets', 'friend-groups'] as const;
export const CHANNELS_KEY = ['talk-channels'] as const;

export function useFriendGroups() {
  return useQuery({
    queryKey: GROUPS_KEY,
    queryFn: () => unwrap<{ items: FriendGroup[] }>(api.GET('/v1/targets/friend-groups')),
    refetchInterval: (q) => (q.state.data?.items.some(counting) ? 2000 : false),
  });
}

export function useFriendGroup(id: string) {
  return useQuery({
    queryKey: [...GROUPS_KEY, id],
    queryFn: () => unwrap<FriendGroup>(api.GET('/v1/targets/friend-groups/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => (q.state.data && counting(q.state.data) ? 2000 : false),
  });
}

export function useChannels() {
  return useQuery({ queryKey: CHANNELS_KEY, queryFn: () => unwrap<{ items: TalkChannel[] }>(api.GET('/v1/talk-channels')) });
}

export function useChannel(id: string) {
  return useQuery({ queryKey: [...CHANNELS_KEY, id], queryFn: () => unwrap<TalkChannel>(api.GET('/v1/talk-channels/{id}', { params: { path: { id } } })) });
}
