/**
 * The one schedule format of every periodic thing — dataflows (Adobe's source schedules), audience
 * evaluations, activations and the worker's own ticks: once, or every N minutes, hours, days or
 * weeks counted from a start time. "Daily at 09:30 UTC" is `{ frequency: 'day', startAt: <any day>T09:30Z }`.
 * Each API keeps its own request shape (what users write); services turn it into this one.
 */
export type Frequency = 'once' | 'minute' | 'hour' | 'day' | 'week';

export interface Recurrence {
  frequency: Frequency;
  /** Every N units; ignored for `once`. */
  interval?: number;
  /** The first slot (ISO date-time); the caller's anchor when absent. */
  startAt?: string;
}

const UNIT_MS: Record<Exclude<Frequency, 'once'>, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
};

/** The first slot strictly after `after` (null: a `once` recurrence that has had its slot). `after` null: the first slot. */
export function nextSlot(s: Recurrence, anchor: Date, after: Date | null): Date | null {
  const start = s.startAt ? new Date(s.startAt) : anchor;
  if (s.frequency === 'once') return after === null ? start : null;
  const period = UNIT_MS[s.frequency] * Math.max(1, s.interval ?? 1);
  if (after === null || after.getTime() < start.getTime()) return start;
  const steps = Math.floor((after.getTime() - start.getTime()) / period) + 1;
  return new Date(start.getTime() + steps * period);
}

/** Every minute, on the minute. */
export const EVERY_MINUTE: Recurrence = { frequency: 'minute', interval: 1, startAt: '2000-01-01T00:00:00.000Z' };

/** Every hour at minute `mm` (0–59). */
export function hourlyAt(mm: number): Recurrence {
  return { frequency: 'hour', interval: 1, startAt: `2000-01-01T00:${String(mm).padStart(2, '0')}:00.000Z` };
}

/** Every day at HH:MM UTC. */
export function dailyAt(hhmm: string): Recurrence {
  return { frequency: 'day', interval: 1, startAt: `2000-01-01T${hhmm}:00.000Z` };
}

/** The next HH:MM UTC strictly after `after`. */
export function nextDailyAt(hhmm: string, after: Date): Date {
  return nextSlot(dailyAt(hhmm), after, after)!;
}
