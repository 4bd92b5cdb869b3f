/** The tab's queries; what a code received polls, as postbacks arrive while the vendor is set up. */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';
import { counting, LinkCode, MatLink, Received } from './types';

export const CODES_KEY = ['mat', 'link-codes'] as const;
export const LINKS_KEY = ['targets', 'mat'] as const;

export function useLinkCodes() {
  return useQuery({ queryKey: CODES_KEY, queryFn: () => unwrap<{ items: LinkCode[]; limit: number }>(api.GET('/v1/mat/link-codes')) });
}

export function useLinkCode(id: string) {
  return useQuery({ queryKey: [...CODES_KEY, id], queryFn: () => unwrap<LinkCode>(api.GET('/v1/mat/link-codes/{id}', { params: { path: { id } } })) });
}

export function useReceived(id: string | null) {
  return useQuery({
    queryKey: [...CODES_KEY, id, 'received'],
    enabled: !!id,
    queryFn: () => unwrap<{ items: Received[] }>(api.GET('/v1/mat/link-codes/{id}/received', { params: { path: { id: id ?? '' } } })),
    refetchInterval: 5000,
  });
}

export function useMatLinks() {
  return useQuery({
    queryKey: LINKS_KEY,
    queryFn: () => unwrap<{ items: MatLink[] }>(api.GET('/v1/targets/mat')),
    refetchInterval: (q) => (q.state.data?.items.some(counting) ? 2000 : false),
  });
}

export function useMatLink(id: string) {
  return useQuery({
    queryKey: [...LINKS_KEY, id],
    queryFn: () => unwrap<MatLink>(api.GET('/v1/targets/mat/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => (q.state.data && counting(q.state.data) ? 2000 : false),
  });
}
