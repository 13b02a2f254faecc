import { createPublicKey } from 'node:crypto';
import { certificateDer, encodeCredentials, privateKeyDer, splitCredentials } from '../../protocol/index.ts';
import type { AuditEvent } from '../audit/audit-trail.ts';
import type { IssuedCertificate } from '../pki/create-certificate.ts';
import { createGatewayCertificate } from '../pki/gateway-certificate.ts';
import type { KeyType } from '../pki/keys.ts';
import { loadIssuer } from '../pki/load-issuer.ts';
import type { Gateway, GatewayChanges, PendingRenewal } from '../registry/gateway-registry.ts';
import type { SealedRegistry } from '../registry/sealed-registry.ts';
import { issuerKeyOwner } from '../registry/sealed-registry.ts';
import { type CertificateFacts, parseCertificate } from '../trust/certificate-facts.ts';
import type { IssuerPolicy, TenantIssuers } from './tenant-issuers.ts';

export type RenewalKind = PendingRenewal['kind'];
export type RenewalStage = 'issued' | 'resent' | 'completed';

export interface RenewalObserver {
  /** A renewal or enrolment issued, handed over again, or completed. */
  renewal(kind: RenewalKind, stage: RenewalStage): void;
}

export interface CupsRenewalsOptions {
  registry: Pick<SealedRegistry, 'claimRenewal' | 'update' | 'openSecret'>;
  issuers: TenantIssuers;
  audit: (event: AuditEvent) => void;
  observer?: RenewalObserver;
}

/** What a renewal adds to an answer: the gateway as it is now, and the CUPS credentials to hand over. */
export interface RenewalAnswer {
  gateway: Gateway;
  cupsCredentials?: Buffer;
}

/** The client certificate of each CUPS credentials blob, read once per blob (the registry hands out the same one until it changes). */
const heldCertificates = new WeakMap<Buffer, CertificateFacts | null>();

/** The certificate the gateway's CUPS credentials hold, if they hold one this server can read. */
function heldCertificate(gateway: Gateway): CertificateFacts | null {
  const blob = gateway.cupsCredentials;
  if (!blob) return null;
  let held = heldCertificates.get(blob);
  if (held === undefined) {
    try {
      const cert = splitCredentials(blob).cert;
      held = cert ? parseCertificate(cert) : null;
    } catch {
      held = null;
    }
    heldCertificates.set(blob, held);
  }
  return held;
}

/** The key type of a certificate's key, for its successor: the same kind and size. */
function keyTypeOf(leaf: CertificateFacts): KeyType {
  const key = createPublicKey(leaf.pem);
  if (key.asymmetricKeyType !== 'rsa') return 'ec';
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 2048;
  return bits > 3072 ? 'rsa4096' : bits > 2048 ? 'rsa3072' : 'rsa2048';
}

/**
 * Renews gateway certificates over CUPS. A gateway of a tenant with an issuing CA that presents a
 * certificate expiring within the tenant's window gets, in the same answer, a `cupsCred` holding
 * the tenant's CUPS trust, a new certificate for its EUI and the new key. The credentials are
 * issued once and kept sealed with the gateway: every instance sends the same bytes again (the
 * same CRC) until the gateway presents the new certificate; then the renewal is complete, its pins
 * move to the new certificate, and, when the tenant asks, the old one is refused after a grace.
 */
export class CupsRenewals {
  private readonly byTenant = new WeakMap<IssuerPolicy[], Map<string, IssuerPolicy>>();
  private readonly loaded = new Map<string, { updatedAt: string; issuer: Promise<IssuedCertificate> }>();

  constructor(private readonly options: CupsRenewalsOptions) {}

  /** The tenant's policy: the table is small and its reads are kept, so each answer looks it up in an index of the rows it read. */
  private async policyOf(tenant: string): Promise<IssuerPolicy | undefined> {
    const rows = await this.options.issuers.all();
    let index = this.byTenant.get(rows);
    if (!index) this.byTenant.set(rows, (index = new Map(rows.map((row) => [row.tenant, row]))));
    return index.get(tenant);
  }

  /** The issuing CA with its key opened, loaded once per version of the tenant's policy. */
  private issuerOf(policy: IssuerPolicy): Promise<IssuedCertificate> {
    const known = this.loaded.get(policy.tenant);
    if (known && known.updatedAt === policy.updatedAt) return known.issuer;
    const key = this.options.registry.openSecret(policy.caKeySealed, issuerKeyOwner(policy.tenant)).toString('utf8');
    const issuer = loadIssuer(policy.caPem, key);
    this.loaded.set(policy.tenant, { updatedAt: policy.updatedAt, issuer });
    return issuer;
  }

