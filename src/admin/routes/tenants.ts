import type { FastifyPluginAsync } from 'fastify';
import type { AuditTrail } from '../../audit/audit-trail.ts';
import { requireOperator, requireTenant } from '../plugins/bearer-auth.ts';
import type { TenantDirectory } from '../tenant-directory.ts';

const tenantSchema = {
  type: 'object',
  required: ['id', 'createdAt', 'gateways'],
  properties: { id: { type: 'string' }, createdAt: { type: 'string' }, gateways: { type: 'integer' } },
} as const;
const params = { type: 'object', required: ['tenant'], properties: { tenant: { type: 'string', maxLength: 64 } } } as const;

/** Tenants: every one for an operator token, its own for a tenant token; made and removed by operators. */
export const tenantRoutes: FastifyPluginAsync<{ tenants: TenantDirectory; audit: AuditTrail }> = async (app, { tenants, audit }) => {
  app.get(
    '/api/tenants',
    { schema: { operationId: 'listTenants', tags: ['tenants'], response: { 200: { type: 'array', items: tenantSchema } } } },
    async (request) => {
      const own = request.adminToken!.tenant;
      return own === null ? tenants.list() : tenants.list(own);
    },
  );
  app.post<{ Body: { id: string } }>(
    '/api/tenants',
    {
      schema: {
        operationId: 'addTenant',
        tags: ['tenants'],
        body: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', maxLength: 64 } } },
        response: { 201: tenantSchema },
      },
    },
    async (request, reply) => {
      const token = request.adminToken!;
      requireOperator(request, 'makes tenants');
      const tenant = await tenants.add(request.body.id);
      await audit.record([{ actor: token.name, action: 'tenant.add', tenant: tenant.id, detail: {} }]);
      return reply.code(201).send(tenant);
    },
  );
  app.get<{ Params: { tenant: string } }>(
    '/api/tenants/:tenant',
    { schema: { operationId: 'getTenant', tags: ['tenants'], params, response: { 200: tenantSchema } } },
    async (request) => {
      requireTenant(request, request.params.tenant);
      return tenants.get(request.params.tenant);
    },
  );
  app.delete<{ Params: { tenant: string } }>(
    '/api/tenants/:tenant',
    { schema: { operationId: 'removeTenant', tags: ['tenants'], params, response: { 204: { type: 'null' } } } },
    async (request, reply) => {
      const token = request.adminToken!;
      requireTenant(request, request.params.tenant);
      requireOperator(request, 'removes tenants');
      await tenants.remove(request.params.tenant);
      await audit.record([{ actor: token.name, action: 'tenant.remove', tenant: request.params.tenant, detail: {} }]);
      return reply.code(204).send();
    },
  );
};
