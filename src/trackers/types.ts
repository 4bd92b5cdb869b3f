/** The trackers module's constants, shapes and rows. */
import { randomBytes } from 'node:crypto';
import { DAY_MS, type PopulationView } from '../populations/service';
import type { TargetBase } from '../targets/service';
import type { SqlFragment } from '../universe/service';
import type { CollectedEvent, PixelEvent } from './events';
import type { RateLimit } from './rate-limit';
import type { WriterOptions } from './writer';

/** Populations of trackers, pixel targets and MAT links look back this far (Kakao: 최근 120일). */
export const WINDOW_DAYS = 120;
export const PIXEL_TARGET_MINIMUM = 100;
export const HOUR_MS = 60 * 60 * 1000;
export const TRACKER_SUBJECT = 'tracker';
export const PRUNE_JOB = 'trackers.prune';
/** Hourly: forgets the eventIds received more than 48 hours ago. */
export const EVENT_IDS_JOB = 'trackers.forget-event-ids';
/** Events are kept one day longer than any window reads them. */
export const RETENTION_DAYS = WINDOW_DAYS + 1;
export const PRUNE_CHUNK = 10_000;
export const CACHE_MAX = 10_000;

export type TrackerRole = 'MASTER' | 'MEMBER';
export type CollectionStatus = 'PRE_COLLECTION' | 'COLLECTION';

export interface CollectorOptions extends RateLimit, WriterOptions {}

export const DEFAULT_COLLECTOR: CollectorOptions = { ratePerSecond: 50, burst: 500, flushMs: 5, maxBatch: 5000, maxPending: 100_000 };

export interface TrackerView {
  trackId: string;
  name: string;
  role: TrackerRole;
  status: CollectionStatus;
  lastEventAt: string | null;
  /** 타겟모수: people of this ad account's universe seen in the last 120 days. */
  population: PopulationView;
  /** Event types seen in the last 120 days. */
  eventTypes: string[];
  /** Pixel & SDK targets of this ad account built on the tracker (they keep its right from being removed). */
  usage: { type: 'pixel_target'; id: string; name: string }[];
  createdAt: string;
  updatedAt: string;
}

export interface AvailableTracker {
  trackId: string;
  name: string;
  status: CollectionStatus;
  lastEventAt: string | null;
  /** This ad account already holds a right (only with ?all=true; otherwise always false). */
  added: boolean;
  role: TrackerRole | null;
  createdAt: string;
}

export interface PixelTargetView extends TargetBase {
  trackId: string;
  trackerName: string;
  /** null: any event. */
  event: PixelEvent | null;
  days: number;
}

export interface PixelTargetInput {
  name: string;
  trackId: string;
  event?: PixelEvent;
  days: number;
}

export interface TrackerRow {
  id: string;
  organization_id: string;
  track_id: string;
  name: string;
  status: CollectionStatus;
  last_event_at: Date | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface HeldTracker extends TrackerRow {
  right_id: string;
  role: TrackerRole;
}

export interface QueuedEvent extends CollectedEvent {
  trackerId: string;
  receivedAt: Date;
}

export interface PixelTargetRow {
  target_id: string;
  tracker_id: string;
  event: PixelEvent | null;
  days: number;
  track_id: string;
  tracker_name: string;
}

export function windowStart(now: Date, days = WINDOW_DAYS): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/** 19 random digits (10^18 … 10^19−1). */
export function newTrackId(): string {
  const n = (randomBytes(8).readBigUInt64BE() % 9_000_000_000_000_000_000n) + 1_000_000_000_000_000_000n;
  return n.toString();
}

export const NOBODY: SqlFragment = { sql: 'select null::bigint as person_id where false', bindings: [] };
