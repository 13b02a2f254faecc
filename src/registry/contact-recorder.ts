import type { LRUCache } from 'lru-cache';
import { boundedCache } from '../lib/bounded-cache.ts';
import type { GatewayRegistry, LastContact } from './gateway-registry.ts';

/**
 * Decides which contacts are worth a database write: a gateway's first in this process, one that
 * reports something new, or the same report again once its refresh is due, 1 to 1.5 intervals
 * after the last write. A reconnect storm of a fleet then costs one write per gateway, not one per
 * request, and the spread keeps gateways first seen together from being rewritten together,
 * in one wave, every interval after. Bounded, least recently seen out first.
 */
export class ContactThrottle {
  private readonly last: LRUCache<string, { due: number; report: Omit<LastContact, 'at'> }>;

  constructor(
    private readonly intervalMs = 60_000,
    maxEntries = 200_000,
    /** A number in [0, 1) per write: where in the half interval of spread its refresh falls. */
    private readonly random: () => number = Math.random,
  ) {
    this.last = boundedCache(maxEntries);
  }

  shouldRecord(eui: string, contact: Omit<LastContact, 'at'>, now = Date.now()): boolean {
    const previous = this.last.get(eui);
    if (previous && now < previous.due && sameReport(previous.report, contact)) return false;
    this.last.set(eui, { due: now + this.intervalMs * (1 + this.random() / 2), report: contact });
    return true;
  }
}

const sameReport = (a: Omit<LastContact, 'at'>, b: Omit<LastContact, 'at'>) =>
  a.station === b.station && a.model === b.model && a.package === b.package && a.peer === b.peer;

/**
 * Writes contacts behind the answers: collected for up to `delayMs` (or `maxBatch` gateways) and
 * written in one transaction. A fleet reconnecting after an outage then costs a few transactions
 * a second instead of one each, off the path of every answer. One batch is written at a time;
 * while it is, contacts keep collecting, the latest per gateway, so a slow database holds at most
 * one contact a gateway in memory. A failed batch is reported once, with the gateways it held.
 */
export class ContactWriter {
  private pending = new Map<string, LastContact>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly registry: Pick<GatewayRegistry, 'recordContacts'>,
    private readonly onError: (error: unknown, euis: string[]) => void,
    private readonly delayMs = 1000,
    private readonly maxBatch = 1000,
  ) {}

  record(eui: string, contact: LastContact): void {
    this.pending.set(eui, contact);
    if (this.pending.size >= this.maxBatch && !this.inFlight) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.delayMs);
      this.timer.unref();
    }
  }

  /** Writes what is pending, once the batch in flight (if any) is written; never rejects. The server calls it on close. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight) return this.inFlight.then(() => this.flush());
    const batch = this.pending;
    if (batch.size === 0) return Promise.resolve();
    this.pending = new Map();
    this.inFlight = this.registry
      .recordContacts(batch)
      .catch((error: unknown) => this.onError(error, [...batch.keys()]))
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }
}
