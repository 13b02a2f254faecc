import type { KeyObject } from 'node:crypto';
import {
  CertificateExpired,
  CertificateNotClient,
  CertificateNotYetValid,
  CertificateUntrusted,
  ClientCertificateMalformed,
  type Refusal,
} from '../errors.ts';
import { OID } from '../pki/oids.ts';
import { certificateFacts, type CertificateFacts } from './certificate-facts.ts';
import { COMMON_TENANT, type StoredCertificate, type TrustStore } from './trust-store.ts';

/** Longest chain accepted, leaf and root included. */
export const MAX_CHAIN_LENGTH = 8;

/**
 * Most issuer candidates (a signature check each) tried for one client certificate, the bound Go's
 * crypto/x509 sets. Without it a client presenting a dozen look-alike CAs that sign each other
 * makes path building exponential: eight of them cost seconds of the event loop. A check by an
 * RSA key over 2,048 bits counts as (bits / 2048)^2 checks, 16 for 8,192 bits: more than it costs
 * (5.7 times a 2,048-bit check, measured), so large keys cannot stretch the bound.
 */
export const MAX_ISSUER_CHECKS = 100;

function checkCost(key: KeyObject): number {
  const bits = key.asymmetricKeyType?.startsWith('rsa') ? key.asymmetricKeyDetails?.modulusLength ?? 0 : 0;
  return Math.max(1, (bits / 2048) ** 2);
}

/** The tenants a verified chain may authenticate a gateway for. */
export type TenantScope = 'all' | ReadonlySet<string>;

export interface VerifiedChain {
  leaf: CertificateFacts;
  /** Leaf first, root last. */
  path: CertificateFacts[];
  scope: TenantScope;
}

interface Candidate {
  facts: CertificateFacts;
  stored?: StoredCertificate;
  /** Sent by the client: usable for any tenant, unlike an intermediate found only in a tenant's folder. */
  presented: boolean;
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
 * in the store with valid signatures, CA flags, path lengths and dates. Rejects with the Refusal
 * that names the failed check. Signatures are verified on libuv's thread pool (see checkIssuedBy).
 */
export async function verifyClientChain(
  leafCertificate: Uint8Array | CertificateFacts,
  presentedDer: readonly Uint8Array[],
  store: TrustStore,
  now = new Date(),
): Promise<VerifiedChain> {
  const leaf = leafCertificate instanceof Uint8Array ? parseClientCertificate(leafCertificate) : leafCertificate;
  if (leaf.isCa) throw new CertificateNotClient('the client certificate is a CA certificate; a gateway needs an end-entity certificate');
  if (leaf.extKeyUsage && !leaf.extKeyUsage.includes(OID.clientAuth)) {
    throw new CertificateNotClient('the client certificate has extended key usage without clientAuth');
  }
  const presented = presentedDer.slice(0, MAX_CHAIN_LENGTH * 2).map((der) => parseClientCertificate(der, 'presented chain certificate'));
  const { paths, refusedKeys } = await findPaths(leaf, presented, store);
  if (paths.length === 0) {
    const why = [...refusedKeys].map(([subject, reason]) => `; ${subject} cannot be an issuer: ${reason}`).join('');
    throw new CertificateUntrusted(
      `no chain from the client certificate (issuer ${leaf.issuerText}) reaches a CA in the trust store${why}`,
    );
  }
  let dateRefusal: Refusal | undefined;
  const scopes: TenantScope[] = [];
  let firstValid: Candidate[] | undefined;
  for (const path of paths) {
    const refusal = dateProblem([leaf, ...path.map((c) => c.facts)], now);
    if (refusal) {
      dateRefusal ??= refusal;
      continue;
    }
    firstValid ??= path;
    scopes.push(pathScope(path));
  }
  if (!firstValid) throw dateRefusal!;
  return { leaf, path: [leaf, ...firstValid.map((c) => c.facts)], scope: unionScopes(scopes) };
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
 * the candidate issuers whose keys are not accepted (by subject), to say why none was found.
 */
async function findPaths(leaf: CertificateFacts, presented: CertificateFacts[], store: TrustStore): Promise<{ paths: Candidate[][]; refusedKeys: Map<string, string> }> {
  const found: Candidate[][] = [];
  const refusedKeys = new Map<string, string>();
  const issuersOf = (cert: CertificateFacts): Candidate[] => {
    const candidates = new Map<string, Candidate>();
    for (const stored of store.issuersOf(cert)) candidates.set(stored.fingerprint, { facts: stored, stored, presented: false });
    for (const facts of presented) {
      if (facts.subjectKey !== cert.issuerKey) continue;
      const stored = candidates.get(facts.fingerprint)?.stored;
      candidates.set(facts.fingerprint, { facts, ...(stored ? { stored } : {}), presented: true });
    }
    return [...candidates.values()];
  };
  let checks = 0;
  const walk = async (cert: CertificateFacts, above: Candidate[], seen: Set<string>): Promise<void> => {
    if (above.length + 1 >= MAX_CHAIN_LENGTH) return;
    for (const candidate of issuersOf(cert)) {
      const issuer = candidate.facts;
      if (seen.has(issuer.fingerprint) || !issuer.isCa) continue;
      // Intermediates between this issuer and the leaf, which its path length constraint bounds.
      if (issuer.pathLength !== undefined && above.length > issuer.pathLength) continue;
      let key: KeyObject | undefined;
      try {
        key = issuer.publicKey;
      } catch (error) {
        refusedKeys.set(issuer.subjectText, (error as Error).message);
      }
      checks += key ? checkCost(key) : 1;
      if (checks > MAX_ISSUER_CHECKS) {
        throw new CertificateUntrusted(
          `the client certificate's chain needs more than ${MAX_ISSUER_CHECKS} signature checks to resolve: too many CAs of one name ` +
            'with no key identifiers to tell them apart; present fewer certificates, or issue with authority key identifiers',
        );
      }
      if (!key || !(await cert.checkIssuedBy(issuer))) continue;
      const path = [...above, candidate];
      if (candidate.stored?.anchor) found.push(path);
      else await walk(issuer, path, new Set([...seen, issuer.fingerprint]));
    }
  };
  await walk(leaf, [], new Set([leaf.fingerprint]));
  return { paths: found, refusedKeys };
}

function dateProblem(chain: CertificateFacts[], now: Date): Refusal | undefined {
  for (const cert of chain) {
    const name = cert.subjectText;
    if (now > cert.notAfter) return new CertificateExpired(`the certificate ${name} expired on ${cert.notAfter.toISOString()}`);
    if (now < cert.notBefore) return new CertificateNotYetValid(`the certificate ${name} is not valid before ${cert.notBefore.toISOString()}`);
  }
  return undefined;
}

/** Store certificates outside `common` restrict a chain to the tenants whose folders hold them. */
function pathScope(path: Candidate[]): TenantScope {
  let scope: Set<string> | undefined;
  for (const { stored, presented } of path) {
    const fromStoreOnly = stored && (!presented || stored.anchor);
    if (!fromStoreOnly || stored.tenants.has(COMMON_TENANT)) continue;
    scope = scope ? new Set([...scope].filter((t) => stored.tenants.has(t))) : new Set(stored.tenants);
  }
  return scope ?? 'all';
}

function unionScopes(scopes: TenantScope[]): TenantScope {
  if (scopes.includes('all')) return 'all';
  return new Set(scopes.flatMap((s) => [...(s as Set<string>)]));
}
