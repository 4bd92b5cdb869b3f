/** DTOs of the tab, as src/trackers/service.ts answers them. */
import type { Population } from '../../../ui/PopulationBadge';
import type { TargetUser } from '../../../ui/TargetUsage';

export const PIXEL_EVENTS = ['pageView', 'search', 'viewContent', 'addToCart', 'addToWishList', 'purchase', 'completeRegistration', 'signUp', 'participation'] as const;
export type PixelEvent = (typeof PIXEL_EVENTS)[number];
export type TrackerRole = 'MASTER' | 'MEMBER';
export type CollectionStatus = 'PRE_COLLECTION' | 'COLLECTION';

export interface Tracker {
  trackId: string;
  name: string;
  role: TrackerRole;
  status: CollectionStatus;
  lastEventAt: string | null;
  population: Population;
  eventTypes: string[];
  usage: { type: 'pixel_target'; id: string; name: string }[];
  createdAt: string;
  updatedAt: string;
}

export interface AvailableTracker {
  trackId: string;
  name: string;
  status: CollectionStatus;
  lastEventAt: string | null;
  added: boolean;
  role: TrackerRole | null;
  createdAt: string;
}

export interface TrackerEvents {
  trackId: string;
  from: string;
  to: string;
  items: { event: string; count: number; firstSeenAt: string; lastSeenAt: string }[];
}

export interface PixelTarget {
  id: string;
  kind: 'pixel';
  name: string;
  population: Population;
  createdAt: string;
  updatedAt: string;
  trackId: string;
  trackerName: string;
  event: PixelEvent | null;
  days: number;
  usage?: TargetUser[];
}

export function counting(x: { population: Population }): boolean {
  return x.population.state === 'preparing' || x.population.state === 'querying';
}
