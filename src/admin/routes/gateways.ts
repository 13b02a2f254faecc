import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { formatEuiHex, parseEui } from '../../../protocol/index.ts';
import type { AuditTrail } from '../../audit/audit-trail.ts';
import { parseDuration } from '../../config/serve-options.ts';
import { GatewayNotFound } from '../../errors.ts';
import { auditView, describeGateway } from '../../provisioning/describe-response.ts';
import {
  type CupsCertificateCheck,
  checkGatewayEdit,
  checkNewGateway,
  type FieldNames,
  type GatewayEdit,
} from '../../provisioning/gateway-input.ts';
import { parseRecords } from '../../provisioning/gateway-records.ts';
import { importGateways, recordsToGateways } from '../../provisioning/import-gateways.ts';
import { revocationChange, revocationEntry } from '../../provisioning/revoke-certificate.ts';
import type { GatewayRegistry } from '../../registry/gateway-registry.ts';
import { decodeCursor, encodeCursor, pagedQuery, pageOf } from '../paging.ts';
import { requireGatewayTenant, requireTenant, tenantAllowed } from '../plugins/bearer-auth.ts';
import type { TenantDirectory } from '../tenant-directory.ts';

export interface GatewayRoutesOptions {
  registry: Pick<GatewayRegistry, 'get' | 'page' | 'add' | 'addMany' | 'update' | 'remove'>;
  tenants: TenantDirectory;
  audit: AuditTrail;
  checkCupsCertificate: CupsCertificateCheck;
}

/** The fields of a gateway as the API's JSON names them (its paths: lns.uri, cups.cert, pins). */
const JSON_NAMES: FieldNames = (field) => field;

const text = { type: 'string', maxLength: 16 * 1024 } as const;
/** A fleet's import file: some thousands of gateways with their PEM inline. */
const IMPORT_LIMIT = 64 * 1024 * 1024;
const endpoint = {
  type: 'object',
  additionalProperties: false,
  properties: { uri: { type: 'string', maxLength: 255 }, trust: text, cert: text, key: text, token: { type: 'string', maxLength: 4096 } },
} as const;
const gatewayBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    eui: { type: 'string', maxLength: 64 },
    tenant: { type: 'string', maxLength: 64 },
    name: { type: 'string', maxLength: 256 },
    lns: endpoint,
    cups: endpoint,
    pins: { type: 'array', maxItems: 16, items: { type: 'string', maxLength: 128 } },
  },
} as const;
const gatewayEditBody = {
  ...gatewayBody,
  properties: {
    ...gatewayBody.properties,
    unpin: { type: 'boolean' },
    firmwareChannel: { type: 'string', maxLength: 64 },
    firmwarePin: { type: ['string', 'null'], maxLength: 64 },
  },
} as const;
/** A gateway as the API shows it: credentials by kind, CRC and public parts; never a key or token. */
const gatewayView = {
  type: 'object',
  additionalProperties: true,
  required: ['eui', 'tenant'],
  properties: { eui: { type: 'string' }, tenant: { type: 'string' } },
} as const;
export const euiParams = { type: 'object', required: ['eui'], properties: { eui: { type: 'string', maxLength: 64 } } } as const;

type Body = { eui?: string; tenant?: string; name?: string; lns?: GatewayEdit['lns']; cups?: GatewayEdit['cups']; pins?: string[] };

function euiOf(text: string): string {
  try {
    return formatEuiHex(parseEui(text));
  } catch {
    // Not an EUI: no gateway has it.
    throw new GatewayNotFound(`gateway ${text} is not registered`);
  }
}

const toInput = (body: Body): GatewayEdit => ({ ...body, lns: body.lns ?? {}, cups: body.cups ?? {} });

