import type { FastifyPluginAsync } from 'fastify';
import { formatEuiHex, parseEui } from '../../../protocol/index.ts';
import type { AuditTrail } from '../../audit/audit-trail.ts';
import { InvalidRequest } from '../../errors.ts';
import { decodeCursor, encodeCursor, pagedQuery, pageOf } from '../paging.ts';

interface AuditQuerystring {
  since?: string;
  tenant?: string;
  eui?: string;
  limit: number;
  cursor?: string;
}

const eventSchema = {
  type: 'object',
  required: ['id', 'at', 'actor', 'action', 'detail'],
  properties: {
    id: { type: 'integer' },
    at: { type: 'string' },
    actor: { type: 'string' },
    tenant: { type: ['string', 'null'] },
    eui: { type: ['string', 'null'] },
    action: { type: 'string' },
    detail: { type: 'object', additionalProperties: true },
  },
} as const;

/** The audit trail, newest first, by pages; a tenant token sees its tenant's events only. */
export const auditRoutes: FastifyPluginAsync<{ audit: AuditTrail }> = async (app, { audit }) => {
  app.get<{ Querystring: AuditQuerystring }>(
    '/api/audit',
    {
      schema: {
        operationId: 'listAudit',
        tags: ['audit'],
        querystring: pagedQuery({
          since: { type: 'string', format: 'date-time' },
          tenant: { type: 'string', maxLength: 64 },
          eui: { type: 'string', maxLength: 64 },
        }),
        response: { 200: pageOf('events', eventSchema) },
      },
    },
    async (request) => {
      const { since, eui, limit, cursor } = request.query;
      const own = request.adminToken!.tenant;
      // A tenant token asking for another tenant's events gets what a tenant with none gets.
      if (own !== null && request.query.tenant !== undefined && request.query.tenant !== own) return { events: [], next: null };
      const tenant = own ?? request.query.tenant;
      let euiHex: string | undefined;
      if (eui !== undefined) {
        try {
          euiHex = formatEuiHex(parseEui(eui));
        } catch (error) {
          throw new InvalidRequest(`eui: ${(error as Error).message}`);
        }
      }
      const before = cursor === undefined ? undefined : Number(decodeCursor(cursor));
      if (before !== undefined && !Number.isSafeInteger(before)) throw new InvalidRequest('cursor is not one this API gave');
      const events = await audit.list({
        limit,
        ...(since === undefined ? {} : { since: new Date(since).toISOString() }),
        ...(tenant === undefined ? {} : { tenant }),
        ...(euiHex === undefined ? {} : { eui: euiHex }),
        ...(before === undefined ? {} : { before }),
      });
      return { events, next: events.length === limit ? encodeCursor(String(events.at(-1)!.id)) : null };
    },
  );
};
