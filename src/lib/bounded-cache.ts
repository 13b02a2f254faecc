import { LRUCache } from 'lru-cache';

/**
 * A cache of at most `entries` values, the least recently used going first (lru-cache). Counted
 * by size rather than by lru-cache's `max`, which allocates room for every entry up front: a
 * bound of 200,000 would hold megabytes while the cache is nearly empty.
 */
export function boundedCache<K extends {}, V extends {}>(entries: number, options: { ttlMs?: number } = {}): LRUCache<K, V> {
  return new LRUCache<K, V>({
    maxSize: entries,
    sizeCalculation: () => 1,
    ...(options.ttlMs === undefined ? {} : { ttl: options.ttlMs, updateAgeOnGet: false }),
  });
}
