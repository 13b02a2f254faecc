import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AuditTrail } from '../../audit/audit-trail.ts';
import { CaInFolder, CaNotFound, CrlRefused } from '../../errors.ts';
import { pemCandidates } from '../../trust/check-ca-certificates.ts';
import type { DatabaseTrust } from '../../trust/database-trust.ts';
import type { TrustSources } from '../../trust/trust-sources.ts';
import { COMMON_TENANT, crlsIn, type StoredCertificate } from '../../trust/trust-store.ts';
import { requireTenant } from '../plugins/bearer-auth.ts';
import type { TenantDirectory } from '../tenant-directory.ts';

export interface CaRoutesOptions {
  trust: Pick<TrustSources, 'current' | 'refresh'>;
  databaseTrust: DatabaseTrust;
  tenants: TenantDirectory;
  audit: AuditTrail;
}

const PEM_LIMIT = 256 * 1024;
export const caView = {
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
export const tenantAndHashParams = {
  type: 'object',
  required: ['tenant', 'sha256'],
  properties: { tenant: { type: 'string', maxLength: 64 }, sha256: { type: 'string', maxLength: 128 } },
} as const;
/** A CA's or CRL's removal: by tenant and SHA-256, answered 204. */
const removalSchema = (operationId: string) =>
  ({ operationId, tags: ['trust'], params: tenantAndHashParams, response: { 204: { type: 'null' } } }) as const;
/** A SHA-256 as a path gives it: any case, with or without colons. */
const hashOf = (text: string) => text.toLowerCase().replace(/:/g, '');
export const tenantParams = { type: 'object', required: ['tenant'], properties: { tenant: { type: 'string', maxLength: 64 } } } as const;

export const describeCa = (cert: StoredCertificate, tenant: string) => ({
  sha256: cert.fingerprint,
  subject: cert.subjectText,
  issuer: cert.issuerText,
  notBefore: cert.notBefore.toISOString(),
  notAfter: cert.notAfter.toISOString(),
  root: cert.anchor,
  tenant,
  sources: [...(cert.inFolder.has(tenant) ? ['folder'] : []), ...(cert.inDatabase.has(tenant) ? ['database'] : [])],
});

/** Checks a tenant this token may reach, and that exists (`common` always does, for operators). */
const reachableTenant = (tenants: TenantDirectory) => async (request: FastifyRequest, tenant: string) => {
  requireTenant(request, tenant);
  if (tenant !== COMMON_TENANT) await tenants.require(tenant);
};

/** What `tenant` trusts: its own CAs, then those every tenant trusts (none of another tenant's). */
const trustedFor = (certificates: readonly StoredCertificate[], tenant: string) => [
  ...certificates.filter((c) => c.tenants.has(tenant)).map((c) => describeCa(c, tenant)),
  ...(tenant === COMMON_TENANT ? [] : certificates.filter((c) => c.tenants.has(COMMON_TENANT)).map((c) => describeCa(c, COMMON_TENANT))),
];

/**
 * A tenant's CAs: listed from the trust store this instance serves with, added to the database
 * (checked as a trust-store file is), removed from it. `common` is reached by operator tokens only.
 */
export const caRoutes: FastifyPluginAsync<CaRoutesOptions> = async (app, { trust, databaseTrust, tenants, audit }) => {
  app.addContentTypeParser(['application/x-pem-file', 'text/plain'], { parseAs: 'string', bodyLimit: PEM_LIMIT }, (_request, body, done) =>
    done(null, body),
  );

  const reachable = reachableTenant(tenants);

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
      const results = await databaseTrust.add(tenant, pemCandidates(request.body, 'the body'), trusted, request.adminToken!.name);
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
    { schema: removalSchema('removeCa') },
    async (request, reply) => {
      const { tenant } = request.params;
      await reachable(request, tenant);
      const sha256 = hashOf(request.params.sha256);
      const removed = await databaseTrust.remove(tenant, sha256).catch((error: unknown) => {
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

const crlView = {
  type: 'object',
  required: ['sha256', 'issuer', 'thisUpdate', 'nextUpdate', 'revoked', 'sources'],
  properties: {
    sha256: { type: 'string' },
    issuer: { type: 'string' },
    issuerSha256: { type: 'string' },
    thisUpdate: { type: 'string' },
    nextUpdate: { type: ['string', 'null'] },
    revoked: { type: 'integer', description: 'serial numbers it revokes' },
    sources: { type: 'array', items: { type: 'string' } },
  },
} as const;

/**
 * A tenant's CRLs: those that count for the CAs it trusts (from the tenants folder or the
 * database), added (a PEM or DER body, counted only when a CA the tenant trusts signed it) and
 * removed. They reach every instance within a second, as CAs do.
 */
export const crlRoutes: FastifyPluginAsync<CaRoutesOptions> = async (app, { trust, databaseTrust, tenants, audit }) => {
  app.addContentTypeParser(
    ['application/pkix-crl', 'application/x-pem-file', 'application/octet-stream'],
    { parseAs: 'buffer', bodyLimit: PEM_LIMIT },
    (_r, body, done) => done(null, body),
  );
  const reachable = reachableTenant(tenants);
  const trustedBy = (tenant: string) => (issuer: StoredCertificate) => issuer.tenants.has(tenant) || issuer.tenants.has(COMMON_TENANT);

  app.get<{ Params: { tenant: string } }>(
    '/api/tenants/:tenant/crls',
    { schema: { operationId: 'listCrls', tags: ['trust'], params: tenantParams, response: { 200: { type: 'array', items: crlView } } } },
    async (request) => {
      const { tenant } = request.params;
      await reachable(request, tenant);
      const store = trust.current;
      return store.crls
        .filter(({ issuer }) => trustedBy(tenant)(issuer))
        .map(({ issuer, crl }) => ({
          sha256: crl.sha256,
          issuer: issuer.subjectText,
          issuerSha256: issuer.fingerprint,
          thisUpdate: crl.thisUpdate.toISOString(),
          nextUpdate: crl.nextUpdate?.toISOString() ?? null,
          revoked: crl.revoked.size,
          sources: store.crlSources
            .filter((s) => s.crl.sha256 === crl.sha256)
            .map((s) => (s.source.startsWith('database') ? 'database' : 'folder')),
        }));
    },
  );

  app.post<{ Params: { tenant: string }; Body: Buffer }>(
    '/api/tenants/:tenant/crls',
    {
      schema: {
        operationId: 'addCrl',
        tags: ['trust'],
        description:
          'A CRL, PEM (application/x-pem-file) or DER (application/pkix-crl); it counts only when a CA the tenant trusts signed it.',
        params: tenantParams,
        response: {
          201: { type: 'object', required: ['sha256', 'added'], properties: { sha256: { type: 'string' }, added: { type: 'boolean' } } },
        },
      },
    },
    async (request, reply) => {
      const { tenant } = request.params;
      await reachable(request, tenant);
      const crls = crlsIn(request.body);
      if (crls.length !== 1) throw new CrlRefused(`give one CRL at a time; the body holds ${crls.length}`);
      const crl = crls[0]!;
      const signer = trust.current.certificates.find((issuer) => trustedBy(tenant)(issuer) && crl.signedBy(issuer));
      if (!signer) throw new CrlRefused(`no CA trusted for ${tenant} signed this CRL: add its CA first`);
      const added = await databaseTrust.addCrl(tenant, crl, request.adminToken!.name);
      if (added) {
        await audit.record([
          {
            actor: request.adminToken!.name,
            action: 'crl.add',
            tenant,
            detail: {
              sha256: crl.sha256,
              issuer: signer.subjectText,
              revoked: crl.revoked.size,
              nextUpdate: crl.nextUpdate?.toISOString() ?? null,
            },
          },
        ]);
      }
      await trust.refresh();
      return reply.code(201).send({ sha256: crl.sha256, added });
    },
  );

  app.delete<{ Params: { tenant: string; sha256: string } }>(
    '/api/tenants/:tenant/crls/:sha256',
    { schema: removalSchema('removeCrl') },
    async (request, reply) => {
      const { tenant } = request.params;
      await reachable(request, tenant);
      const sha256 = hashOf(request.params.sha256);
      await databaseTrust.removeCrl(tenant, sha256);
      await audit.record([{ actor: request.adminToken!.name, action: 'crl.remove', tenant, detail: { sha256 } }]);
      await trust.refresh();
      return reply.code(204).send();
    },
  );
};
