/**
 * When something happened (pixel events, postbacks, reactions): a real instant, not in the future
 * beyond clock skew, and not before EARLIEST (PostgreSQL timestamptz accepts year 0000 in JavaScript
 * terms poorly, and nothing we count looks back further than 120 days anyway).
 */
export const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;
export const EARLIEST = new Date('2000-01-01T00:00:00Z');

export function eventTimeProblem(at: Date, now: Date): { rule: string; message: string } | null {
  const t = at.getTime();
  if (Number.isNaN(t)) return { rule: 'format', message: 'is not a valid time; use ISO 8601 with a timezone, e.g. 2026-11-23T10:00:00Z' };
  if (t < EARLIEST.getTime()) return { rule: 'too_old', message: `lies before ${EARLIEST.toISOString()}` };
  if (t > now.getTime() + FUTURE_TOLERANCE_MS) return { rule: 'not_future', message: 'lies more than 5 minutes in the future; check the sender clock or omit it' };
  return null;
}
