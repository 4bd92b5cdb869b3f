/**
 * Dataflow schedules (Adobe's source schedules): once, or every N minutes (N ≥ 15), hours, days or
 * weeks, counted from a start time (default: when the dataflow is created) — the service's one
 * schedule format (core/schedule.ts) with the dataflow's own limits.
 */
import { ruleError } from '../core/errors';
import type { Recurrence } from '../core/schedule';

export type Schedule = Recurrence;

export const MIN_MINUTE_INTERVAL = 15;

export function checkSchedule(s: Schedule, pointer = '/schedule'): void {
  if (s.frequency === 'minute' && (s.interval ?? 1) < MIN_MINUTE_INTERVAL) {
    throw ruleError(`${pointer}/interval`, 'minimum', `A schedule in minutes runs at most every ${MIN_MINUTE_INTERVAL} minutes; set interval ≥ ${MIN_MINUTE_INTERVAL}`);
  }
  if (s.startAt !== undefined && Number.isNaN(Date.parse(s.startAt))) throw ruleError(`${pointer}/startAt`, 'date-time', 'startAt must be an ISO 8601 date-time');
}
