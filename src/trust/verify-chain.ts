import {
  CertificateExpired,
  CertificateNotClient,
  CertificateNotYetValid,
  CertificateRevoked,
  CertificateUntrusted,
  ClientCertificateMalformed,
  CrlExpired,
  Failure,
} from '../errors.ts';
import { KEY_USAGE, OID } from '../lib/oids.ts';
import { type CertificateFacts, certificateFacts } from './certificate-facts.ts';
import { nameConstraintViolation } from './name-constraints.ts';
import { signatureCheckCost } from './signature-algorithms.ts';
import { COMMON_TENANT, type StoredCertificate, type TrustStore } from './trust-store.ts';

/** Longest chain accepted, leaf and root included. */
export const MAX_CHAIN_LENGTH = 8;

/**
 * Signature-check time path building may spend on one client certificate, in microseconds of one
 * core, counted by what each check costs (see signatureCheckCost): about 100 checks by P-256 keys
 * or 5 by P-521 ones. Look-alike CAs (one name, no key identifiers to tell them apart) that sign
 * each other make path building exponential; this bounds what such a client can make the
 * server do, whichever keys it chooses.
 */
export const VERIFICATION_BUDGET_US = 5_000;

/** The tenants a verified chain may authenticate a gateway for. */
export type TenantScope = 'all' | ReadonlySet<string>;

export interface VerifiedChain {
  leaf: CertificateFacts;
  /** Leaf first, root last. */
  path: CertificateFacts[];
  scope: TenantScope;
  /** Until when the verdict holds: the earliest notAfter of the path, or a CRL's nextUpdate (plus grace) when sooner. */
  validUntil: number;
  /** Accepted as a gateway's registered self-signed certificate, not through a CA. */
  selfSigned?: boolean;
  /** Tenants for which a CA of the path is a bootstrap CA: for their gateways, this certificate only enrols. */
  bootstrapFor?: ReadonlySet<string>;
}

interface Candidate {
  facts: CertificateFacts;
  /** The store's copy, when the store holds this certificate (whether or not it was also presented). */
  stored?: StoredCertificate;
}

const EUI_CN = /^[0-9A-Fa-f]{16}$/;

/** The EUI a certificate names: its one CN, exactly 16 hex digits, in uppercase; undefined otherwise. */
export function certificateEui(cert: CertificateFacts): string | undefined {
  const names = cert.commonNames;
  return names.length === 1 && EUI_CN.test(names[0]!) ? names[0]!.toUpperCase() : undefined;
}

export function scopeAllows(scope: TenantScope, tenant: string): boolean {
  return scope === 'all' || scope.has(tenant);
}

/**
 * Runs the certificate checks: the leaf is an end-entity certificate fit for client
 * authentication, and a chain from it through presented or stored intermediates reaches a root
 * in the store with valid signatures, CA flags, path lengths and dates. Rejects with the Failure
 * that names the failed check. Signatures are verified on libuv's thread pool (see checkIssuedBy).
 */
