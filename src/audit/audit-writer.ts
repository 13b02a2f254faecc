import type { AuditEvent, AuditTrail } from './audit-trail.ts';

/** Events held while the database cannot take them; past this, new ones are counted, not kept. */
const MAX_PENDING = 10_000;

/**
 * Writes the audit events of answers (what each station was handed) behind the answers: collected
 * for up to `delayMs` and written in one transaction, one batch at a time. A failed batch is
 * reported with its size and kept for the next one, up to MAX_PENDING events.
 */
export class AuditWriter {
  private pending: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private dropped = 0;

  constructor(
    private readonly audit: AuditTrail,
    private readonly onError: (error: unknown, events: number, dropped: number) => void,
    private readonly delayMs = 1000,
  ) {}

  record(event: AuditEvent): void {
    if (this.pending.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.pending.push(event);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.delayMs);
      this.timer.unref();
    }
  }

  /** Writes what is pending, after the batch in flight; never rejects. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight) return this.inFlight.then(() => this.flush());
    const batch = this.pending;
    if (batch.length === 0) return Promise.resolve();
    this.pending = [];
    this.inFlight = this.audit
      .record(batch)
      .catch((error: unknown) => {
        this.pending = [...batch, ...this.pending].slice(0, MAX_PENDING);
        this.onError(error, batch.length, this.dropped);
      })
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }
}
