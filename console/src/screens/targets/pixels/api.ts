/**
 * The tab's queries. Trackers poll every 5 s: 수집현황 follows the latest event received (the API
 * updates it with every committed batch), so the list is near real time as the seed says.
 */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';
import type { TargetUser } from '../../../ui/TargetUsage';
import { counting, PixelTarget, Tracker, TrackerEvents } from './types';

export const TRACKERS_KEY = ['trackers'] as const;
export const PIXEL_TARGETS_KEY = ['targets', 'pixel'] as const;
const LIVE_MS = 5000;

export function useTrackers() {
  return useQuery({ queryKey: TRACKERS_KEY, queryFn: () => unwrap<{ items: Tracker[] }>(api.GET('/v1/trackers')), refetchInterval: LIVE_MS });
}

export function useTracker(trackId: string) {
  return useQuery({
    queryKey: [...TRACKERS_KEY, trackId],
    queryFn: () => unwrap<Tracker>(api.GET('/v1/trackers/{trackId}', { params: { path: { trackId } } })),
    refetchInterval: LIVE_MS,
  });
}

export function useTrackerEvents(trackId: string) {
  return useQuery({
    queryKey: [...TRACKERS_KEY, trackId, 'events'],
    queryFn: () => unwrap<TrackerEvents>(api.GET('/v1/trackers/{trackId}/events', { params: { path: { trackId } } })),
    refetchInterval: LIVE_MS,
  });
}

export function usePixelTargets() {
  return useQuery({
    queryKey: PIXEL_TARGETS_KEY,
    queryFn: () => unwrap<{ items: PixelTarget[] }>(api.GET('/v1/targets/pixel')),
    refetchInterval: (q) => (q.state.data?.items.some(counting) ? 2000 : false),
    refetchOnMount: 'always', // back from a detail that saw 모수 arrive: never show the list's stale 준비중
  });
}

export function usePixelTarget(id: string) {
  return useQuery({
    queryKey: [...PIXEL_TARGETS_KEY, id],
    queryFn: () => unwrap<PixelTarget>(api.GET('/v1/targets/pixel/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => (q.state.data && counting(q.state.data) ? 2000 : false),
  });
}

export function useTargetUsage(id: string) {
  return useQuery({
    queryKey: ['targets', 'usage', id],
    queryFn: () => unwrap<{ items: TargetUser[] }>(api.GET('/v1/targets/{id}/usage', { params: { path: { id } } })),
  });
}