export async function verifyClientChain(
  leafCertificate: Uint8Array | CertificateFacts,
  presentedDer: readonly Uint8Array[],
  store: TrustStore,
  now = new Date(),
  /** How long past its nextUpdate a CRL still counts (--crl-grace). */
  crlGraceMs = 0,
  /** The tenant of a gateway registered with exactly this self-signed certificate, where its tenant allows that. */
  selfSignedTenant?: (sha256: string) => Promise<string | undefined>,
): Promise<VerifiedChain> {
  const leaf = leafCertificate instanceof Uint8Array ? parseClientCertificate(leafCertificate) : leafCertificate;
  if (leaf.isCa) throw new CertificateNotClient('the client certificate is a CA certificate; a gateway needs an end-entity certificate');
  if (leaf.extKeyUsage && !leaf.extKeyUsage.includes(OID.clientAuth)) {
    throw new CertificateNotClient('the client certificate has extended key usage without clientAuth');
  }
  if (leaf.keyUsage !== undefined && !(leaf.keyUsage & (KEY_USAGE.digitalSignature | KEY_USAGE.keyAgreement))) {
    throw new CertificateNotClient('the client certificate has key usage without digitalSignature or keyAgreement');
  }
  if (leaf.unhandledCriticalExtensions.length > 0) {
    throw new CertificateUntrusted(
      `the client certificate has a critical extension that is not processed (${leaf.unhandledCriticalExtensions.join(', ')})`,
    );
  }
  const presented = presentedDer.slice(0, MAX_CHAIN_LENGTH * 2).map((der) => parseClientCertificate(der, 'presented chain certificate'));
  // Algorithms no check would accept are refused before any work is done for them.
  for (const cert of [leaf, ...presented.filter((c) => !store.has(c.fingerprint))]) {
    if (typeof cert.signatureScheme === 'string')
      throw new CertificateUntrusted(
        `${cert === leaf ? 'the client certificate' : `the presented certificate ${cert.subjectText}`}: ${cert.signatureScheme}`,
      );
  }
  const { paths, refusedIssuers } = await findPaths(leaf, presented, store);
  if (paths.length === 0 && leaf.selfIssued && selfSignedTenant) {
    const tenant = await selfSignedTenant(leaf.fingerprint);
    if (tenant !== undefined) return verifiedSelfSigned(leaf, tenant, now);
  }
  if (paths.length === 0) {
    const why = [...refusedIssuers].map(([subject, reason]) => `; ${subject} cannot be an issuer: ${reason}`).join('');
    throw new CertificateUntrusted(
      `no chain from the client certificate (issuer ${leaf.issuerText}) reaches a CA in the trust store${why}`,
    );
  }
  let refusal: Failure | undefined;
  const scopes: TenantScope[] = [];
  let firstValid: { path: CertificateFacts[]; validUntil: number; bootstrapFor: Set<string> } | undefined;
  for (const path of paths) {
    // Made to its length (spread leaves room for more): one is kept per gateway's cached chain.
    const chain = [leaf].concat(path.map((c) => c.facts));
    const problem = dateProblem(chain, now);
    const revocation = problem ? undefined : revocationCheck(chain, store, now, crlGraceMs);
    if (problem || revocation instanceof Failure) {
      refusal ??= problem ?? (revocation as Failure);
      continue;
    }
    firstValid ??= {
      path: chain,
      validUntil: Math.min(revocation!, ...chain.map((cert) => cert.notAfter.getTime())),
      bootstrapFor: new Set(path.flatMap((c) => [...(c.stored?.bootstrapFor ?? [])])),
    };
    scopes.push(pathScope(path));
  }
  if (!firstValid) throw refusal!;
  return {
    leaf,
    path: firstValid.path,
    scope: unionScopes(scopes),
    validUntil: firstValid.validUntil,
    ...(firstValid.bootstrapFor.size ? { bootstrapFor: firstValid.bootstrapFor } : {}),
  };
}

/**
 * A self-signed client certificate registered for a gateway (the pinned trust of Tyk's dynamic
 * mTLS, or a thumbprint): no CA, but its own signature, its dates, and every leaf check above.
 * Its scope is the tenant of the gateway it is registered for.
 */
function verifiedSelfSigned(leaf: CertificateFacts, tenant: string, now: Date): VerifiedChain {
  if (!leaf.signedByOwnKey())
    throw new CertificateUntrusted('the self-signed client certificate is not signed by its own key with an accepted algorithm');
  const problem = dateProblem([leaf], now);
  if (problem) throw problem;
  return { leaf, path: [leaf], scope: new Set([tenant]), validUntil: leaf.notAfter.getTime(), selfSigned: true };
}

/**
 * Each certificate of the chain against its issuer's CRL, where the store holds one: a revoked
 * serial, or a CRL past its nextUpdate (and the grace), refuses the chain. Returns the refusal, or
 * until when the CRLs used stay current.
 */
function revocationCheck(chain: CertificateFacts[], store: TrustStore, now: Date, graceMs: number): Failure | number {
  let currentUntil = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < chain.length; i++) {
    const [cert, issuer] = [chain[i]!, chain[i + 1]!];
    const crl = store.crlOf(issuer);
    if (!crl) continue;
    if (crl.nextUpdate) {
      const until = crl.nextUpdate.getTime() + graceMs;
      if (now.getTime() > until)
        return new CrlExpired(
          `the CRL of ${issuer.subjectText} was due for renewal on ${crl.nextUpdate.toISOString()}: its certificates are refused until a current one is loaded`,
        );
      currentUntil = Math.min(currentUntil, until);
    }
    if (crl.revoked.has(cert.serialNumber))
      return new CertificateRevoked(
        `the certificate ${cert.subjectText} (serial ${cert.serialNumber}) is revoked by the CRL of ${issuer.subjectText}`,
      );
  }
  return currentUntil;
}

/** Parses the client's certificate, refusing it as malformed when it is not one. */
export function parseClientCertificate(der: Uint8Array, what = 'client certificate'): CertificateFacts {
  try {
    return certificateFacts(der);
  } catch (error) {
    throw new ClientCertificateMalformed(`the ${what} is not a valid X.509 certificate: ${(error as Error).message}`);
  }
}

/**
 * Every chain (issuers above the leaf, root last) that ends at a store anchor, depth-first, and
 * the candidate issuers refused before their signature was checked (by subject, with the reason).
 */
