/**
 * Token buckets in memory for the public endpoints (pixel collection, MAT postbacks), one per key
 * (track id or link code + client IP). Per process: behind N API processes the effective limit is N
 * times the configured one, which is fine for its purpose (one misbehaving page or script cannot
 * flood the writer), and it needs no shared store. Real (monotonic) time, not services.clock: tests
 * move the clock by days and that must not refill buckets.
 */
import { createError } from '../core/errors';

export const TooManyRequests = createError('rate-limited', 429, 'Too many requests');

export interface RateLimit {
  /** Tokens added per second (sustained requests per second per key). */
  ratePerSecond: number;
  /** Bucket size (requests allowed in a burst). */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Above this many keys, idle (full) buckets are dropped so memory stays bounded. */
const SWEEP_ABOVE = 50_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private limit: RateLimit) {}

  configure(limit: Partial<RateLimit>): void {
    this.limit = { ...this.limit, ...limit };
    this.buckets.clear();
  }

  /** Takes one token; returns 0 when allowed, otherwise the seconds until the next token. */
  take(key: string, now = performance.now()): number {
    const { ratePerSecond, burst } = this.limit;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= SWEEP_ABOVE) this.sweep(now);
      b = { tokens: burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * ratePerSecond);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / ratePerSecond));
  }

  private sweep(now: number): void {
    const { ratePerSecond, burst } = this.limit;
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * ratePerSecond >= burst) this.buckets.delete(key);
    }
  }
}

/** Throws 429 with Retry-After when the key has no token left. */
export function enforce(limiter: RateLimiter, key: string, res: { setHeader(name: string, value: string): unknown }, what: string): void {
  const wait = limiter.take(key);
  if (wait === 0) return;
  res.setHeader('Retry-After', String(wait));
  throw new TooManyRequests(`Too many requests for ${what} from this address; retry after ${wait} s`, { retryAfterSeconds: wait });
}
