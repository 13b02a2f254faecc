import type { LastContact } from './gateway.ts';

/**
 * Decides which contacts are worth a database write: a gateway's first in this process, one that
 * reports something new, or one a minute after the last write. A reconnect storm of a fleet then
 * costs one write per gateway, not one per request. Bounded, oldest out first.
 */
export class ContactThrottle {
  private readonly last = new Map<string, { at: number; report: string }>();

  constructor(
    private readonly intervalMs = 60_000,
    private readonly maxEntries = 200_000,
  ) {}

  shouldRecord(eui: string, contact: Omit<LastContact, 'at'>, now = Date.now()): boolean {
    const report = `${contact.station}\n${contact.model}\n${contact.package}\n${contact.peer}`;
    const previous = this.last.get(eui);
    if (previous && previous.report === report && now - previous.at < this.intervalMs) return false;
    this.last.delete(eui);
    if (this.last.size >= this.maxEntries) this.last.delete(this.last.keys().next().value!);
    this.last.set(eui, { at: now, report });
    return true;
  }
}
