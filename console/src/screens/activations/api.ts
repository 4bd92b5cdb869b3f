/** Queries the Activations screens share. */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { Activation, ActivationRun, Verdict } from './types';

export function useActivations() {
  return useQuery({ queryKey: ['activations'], queryFn: () => unwrap<{ items: Activation[] }>(api.GET('/v1/activations')), select: (d) => d.items });
}

export function useActivation(id: string) {
  return useQuery({ queryKey: ['activations', id], queryFn: () => unwrap<Activation & { verdict: Verdict }>(api.GET('/v1/activations/{id}', { params: { path: { id } } })) });
}

/** Runs, newest first, polled while one is queued or exporting (live status). */
export function useRuns(id: string) {
  return useQuery({
    queryKey: ['activations', id, 'runs'],
    queryFn: () => unwrap<{ items: ActivationRun[] }>(api.GET('/v1/activations/{id}/runs', { params: { path: { id } } })),
    select: (d) => d.items,
    refetchInterval: (q) => (q.state.data?.items.some((r) => r.status === 'queued' || r.status === 'processing') ? 700 : false),
  });
}
