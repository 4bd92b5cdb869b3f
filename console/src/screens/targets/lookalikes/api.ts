/** Lookalike queries shared by the tab's screens (polling while a build or count is under way). */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';
import { Lookalike, settling } from './types';

export const LOOKALIKES_KEY = ['targets', 'lookalikes'] as const;

export function useLookalikes() {
  return useQuery({
    queryKey: LOOKALIKES_KEY,
    queryFn: () => unwrap<{ items: Lookalike[] }>(api.GET('/v1/targets/lookalikes')),
    refetchInterval: (q) => (q.state.data?.items.some(settling) ? 2000 : false),
  });
}

export function useLookalike(id: string) {
  return useQuery({
    queryKey: [...LOOKALIKES_KEY, id],
    queryFn: () => unwrap<Lookalike>(api.GET('/v1/targets/lookalikes/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => (q.state.data && settling(q.state.data) ? 2000 : false),
  });
}