/** Gateways: paged by EUI, registered, read, changed and removed, each change audited. */
export const gatewayRoutes: FastifyPluginAsync<GatewayRoutesOptions> = async (app, { registry, tenants, audit, checkCupsCertificate }) => {
  /** A gateway this token may see, or the answer for one that does not exist. */
  const visible = async (request: FastifyRequest, eui: string) => {
    const gateway = await registry.get(eui, { fresh: true });
    requireGatewayTenant(request, eui, gateway?.tenant);
    return gateway!;
  };

  app.get<{ Querystring: { tenant?: string; q?: string; expiring?: string; limit: number; cursor?: string } }>(
    '/api/gateways',
    {
      schema: {
        operationId: 'listGateways',
        tags: ['gateways'],
        querystring: pagedQuery({
          tenant: { type: 'string', maxLength: 64 },
          q: { type: 'string', maxLength: 256 },
          expiring: {
            type: 'string',
            maxLength: 16,
            description: 'only gateways whose last presented certificate expires within this (30d, 12h)',
          },
        }),
        response: { 200: pageOf('gateways', gatewayView) },
      },
    },
    async (request) => {
      const { q, limit, cursor, expiring } = request.query;
      const own = request.adminToken!.tenant;
      if (own !== null && request.query.tenant !== undefined && request.query.tenant !== own) return { gateways: [], next: null };
      const tenant = own ?? request.query.tenant;
      const page = await registry.page({
        limit,
        ...(tenant === undefined ? {} : { tenant }),
        ...(q === undefined ? {} : { q }),
        ...(expiring === undefined ? {} : { expiringBefore: new Date(Date.now() + parseDuration(expiring, 'expiring')).toISOString() }),
        ...(cursor === undefined ? {} : { after: decodeCursor(cursor) }),
      });
      return { gateways: page.map(describeGateway), next: page.length === limit ? encodeCursor(page.at(-1)!.eui) : null };
    },
  );

  app.post<{ Body: Body }>(
    '/api/gateways',
    {
      schema: {
        operationId: 'addGateway',
        tags: ['gateways'],
        body: { ...gatewayBody, required: ['eui', 'tenant'] },
        response: { 201: gatewayView },
      },
    },
    async (request, reply) => {
      const token = request.adminToken!;
      requireTenant(request, request.body.tenant ?? '');
      await tenants.require(request.body.tenant!);
      const gateway = await checkNewGateway(toInput(request.body), JSON_NAMES, checkCupsCertificate);
      const added = await registry.add(gateway);
      await audit.record([
        { actor: token.name, action: 'gateway.add', tenant: added.tenant, eui: added.eui, detail: { after: auditView(added) } },
      ]);
      return reply.code(201).send(describeGateway(added));
    },
  );

  app.addContentTypeParser(
    ['text/csv', 'application/x-ndjson', 'application/jsonl'],
    { parseAs: 'string', bodyLimit: IMPORT_LIMIT },
    (_r, body, done) => done(null, body),
  );
  app.post<{ Body: string }>(
    '/api/gateways/import',
    {
      bodyLimit: IMPORT_LIMIT,
      schema: {
        operationId: 'importGateways',
        tags: ['gateways'],
        description:
          'A fleet as CSV (text/csv) or JSON lines (application/x-ndjson), with the columns of cups gateway import; all or nothing.',
        body: { type: 'string' },
        response: { 201: { type: 'object', required: ['imported'], properties: { imported: { type: 'integer' } } } },
      },
    },
    async (request, reply) => {
      const format = request.headers['content-type']?.startsWith('text/csv') ? 'csv' : 'jsonl';
      const records = parseRecords(request.body, format);
      const known = new Map<string, string | undefined>();
      const gateways = await recordsToGateways(records, checkCupsCertificate, {
        // A tenant the token cannot reach reads as one that does not exist.
        allowTenant: async (tenant) => {
          if (!known.has(tenant))
            known.set(
              tenant,
              tenantAllowed(request, tenant) && (await tenants.exists(tenant)) ? undefined : `there is no tenant ${tenant}`,
            );
          return known.get(tenant);
        },
      });
      await importGateways(registry, records, gateways);
      await audit.record([
        {
          actor: request.adminToken!.name,
          action: 'gateway.import',
          tenant: request.adminToken!.tenant,
          detail: { gateways: gateways.length, tenants: [...known.keys()] },
        },
      ]);
      return reply.code(201).send({ imported: gateways.length });
    },
  );

  app.get<{ Params: { eui: string } }>(
    '/api/gateways/:eui',
    { schema: { operationId: 'getGateway', tags: ['gateways'], params: euiParams, response: { 200: gatewayView } } },
    async (request) => describeGateway(await visible(request, euiOf(request.params.eui))),
  );

  app.patch<{ Params: { eui: string }; Body: Body & Omit<GatewayEdit, 'lns' | 'cups'> }>(
    '/api/gateways/:eui',
    {
      schema: {
        operationId: 'changeGateway',
        tags: ['gateways'],
        params: euiParams,
        body: gatewayEditBody,
        response: { 200: gatewayView },
      },
    },
    async (request) => {
      const token = request.adminToken!;
      const eui = euiOf(request.params.eui);
      const current = await visible(request, eui);
      const { eui: _ignored, ...edit } = request.body;
      if (edit.tenant !== undefined && edit.tenant !== current.tenant) {
        requireTenant(request, edit.tenant);
        await tenants.require(edit.tenant);
      }
      const changes = await checkGatewayEdit(current, toInput(edit), JSON_NAMES, checkCupsCertificate);
      const updated = await registry.update(eui, changes);
      await audit.record([
        {
          actor: token.name,
          action: 'gateway.change',
          tenant: updated.tenant,
          eui,
          detail: { before: auditView(current), after: auditView(updated) },
        },
      ]);
      return describeGateway(updated);
    },
  );

  app.post<{ Params: { eui: string }; Body: { certificate?: string; serial?: string; sha256?: string } }>(
    '/api/gateways/:eui/revoked-certificates',
    {
      schema: {
        operationId: 'revokeCertificate',
        tags: ['gateways'],
        description:
          "Refuses one of the gateway's client certificates on every instance: the certificate (PEM), its serial (hex) or its SHA-256.",
        params: euiParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { certificate: text, serial: { type: 'string', maxLength: 64 }, sha256: { type: 'string', maxLength: 128 } },
        },
        response: { 200: gatewayView },
      },
    },
    async (request) => {
      const eui = euiOf(request.params.eui);
      const current = await visible(request, eui);
      const entry = revocationEntry(request.body, { certificate: 'certificate', serial: 'serial', sha256: 'sha256' });
      const change = revocationChange(current, entry);
      if (!change) return describeGateway(current);
      const updated = await registry.update(eui, change);
      await audit.record([
        { actor: request.adminToken!.name, action: 'certificate.revoke', tenant: current.tenant, eui, detail: { revoked: entry } },
      ]);
      return describeGateway(updated);
    },
  );

  app.delete<{ Params: { eui: string } }>(
    '/api/gateways/:eui',
    { schema: { operationId: 'removeGateway', tags: ['gateways'], params: euiParams, response: { 204: { type: 'null' } } } },
    async (request, reply) => {
      const token = request.adminToken!;
      const eui = euiOf(request.params.eui);
      const current = await visible(request, eui);
      await registry.remove(eui);
      await audit.record([
        { actor: token.name, action: 'gateway.remove', tenant: current.tenant, eui, detail: { before: auditView(current) } },
      ]);
      return reply.code(204).send();
    },
  );
};
