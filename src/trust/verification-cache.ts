import type { LRUCache } from 'lru-cache';
import { boundedCache } from '../lib/bounded-cache.ts';
import type { VerifiedChain } from './verify-chain.ts';

/**
 * Verified chains by what the client presented (the forwarded header's text, or the DER of the
 * TLS chain), so a gateway that calls again costs a lookup instead of a parse and a chain walk.
 * Bounded (least recently used out first), each entry expires when its verdict does (the chain's earliest notAfter, or a CRL's nextUpdate), and the
 * whole cache is dropped whenever the trust store changes. Only successes are kept.
 */
export class VerificationCache {
  private readonly entries: LRUCache<string, { chain: VerifiedChain; expires: number }>;

  constructor(maxEntries = 100_000) {
    this.entries = boundedCache(maxEntries);
  }

  get(key: string, now = Date.now()): VerifiedChain | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now > entry.expires) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.chain;
  }

  set(key: string, chain: VerifiedChain): void {
    this.entries.set(key, { chain, expires: chain.validUntil });
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
