/** The customer file queries every screen of the tab shares (polling while a population is counted). */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';
import { counting, CustomerFile } from './types';

export const FILES_KEY = ['targets', 'customer-files'] as const;

export function useCustomerFiles() {
  return useQuery({
    queryKey: FILES_KEY,
    queryFn: () => unwrap<{ items: CustomerFile[] }>(api.GET('/v1/targets/customer-files')),
    refetchInterval: (q) => (q.state.data?.items.some(counting) ? 2000 : false),
  });
}

export function useCustomerFile(id: string) {
  return useQuery({
    queryKey: [...FILES_KEY, id],
    queryFn: () => unwrap<CustomerFile>(api.GET('/v1/targets/customer-files/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => (q.state.data && counting(q.state.data) ? 2000 : false),
  });
}
