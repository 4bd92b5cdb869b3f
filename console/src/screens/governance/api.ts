/** What the governance screens read, after the DTOs of src/governance/service.ts. */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';

export type LabelLeaf = { label: string };
export type LabelOperation = { operator: 'AND' | 'OR'; operands: DenyExpression[] };
export type DenyExpression = LabelLeaf | LabelOperation;
export type PolicyStatus = 'DRAFT' | 'ENABLED' | 'DISABLED';
export const STATUSES: PolicyStatus[] = ['DRAFT', 'ENABLED', 'DISABLED'];

export interface Policy {
  id: string;
  name: string;
  description: string;
  status: PolicyStatus;
  marketingActions: string[];
  deny: DenyExpression;
  /** Core policies: deny and marketing actions fixed, never deleted. */
  core: boolean;
  coreKey: string | null;
  createdAt: string;
  updatedAt: string;
}

export const policyKeys = { list: ['policies'] as const, one: (id: string) => ['policies', id] as const };

/** Every policy of the account (core and custom); an account has tens, not thousands. */
export function usePolicies() {
  return useQuery({
    queryKey: policyKeys.list,
    queryFn: () => unwrap<{ items: Policy[]; nextCursor: string | null }>(api.GET('/v1/policies', { params: { query: { limit: 500 } } })),
    select: (d) => d.items,
  });
}

export function usePolicy(id: string | undefined) {
  return useQuery({
    queryKey: policyKeys.one(id ?? ''),
    enabled: id !== undefined,
    queryFn: () => unwrap<Policy>(api.GET('/v1/policies/{id}', { params: { path: { id: id! } } })),
  });
}
