/**
 * The identity sets (adid, app user id, cookie id) each tracker fed to the universe inbox recently,
 * in this process: an event repeating one of them is stored, counted and fed to populations as
 * before, but not appended to the inbox again. Linking a record whose identities the graph already
 * holds as one person changes nothing (universe/service.ts), and a visitor's events repeat the same
 * identifiers all session long: the inbox, its WAL and the linker's work shrink by that share.
 *
 * Why skipping stays correct: every account holding a right received the set when it was fed —
 * either from that batch, or, for a right added later, from the replay of the tracker's last 120
 * days (only events that happened within a day of being received are remembered, and only for an
 * hour, so the event that fed the set is always inside that replay); a relink replays every stored
 * event. Only events that were stored are remembered (a duplicate eventId may carry other
 * identifiers than the event it repeats). Bounded: the oldest entries go first.
 */
import type { QueuedEvent } from './types';

export const RECENT_TTL_MS = 60 * 60 * 1000;
export const RECENT_MAX = 100_000;
/** Events that happened longer ago than this before they were received are never remembered. */
const LIVE_MS = 24 * 60 * 60 * 1000;

export class RecentIdentities {
  /** key → when it expires (ms); Map order = insertion order, the oldest first. */
  private readonly fed = new Map<string, number>();

  constructor(
    private readonly ttlMs = RECENT_TTL_MS,
    private readonly max = RECENT_MAX,
  ) {}

  /** The event's identity set was fed by this tracker within the TTL. */
  has(e: QueuedEvent, nowMs: number): boolean {
    const key = keyOf(e);
    const until = this.fed.get(key);
    if (until === undefined) return false;
    if (until > nowMs) return true;
    this.fed.delete(key);
    return false;
  }

  /** Remembers the identity sets of events just committed (and fed). */
  remember(events: Iterable<QueuedEvent>, nowMs: number): void {
    for (const e of events) {
      if (e.receivedAt.getTime() - e.occurredAt.getTime() > LIVE_MS) continue;
      const key = keyOf(e);
      this.fed.delete(key); // re-inserted at the end: expires last
      this.fed.set(key, nowMs + this.ttlMs);
    }
    if (this.fed.size > this.max) {
      let excess = this.fed.size - this.max;
      for (const key of this.fed.keys()) {
        if (excess-- <= 0) break;
        this.fed.delete(key);
      }
    }
  }

  get size(): number {
    return this.fed.size;
  }
}

/** Control characters never occur in the identifiers (events.ts refuses them): \u001f separates. */
function keyOf(e: QueuedEvent): string {
  return `${e.trackerId}\u001f${e.adid ?? ''}\u001f${e.appUserId ?? ''}\u001f${e.cookieId ?? ''}`;
}
