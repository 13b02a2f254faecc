import { BatchedWriter } from '../lib/batched-writer.ts';
import { type AuditEvent, type AuditRowValues, type AuditTrail, auditRow } from './audit-trail.ts';

/** Events held while the database cannot take them; past this, new ones are counted, not kept. */
const MAX_PENDING = 10_000;

/**
 * Writes the audit events of answers (what each station was handed) behind the answers: collected
 * for a second and written in one transaction. A failed batch is reported and kept for the next
 * attempt, up to MAX_PENDING events.
 */
export class AuditWriter extends BatchedWriter<number, AuditRowValues> {
  private next = 0;

  constructor(audit: AuditTrail, onError: (error: unknown, events: number, dropped: number) => void, delayMs = 1000) {
    super(
      (batch) => audit.recordRows([...batch.values()]),
      (error, batch) => onError(error, batch.size, this.dropped),
      { delayMs, maxBatch: 1000, maxPending: MAX_PENDING, keepFailed: true },
    );
  }

  /** Keeps the event, as its row stamped with the time now, for the next batch. */
  record(event: AuditEvent): void {
    this.add(this.next++, auditRow(event));
  }
}
