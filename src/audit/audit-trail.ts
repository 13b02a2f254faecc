import { inFixedBatches, placeholderRows } from '../registry/fixed-batches.ts';
import type { SqlExecutor } from '../registry/sql-dialect.ts';

/** The insert of `size` events in one statement. */
const insertSql = (size: number) => `INSERT INTO audit_events (at, actor, tenant, eui, action, detail) VALUES ${placeholderRows(size, 6)}`;

/** An event as the columns of its row (at, actor, tenant, eui, action, detail as JSON). */
export type AuditRowValues = readonly [string, string, string | null, string | null, string, string];

/** The row of an event: made when the event is kept, so that only flat values wait for the write. */
export function auditRow(event: AuditEvent, at = event.at ?? Date.now()): AuditRowValues {
  return [isoTime(at), event.actor, event.tenant ?? null, event.eui ?? null, event.action, JSON.stringify(event.detail)];
}

let lastTime: { ms: number; iso: string } | undefined;

/** The ISO text of a time in ms: the events of one millisecond (dozens, in a busy server's hand-overs) share it. */
function isoTime(ms: number): string {
  if (lastTime?.ms !== ms) lastTime = { ms, iso: new Date(ms).toISOString() };
  return lastTime.iso;
}

/** One entry of the audit trail: a change (who made it, what, before and after) or a hand-over. */
export interface AuditEvent {
  /** A token's name, `cli`, or `station` for what a gateway was handed. */
  actor: string;
  action: string;
  tenant?: string | null;
  eui?: string | null;
  /** What changed or was handed over, never a secret (credentials by kind and CRC). */
  detail: Record<string, unknown>;
  /** When it happened, in ms since the epoch; when absent, when it is recorded. */
  at?: number;
}

export interface RecordedAuditEvent extends Required<Omit<AuditEvent, 'at'>> {
  id: number;
  at: string;
}

export interface AuditQuery {
  since?: string;
  tenant?: string;
  eui?: string;
  /** The id of the last event of the previous page: pages go from the newest back. */
  before?: number;
  limit: number;
}

interface AuditRow {
  id: number | string;
  at: string;
  actor: string;
  tenant: string | null;
  eui: string | null;
  action: string;
  detail: string;
}

/** The audit trail in the registry database, kept `retentionDays` and pruned by `prune`. */
export class AuditTrail {
  constructor(private readonly sql: SqlExecutor) {}

  async record(events: AuditEvent[]): Promise<void> {
    await this.recordRows(events.map((event) => auditRow(event)));
  }

  /** Writes rows made by auditRow, in one transaction. */
  async recordRows(rows: readonly AuditRowValues[]): Promise<void> {
    if (rows.length === 0) return;
    await this.sql.transaction((tx) => inFixedBatches(rows, insertSql, (sql, params) => tx.run(sql, params)));
  }

  async list({ since, tenant, eui, before, limit }: AuditQuery): Promise<RecordedAuditEvent[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [clause, value] of [
      ['at >= ?', since],
      ['tenant = ?', tenant],
      ['eui = ?', eui],
      ['id < ?', before],
    ] as const) {
      if (value === undefined) continue;
      where.push(clause);
      params.push(value);
    }
    const rows = await this.sql.all<AuditRow>(
      `SELECT id, at, actor, tenant, eui, action, detail FROM audit_events${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map((row) => ({ ...row, id: Number(row.id), detail: JSON.parse(row.detail) as Record<string, unknown> }));
  }

  /** Removes events older than `days` days; returns how many. */
  prune(days: number, now = Date.now()): Promise<number> {
    return this.sql.run('DELETE FROM audit_events WHERE at < ?', [new Date(now - days * 86_400_000).toISOString()]);
  }
}
