import type { LRUCache } from 'lru-cache';
import { RateLimited } from '../errors.ts';
import { boundedCache } from '../lib/bounded-cache.ts';

/** A rate as operators give it: sustained calls a minute, and how many may come at once. */
export interface RateLimit {
  perMinute: number;
  burst: number;
}

/**
 * Token buckets by key (a gateway's EUI, a client's address): each holds up to `burst` calls and
 * refills at `perMinute`. Bounded: the least recently seen key goes first, and a key that left
 * has a full bucket when it returns, which errs on the side of letting a gateway in.
 */
export class RateLimiter {
  private readonly buckets: LRUCache<string, { tokens: number; at: number }>;
  private readonly perMs: number;

  constructor(
    readonly limit: RateLimit,
    maxKeys = 200_000,
  ) {
    this.perMs = limit.perMinute / 60_000;
    this.buckets = boundedCache(maxKeys);
  }

  /** Takes one call for `key`: 0 when allowed, otherwise the whole seconds until one is. */
  take(key: string, now = Date.now()): number {
    let bucket = this.buckets.get(key);
    if (bucket) {
      bucket.tokens = Math.min(this.limit.burst, bucket.tokens + (now - bucket.at) * this.perMs);
      bucket.at = now;
    } else {
      bucket = { tokens: this.limit.burst, at: now };
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  /** Takes one call for `key` (named `label` in the message), or throws RateLimited with the wait. */
  enforce(key: string, label: string): void {
    const wait = this.take(key);
    if (wait > 0)
      throw new RateLimited(
        `${label} ${key} called more than ${this.limit.perMinute} times a minute (bursts of ${this.limit.burst}); retry after ${wait} s`,
        wait,
      );
  }
}