async function findPaths(
  leaf: CertificateFacts,
  presented: CertificateFacts[],
  store: TrustStore,
): Promise<{ paths: Candidate[][]; refusedIssuers: Map<string, string> }> {
  const found: Candidate[][] = [];
  const refusedIssuers = new Map<string, string>();
  const issuersOf = (cert: CertificateFacts): Candidate[] => {
    const candidates = new Map<string, Candidate>();
    for (const stored of store.issuersOf(cert)) candidates.set(stored.fingerprint, { facts: stored, stored });
    // A presented certificate identical to a stored one is that stored one.
    for (const facts of presented) {
      if (facts.subjectKey === cert.issuerKey && !candidates.has(facts.fingerprint)) candidates.set(facts.fingerprint, { facts });
    }
    return [...candidates.values()];
  };
  let spentUs = 0;
  const walk = async (cert: CertificateFacts, above: Candidate[], seen: Set<string>): Promise<void> => {
    if (above.length + 1 >= MAX_CHAIN_LENGTH) return;
    for (const candidate of issuersOf(cert)) {
      const issuer = candidate.facts;
      if (seen.has(issuer.fingerprint) || !issuer.isCa) continue;
      // Intermediates between this issuer and the leaf, which its path length constraint bounds.
      if (issuer.pathLength !== undefined && above.length > issuer.pathLength) continue;
      const problem = issuerProblem(issuer, [leaf, ...above.map((c) => c.facts)]);
      if (problem) {
        refusedIssuers.set(issuer.subjectText, problem);
        continue;
      }
      spentUs += signatureCheckCost(issuer.publicKey);
      if (spentUs > VERIFICATION_BUDGET_US) {
        throw new CertificateUntrusted(
          `the client certificate's chain needs more than ${VERIFICATION_BUDGET_US / 1000} ms of signature checks to resolve: too many CAs of one name ` +
            'with no key identifiers to tell them apart; present fewer certificates, or issue with authority key identifiers',
        );
      }
      if (!(await cert.checkIssuedBy(issuer))) continue;
      const path = [...above, candidate];
      if (candidate.stored?.anchor) found.push(path);
      else await walk(issuer, path, new Set([...seen, issuer.fingerprint]));
    }
  };
  await walk(leaf, [], new Set([leaf.fingerprint]));
  return { paths: found, refusedIssuers };
}

/**
 * Why `issuer` cannot sign for `below` (the leaf and the intermediates under it), checked before
 * its signature is: a critical extension not processed, extended key usage without clientAuth
 * (OpenSSL's client purpose), name constraints that the names below break or that cannot be
 * processed, or a key no check accepts.
 */
function issuerProblem(issuer: CertificateFacts, below: CertificateFacts[]): string | undefined {
  if (issuer.unhandledCriticalExtensions.length > 0)
    return `a critical extension is not processed (${issuer.unhandledCriticalExtensions.join(', ')})`;
  if (issuer.extKeyUsage && !issuer.extKeyUsage.includes(OID.clientAuth)) return 'its extended key usage excludes clientAuth';
  if (issuer.nameConstraints) {
    for (const [i, cert] of below.entries()) {
      // RFC 5280 6.1.3: self-issued intermediates are not subject to the constraints above them.
      if (i > 0 && cert.selfIssued) continue;
      const violation = nameConstraintViolation(issuer.nameConstraints, { subjectRdns: cert.subjectRdns, altNames: cert.altNames });
      if (violation) return `name constraints: ${violation} (in ${cert.subjectText})`;
    }
  }
  try {
    void issuer.publicKey;
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

function dateProblem(chain: CertificateFacts[], now: Date): Failure | undefined {
  for (const cert of chain) {
    const name = cert.subjectText;
    if (now > cert.notAfter) return new CertificateExpired(`the certificate ${name} expired on ${cert.notAfter.toISOString()}`);
    if (now < cert.notBefore)
      return new CertificateNotYetValid(`the certificate ${name} is not valid before ${cert.notBefore.toISOString()}`);
  }
  return undefined;
}

/**
 * A path's tenants come from the store certificates it passes through, whether or not the
 * client also presented them: each outside `common` restricts the path to the tenants whose
 * folders hold it. So the answer never depends on what the client or its proxy chose to send.
 */
function pathScope(path: Candidate[]): TenantScope {
  let scope: ReadonlySet<string> | undefined;
  for (const { stored } of path) {
    if (!stored || stored.tenants.has(COMMON_TENANT)) continue;
    // The store certificate's own set while it is the only one: shared by every chain through it, not copied per gateway.
    scope = scope ? new Set([...scope].filter((t) => stored.tenants.has(t))) : stored.tenants;
  }
  return scope ?? 'all';
}

function unionScopes(scopes: TenantScope[]): TenantScope {
  if (scopes.includes('all')) return 'all';
  if (scopes.length === 1) return scopes[0]!;
  return new Set(scopes.flatMap((s) => [...(s as ReadonlySet<string>)]));
}
