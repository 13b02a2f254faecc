import type { GatewayRegistry, LastContact } from './gateway.ts';

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

/**
 * Writes contacts behind the answers: collected for up to `delayMs` (or `maxBatch` gateways) and
 * written in one transaction. A fleet reconnecting after an outage then costs a few transactions
 * a second instead of one each, off the path of every answer. A failed batch is reported once
 * with the gateways it held; `flush()` writes what is pending (the server calls it on close).
 */
export class ContactWriter {
  private pending = new Map<string, LastContact>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly registry: Pick<GatewayRegistry, 'recordContacts'>,
    private readonly onError: (error: unknown, euis: string[]) => void,
    private readonly delayMs = 1000,
    private readonly maxBatch = 1000,
  ) {}

  record(eui: string, contact: LastContact): void {
    this.pending.set(eui, contact);
    if (this.pending.size >= this.maxBatch) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.delayMs);
      this.timer.unref();
    }
  }

  /** Writes what is pending, after any batch already being written; never rejects. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    if (batch.size === 0) return this.writing;
    this.pending = new Map();
    this.writing = this.writing.then(() => this.registry.recordContacts(batch)).catch((error: unknown) => this.onError(error, [...batch.keys()]));
    return this.writing;
  }
}
