/** Queries the Audiences screens share. */
import { useQueries, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api, unwrap } from '../../api/client';
import { Attribute, attributesOf } from './builder/model';
import type { Audience, Evaluation, Namespace, SchemaField, SchemaSummary } from './types';

const PROSPECT_CLASS = 'xdm:individual-prospect-profile';

export function useAudiences() {
  return useQuery({ queryKey: ['audiences'], queryFn: () => unwrap<{ items: Audience[] }>(api.GET('/v1/audiences')), select: (d) => d.items });
}

export function useAudience(id: string) {
  return useQuery({ queryKey: ['audiences', id], queryFn: () => unwrap<Audience>(api.GET('/v1/audiences/{id}', { params: { path: { id } } })) });
}

/** Evaluations, polled while one is queued or running. */
export function useEvaluations(id: string) {
  return useQuery({
    queryKey: ['audiences', id, 'evaluations'],
    queryFn: () => unwrap<{ items: Evaluation[] }>(api.GET('/v1/audiences/{id}/evaluations', { params: { path: { id } } })),
    select: (d) => d.items,
    refetchInterval: (q) => (q.state.data?.items.some((e) => e.status === 'queued' || e.status === 'running') ? 700 : false),
  });
}

export function useNamespaces() {
  return useQuery({ queryKey: ['namespaces'], queryFn: () => unwrap<{ items: Namespace[] }>(api.GET('/v1/namespaces')), select: (d) => d.items });
}

/**
 * The attributes rules may use: the fields of the profile-enabled prospect schemas
 * (GET /v1/schemas?classId=… then GET /v1/schemas/{id}/fields), system fields left out.
 */
export function useProspectAttributes(): { attributes: Attribute[]; primaries: string[]; primaryNamespaces: string[]; loading: boolean; error: unknown } {
  const schemas = useQuery({
    queryKey: ['schemas', { classId: PROSPECT_CLASS }],
    queryFn: () => unwrap<{ items: SchemaSummary[] }>(api.GET('/v1/schemas', { params: { query: { classId: PROSPECT_CLASS } } })),
    select: (d) => d.items.filter((s) => s.profileEnabled),
  });
  const fields = useQueries({
    queries: (schemas.data ?? []).map((s) => ({
      queryKey: ['schemas', s.id, 'fields'],
      queryFn: () => unwrap<{ items: SchemaField[] }>(api.GET('/v1/schemas/{id}/fields', { params: { path: { id: s.id } } })),
    })),
    combine: combineFields,
  });
  // Stable while the fields are: screens key effects on these.
  return useMemo(
    () => ({
      attributes: attributesOf(fields.all),
      primaries: [...new Set(fields.all.filter((f) => f.identity?.primary).map((f) => f.path))],
      primaryNamespaces: [...new Set(fields.all.filter((f) => f.identity?.primary).map((f) => f.identity!.namespace))],
      loading: schemas.isLoading || fields.loading,
      error: schemas.error ?? fields.error,
    }),
    [fields, schemas.isLoading, schemas.error],
  );
}

/** Module-level, so useQueries keeps its result while no query changed. */
function combineFields(results: { data?: { items: SchemaField[] }; isLoading: boolean; error: unknown }[]) {
  return { all: results.flatMap((r) => r.data?.items ?? []), loading: results.some((r) => r.isLoading), error: results.find((r) => r.error)?.error ?? null };
}
