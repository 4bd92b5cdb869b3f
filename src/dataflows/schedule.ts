/**
 * Dataflow schedules (Adobe's source schedules): once, or every N minutes (N ≥ 15), hours, days or
 * weeks, counted from a start time. Pure functions so the scheduler and its tests share them.
 */
import { ruleError } from '../core/errors';

export type Frequency = 'once' | 'minute' | 'hour' | 'day' | 'week';

export interface Schedule {
  frequency: Frequency;
  /** Every N units; ignored for `once`. Minutes: at least 15. */
  interval?: number;
  /** First run (ISO date-time); default: when the dataflow is created. */
  startAt?: string;
}

const UNIT_MS: Record<Exclude<Frequency, 'once'>, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
};

export const MIN_MINUTE_INTERVAL = 15;

export function checkSchedule(s: Schedule, pointer = '/schedule'): void {
  if (s.frequency === 'minute' && (s.interval ?? 1) < MIN_MINUTE_INTERVAL) {
    throw ruleError(`${pointer}/interval`, 'minimum', `A schedule in minutes runs at most every ${MIN_MINUTE_INTERVAL} minutes; set interval ≥ ${MIN_MINUTE_INTERVAL}`);
  }
  if (s.startAt !== undefined && Number.isNaN(Date.parse(s.startAt))) throw ruleError(`${pointer}/startAt`, 'date-time', 'startAt must be an ISO 8601 date-time');
}

/** The first run time strictly after `after` (null: a `once` schedule that has run). */
export function nextRunAfter(s: Schedule, anchor: Date, after: Date | null): Date | null {
  const start = s.startAt ? new Date(s.startAt) : anchor;
  if (s.frequency === 'once') return after === null ? start : null;
  const period = UNIT_MS[s.frequency] * Math.max(1, s.interval ?? 1);
  if (after === null || after.getTime() < start.getTime()) return start;
  const steps = Math.floor((after.getTime() - start.getTime()) / period) + 1;
  return new Date(start.getTime() + steps * period);
}