  /**
   * What this answer hands over for a renewal, if anything; completes the renewal when the new
   * certificate is presented. `enrolling`: the certificate is a bootstrap one, replaced whatever
   * its expiry (when the tenant has an issuing CA).
   */
  async forAnswer(gateway: Gateway, leaf: CertificateFacts, enrolling = false, now = Date.now()): Promise<RenewalAnswer | undefined> {
    const pending = gateway.renewal;
    if (pending && leaf.fingerprint === pending.sha256) return { gateway: await this.complete(gateway, pending, now) };
    const policy = await this.policyOf(gateway.tenant);
    if (!policy || (!enrolling && leaf.notAfter.getTime() - now > policy.renewBeforeMs)) return undefined;
    // The station shows a certificate older than the one its CUPS credentials hold now (a renewal
    // or enrolment completed before): nothing new is issued; those credentials are what it needs.
    const held = heldCertificate(gateway);
    if (!pending && held && held.fingerprint !== leaf.fingerprint && held.notAfter.getTime() - now > policy.renewBeforeMs)
      return enrolling && gateway.cupsCredentials ? { gateway, cupsCredentials: gateway.cupsCredentials } : undefined;
    if (pending && gateway.renewalCredentials) {
      this.options.observer?.renewal(pending.kind, 'resent');
      return { gateway, cupsCredentials: gateway.renewalCredentials };
    }
    return this.issue(gateway, leaf, policy, enrolling ? 'enrolment' : 'renewal', now);
  }

  private async issue(
    gateway: Gateway,
    leaf: CertificateFacts,
    policy: IssuerPolicy,
    kind: RenewalKind,
    now: number,
  ): Promise<RenewalAnswer> {
    const issuer = await this.issuerOf(policy);
    const issued = await createGatewayCertificate(issuer, gateway.eui, {
      keyType: policy.keyType ?? keyTypeOf(leaf),
      days: policy.validityDays,
    });
    const credentials = encodeCredentials({
      mode: 'certificate',
      trust: policy.cupsTrust,
      cert: certificateDer(issued.pem),
      key: privateKeyDer(issued.keyPem),
    });
    const facts = parseCertificate(issued.der);
    const renewal: PendingRenewal = {
      kind,
      sha256: facts.fingerprint,
      serial: facts.serialNumber,
      notAfter: facts.notAfter.toISOString(),
      replaces: leaf.fingerprint,
      issuedAt: new Date(now).toISOString(),
    };
    const { claimed, gateway: current } = await this.options.registry.claimRenewal(gateway.eui, renewal, credentials);
    if (!claimed || !current) {
      // Another request started one first: its credentials are the ones to send, the same everywhere.
      if (!current?.renewalCredentials) return { gateway: current ?? gateway };
      this.options.observer?.renewal(current.renewal?.kind ?? kind, 'resent');
      return { gateway: current, cupsCredentials: current.renewalCredentials };
    }
    this.options.observer?.renewal(kind, 'issued');
    this.options.audit({
      actor: 'station',
      action: `${kind}.issue`,
      tenant: gateway.tenant,
      eui: gateway.eui,
      detail: { sha256: renewal.sha256, serial: renewal.serial, notAfter: renewal.notAfter, replaces: renewal.replaces },
    });
    return { gateway: current, cupsCredentials: credentials };
  }

  private async complete(gateway: Gateway, pending: PendingRenewal, now: number): Promise<Gateway> {
    const policy = await this.policyOf(gateway.tenant);
    const changes: GatewayChanges = { cupsCredentials: gateway.renewalCredentials, renewal: null, renewalCredentials: null };
    if (gateway.pinnedCertificates.length > 0)
      changes.pinnedCertificates = [...gateway.pinnedCertificates.filter((pin) => pin !== pending.replaces), pending.sha256];
    if (policy?.revokeOldAfterMs != null)
      changes.revokedCertificates = [...gateway.revokedCertificates, `sha256:${pending.replaces}@${now + policy.revokeOldAfterMs}`];
    const updated = await this.options.registry.update(gateway.eui, changes);
    this.options.observer?.renewal(pending.kind, 'completed');
    this.options.audit({
      actor: 'station',
      action: `${pending.kind}.complete`,
      tenant: gateway.tenant,
      eui: gateway.eui,
      detail: {
        sha256: pending.sha256,
        replaces: pending.replaces,
        ...(policy?.revokeOldAfterMs != null ? { oldRefusedFrom: new Date(now + policy.revokeOldAfterMs).toISOString() } : {}),
      },
    });
    return updated;
  }
}
