import type { FastifyPluginAsync } from 'fastify';
import type { AuditTrail } from '../../audit/audit-trail.ts';
import { CaInFolder, CaNotFound } from '../../errors.ts';
import { pemCandidates } from '../../trust/check-ca-certificates.ts';
import type { DatabaseCas } from '../../trust/database-cas.ts';
import type { TrustSources } from '../../trust/trust-sources.ts';
import { COMMON_TENANT, type StoredCertificate } from '../../trust/trust-store.ts';
import { requireTenant } from '../plugins/bearer-auth.ts';
import type { TenantDirectory } from '../tenant-directory.ts';

export interface CaRoutesOptions {
  trust: Pick<TrustSources, 'current' | 'refresh'>;
  databaseCas: DatabaseCas;
  tenants: TenantDirectory;
  audit: AuditTrail;
}

const PEM_LIMIT = 256 * 1024;
const caView = {
  type: 'object',
  required: ['sha256', 'subject', 'issuer', 'notBefore', 'notAfter', 'tenant', 'sources'],
  properties: {
    sha256: { type: 'string' },
    subject: { type: 'string' },
    issuer: { type: 'string' },
    notBefore: { type: 'string' },
    notAfter: { type: 'string' },
    root: { type: 'boolean' },
    tenant: { type: 'string', description: 'the tenant that trusts it, or common: every tenant' },
    sources: { type: 'array', items: { type: 'string', enum: ['folder', 'database'] } },
  },
} as const;
const tenantParams = { type: 'object', required: ['tenant'], properties: { tenant: { type: 'string', maxLength: 64 } } } as const;

const describeCa = (cert: StoredCertificate, tenant: string) => ({
  sha256: cert.fingerprint,
  subject: cert.subjectText,
  issuer: cert.issuerText,
  notBefore: cert.notBefore.toISOString(),
  notAfter: cert.notAfter.toISOString(),
  root: cert.anchor,
  tenant,
  sources: [...(cert.inFolder.has(tenant) ? ['folder'] : []), ...(cert.inDatabase.has(tenant) ? ['database'] : [])],
});

/** What `tenant` trusts: its own CAs, then those every tenant trusts (none of another tenant's). */
const trustedFor = (certificates: readonly StoredCertificate[], tenant: string) => [
  ...certificates.filter((c) => c.tenants.has(tenant)).map((c) => describeCa(c, tenant)),
  ...(tenant === COMMON_TENANT ? [] : certificates.filter((c) => c.tenants.has(COMMON_TENANT)).map((c) => describeCa(c, COMMON_TENANT))),
];

/**
 * A tenant's CAs: listed from the trust store this instance serves with, added to the database
 * (checked as a trust-store file is), removed from it. `common` is reached by operator tokens only.
 */
export const caRoutes: FastifyPluginAsync<CaRoutesOptions> = async (app, { trust, databaseCas, tenants, audit }) => {
  app.addContentTypeParser(['application/x-pem-file', 'text/plain'], { parseAs: 'string', bodyLimit: PEM_LIMIT }, (_request, body, done) =>
    done(null, body),
  );

  /** A tenant this token may reach, and that exists (`common` always does). */
  const reachable = async (request: Parameters<typeof requireTenant>[0], tenant: string) => {
    requireTenant(request, tenant);
    if (tenant !== COMMON_TENANT) await tenants.require(tenant);
  };

  app.get<{ Params: { tenant: string } }>(
    '/api/tenants/:tenant/cas',
    { schema: { operationId: 'listCas', tags: ['trust'], params: tenantParams, response: { 200: { type: 'array', items: caView } } } },
    async (request) => {
      await reachable(request, request.params.tenant);
      return trustedFor(trust.current.certificates, request.params.tenant);
    },
  );

  app.post<{ Params: { tenant: string }; Body: string }>(
    '/api/tenants/:tenant/cas',
    {
      schema: {
        operationId: 'addCas',
        tags: ['trust'],
        description: 'A PEM body (application/x-pem-file) of one or more CA certificates, checked as a trust-store file is.',
        params: tenantParams,
        body: { type: 'string', maxLength: PEM_LIMIT },
        response: { 201: { type: 'array', items: { ...caView, properties: { ...caView.properties, added: { type: 'boolean' } } } } },
      },
    },
    async (request, reply) => {
      const { tenant } = request.params;
      await reachable(request, tenant);
      const trusted = trust.current.certificates.filter((c) => c.tenants.has(tenant) || c.tenants.has(COMMON_TENANT));
      const results = await databaseCas.add(tenant, pemCandidates(request.body, 'the body'), trusted, request.adminToken!.name);
      const added = results.filter((r) => r.added);
      if (added.length > 0) {
        await audit.record(
          added.map(({ facts }) => ({
            actor: request.adminToken!.name,
            action: 'ca.add',
            tenant,
            detail: { sha256: facts.fingerprint, subject: facts.subjectText, notAfter: facts.notAfter.toISOString() },
          })),
        );
      }
      // This instance serves with them before it answers; the others within their next poll.
      await trust.refresh();
      const byFingerprint = new Map(trust.current.certificates.map((c) => [c.fingerprint, c]));
      return reply.code(201).send(
        results.map(({ facts, added }) => {
          const stored = byFingerprint.get(facts.fingerprint);
          return { ...(stored ? describeCa(stored, tenant) : { sha256: facts.fingerprint }), added };
        }),
      );
    },
  );

  app.delete<{ Params: { tenant: string; sha256: string } }>(
    '/api/tenants/:tenant/cas/:sha256',
    {
      schema: {
        operationId: 'removeCa',
        tags: ['trust'],
        params: {
          type: 'object',
          required: ['tenant', 'sha256'],
          properties: { tenant: { type: 'string', maxLength: 64 }, sha256: { type: 'string', maxLength: 128 } },
        },
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      const { tenant } = request.params;
      await reachable(request, tenant);
      const sha256 = request.params.sha256.toLowerCase().replace(/:/g, '');
      const removed = await databaseCas.remove(tenant, sha256).catch((error: unknown) => {
        const inFolder = trust.current.certificates.some((c) => c.fingerprint === sha256 && c.inFolder.has(tenant));
        if (error instanceof CaNotFound && inFolder)
          throw new CaInFolder(
            `the CA ${sha256} of tenant ${tenant} comes from the tenants folder: an operator removes its file (cups ca remove) on each machine`,
          );
        throw error;
      });
      await audit.record([
        {
          actor: request.adminToken!.name,
          action: 'ca.remove',
          tenant,
          detail: { sha256, addedBy: removed.addedBy, addedAt: removed.addedAt },
        },
      ]);
      await trust.refresh();
      return reply.code(204).send();
    },
  );
};
