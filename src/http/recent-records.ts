import type { LRUCache } from 'lru-cache';
import { boundedCache } from '../lib/bounded-cache.ts';
import type { Gateway } from '../registry/gateway-registry.ts';

/** Gateways remembered at most, whatever the fleet: those read most recently stay. */
const MAX_RECORDS = 200_000;

/**
 * The gateway records read from the registry in the last `maxAgeMs`, kept to answer those
 * gateways while the registry cannot be reached: a refusal would move a station to its fallback
 * credentials, for a fault that will pass. Records are kept only once read for an authenticated
 * gateway, and only registered ones.
 */
export class RecentRecords {
  private readonly records: LRUCache<string, Gateway>;

  constructor(readonly maxAgeMs: number) {
    this.records = boundedCache(MAX_RECORDS, { ttlMs: maxAgeMs });
  }

  remember(gateway: Gateway): void {
    this.records.set(gateway.eui, gateway);
  }

  /** The record read in the last maxAgeMs, with how long ago, or undefined. */
  recall(eui: string): { gateway: Gateway; ageMs: number } | undefined {
    const gateway = this.records.get(eui);
    if (!gateway) return undefined;
    return { gateway, ageMs: Math.max(0, this.maxAgeMs - this.records.getRemainingTTL(eui)) };
  }
}
