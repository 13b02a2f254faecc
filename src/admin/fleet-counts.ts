import { LRUCache } from 'lru-cache';
import { EXPIRY_HORIZON_MS } from '../metrics/service-metrics.ts';
import type { LongReads } from '../registry/open-registry.ts';

/** What the fleet looks like, for every tenant or for one. */
export interface FleetCounts {
  /** When it was counted (ISO 8601): counts are at most COUNTED_FOR_MS old. */
  countedAt: string;
  tenants: { tenant: string; gateways: number; calledLastDay: number; certificatesExpiring: number }[];
  /** The station versions and the models gateways last reported, the commonest first (at most TOP each). */
  stations: { value: string | null; gateways: number }[];
  models: { value: string | null; gateways: number }[];
}

const DAY_MS = 86_400_000;
/** Counting a large fleet reads every gateway: counts are kept this long per scope. */
const COUNTED_FOR_MS = 30_000;
const TOP = 10;

/** The fleet counted by tenant, station version and model: whole-table reads (off the event loop), kept for a while per scope. */
export class FleetCounter {
  private readonly cache: LRUCache<string, FleetCounts>;

  constructor(private readonly sql: LongReads) {
    this.cache = new LRUCache({
      max: 1_000,
      ttl: COUNTED_FOR_MS,
      fetchMethod: (scope) => this.countNow(scope === '' ? undefined : scope.slice(1)),
    });
  }

  async close(): Promise<void> {
    await this.sql.close();
  }

  /** Counts for one tenant, or for all when `tenant` is undefined. */
  async count(tenant?: string): Promise<FleetCounts> {
    return (await this.cache.fetch(tenant === undefined ? '' : `=${tenant}`))!;
  }

  private async countNow(tenant: string | undefined): Promise<FleetCounts> {
    const now = Date.now();
    const scope = tenant === undefined ? '' : 'WHERE tenant = ?';
    const scoped = tenant === undefined ? [] : [tenant];
    const top = (column: string) =>
      this.sql.all<{ value: string | null; gateways: number | string }>(
        `SELECT ${column} AS value, count(*) AS gateways FROM gateways ${scope} GROUP BY ${column} ORDER BY gateways DESC, value LIMIT ${TOP}`,
        scoped,
      );
    const [tenants, stations, models] = await Promise.all([
      this.sql.all<{ tenant: string; gateways: number | string; called: number | string | null; expiring: number | string | null }>(
        `SELECT tenant, count(*) AS gateways,
           sum(CASE WHEN last_contact_at >= ? THEN 1 ELSE 0 END) AS called,
           sum(CASE WHEN last_cert_not_after < ? THEN 1 ELSE 0 END) AS expiring
         FROM gateways ${scope} GROUP BY tenant ORDER BY tenant`,
        [new Date(now - DAY_MS).toISOString(), new Date(now + EXPIRY_HORIZON_MS).toISOString(), ...scoped],
      ),
      top('last_station'),
      top('last_model'),
    ]);
    const counted = (rows: { value: string | null; gateways: number | string }[]) =>
      rows.map((row) => ({ value: row.value, gateways: Number(row.gateways) }));
    return {
      countedAt: new Date(now).toISOString(),
      tenants: tenants.map((row) => ({
        tenant: row.tenant,
        gateways: Number(row.gateways),
        calledLastDay: Number(row.called ?? 0),
        certificatesExpiring: Number(row.expiring ?? 0),
      })),
      stations: counted(stations),
      models: counted(models),
    };
  }
}
