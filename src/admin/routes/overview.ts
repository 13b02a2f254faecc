import type { FastifyPluginAsync } from 'fastify';
import type { RecentRefusals } from '../../metrics/recent-refusals.ts';
import { EXPIRY_HORIZON_MS } from '../../metrics/service-metrics.ts';
import type { TrustSources } from '../../trust/trust-sources.ts';
import { COMMON_TENANT } from '../../trust/trust-store.ts';
import type { FleetCounter } from '../fleet-counts.ts';
import type { TenantDirectory } from '../tenant-directory.ts';
import { caView, describeCa } from './cas.ts';

export interface OverviewRoutesOptions {
  fleet: FleetCounter;
  tenants: TenantDirectory;
  trust: Pick<TrustSources, 'current'>;
  /** This instance's refusals of the last hour; absent without metrics. */
  refusals?: RecentRefusals;
}

const counted = {
  type: 'array',
  items: {
    type: 'object',
    required: ['value', 'gateways'],
    properties: { value: { type: ['string', 'null'] }, gateways: { type: 'integer' } },
  },
} as const;

/**
 * The fleet at a glance, for what the token may see: gateways by tenant and how many called in the
 * last day, station versions and models, CAs and client certificates expiring within 30 days, and
 * (operators only: they are not any one tenant's) this instance's refusals of the last hour by code.
 */
export const overviewRoutes: FastifyPluginAsync<OverviewRoutesOptions> = async (app, { fleet, tenants, trust, refusals }) => {
  app.get(
    '/api/overview',
    {
      schema: {
        operationId: 'fleetOverview',
        tags: ['overview'],
        response: {
          200: {
            type: 'object',
            required: ['countedAt', 'tenants', 'stations', 'models', 'expiringCas', 'refusalsLastHour'],
            properties: {
              countedAt: { type: 'string', description: 'when the gateways were counted (counts are kept up to 30 s)' },
              tenants: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['tenant', 'gateways', 'calledLastDay', 'certificatesExpiring'],
                  properties: {
                    tenant: { type: 'string' },
                    gateways: { type: 'integer' },
                    calledLastDay: { type: 'integer' },
                    certificatesExpiring: { type: 'integer', description: 'last presented client certificates expiring within 30 days' },
                  },
                },
              },
              stations: counted,
              models: counted,
              expiringCas: { type: 'array', items: caView, description: 'CAs expiring within 30 days, the soonest first' },
              refusalsLastHour: {
                type: ['array', 'null'],
                description: "this instance's refusals by code; null for a tenant token",
                items: {
                  type: 'object',
                  required: ['code', 'count'],
                  properties: { code: { type: 'string' }, count: { type: 'integer' } },
                },
              },
            },
          },
        },
      },
    },
    async (request) => {
      const own = request.adminToken!.tenant;
      // The fleet counter has counted each tenant's gateways: the directory gives only the ids, so
      // that tenants without gateways are listed too.
      const [counts, known] = await Promise.all([fleet.count(own ?? undefined), tenants.ids(own ?? undefined)]);
      const byTenant = new Map(counts.tenants.map((row) => [row.tenant, row]));
      const horizon = Date.now() + EXPIRY_HORIZON_MS;
      const expiringCas = trust.current.certificates
        .filter((cert) => cert.notAfter.getTime() < horizon)
        .flatMap((cert) =>
          [...cert.tenants].filter((t) => own === null || t === own || t === COMMON_TENANT).map((t) => describeCa(cert, t)),
        )
        .sort((a, b) => a.notAfter.localeCompare(b.notAfter));
      return {
        ...counts,
        tenants: known.map((id) => byTenant.get(id) ?? { tenant: id, gateways: 0, calledLastDay: 0, certificatesExpiring: 0 }),
        expiringCas,
        refusalsLastHour: own === null ? (refusals?.lastHour() ?? []) : null,
      };
    },
  );
};
