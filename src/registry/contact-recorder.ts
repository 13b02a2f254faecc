import type { LRUCache } from 'lru-cache';
import { BatchedWriter } from '../lib/batched-writer.ts';
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
  a.station === b.station &&
  a.model === b.model &&
  a.package === b.package &&
  a.peer === b.peer &&
  a.certificate?.sha256 === b.certificate?.sha256;

/**
 * Writes contacts behind the answers: collected for up to `delayMs` (or `maxBatch` gateways) and
 * written in one transaction. A fleet reconnecting after an outage then costs a few transactions
 * a second instead of one each, off the path of every answer. One batch is written at a time;
 * while it is, contacts keep collecting, the latest per gateway, so a slow database holds at most
 * one contact a gateway in memory. A failed batch is reported once, with the gateways it held.
 */
export class ContactWriter extends BatchedWriter<string, LastContact> {
  constructor(
    registry: Pick<GatewayRegistry, 'recordContacts'>,
    onError: (error: unknown, euis: string[]) => void,
    delayMs = 1000,
    maxBatch = 1000,
  ) {
    super(
      (batch) => registry.recordContacts(batch),
      (error, batch) => onError(error, [...batch.keys()]),
      { delayMs, maxBatch },
    );
  }

  record(eui: string, contact: LastContact): void {
    this.add(eui, contact);
  }
}
