import { pemBlocks } from '../../protocol/lib/der.ts';
import { CaRefused } from '../errors.ts';
import { type CertificateFacts, parseCertificate } from './certificate-facts.ts';

/** A certificate offered to the trust store, named by where it came from (a file, or the request's body). */
export interface CaCandidate {
  source: string;
  der: Uint8Array;
}

/** The CERTIFICATE blocks of a PEM text; other blocks (keys, CRLs) are passed over. */
export function pemCandidates(text: string, source: string): CaCandidate[] {
  return pemBlocks(text)
    .filter((block) => block.label === 'CERTIFICATE')
    .map((block) => ({ source, der: block.der }));
}

/**
 * Checks certificates as the server will load and use them as CAs: each a CA, with a key the
 * checks accept, no critical extension they do not process, not expired, signed (unless a root)
 * with an accepted algorithm, and with its issuer among the certificates given or in `trusted`
 * (what the tenant trusts already). Throws CaRefused naming the first one refused and why;
 * returns them all, once each, when every one passes.
 */
export function checkCaCertificates(
  candidates: readonly CaCandidate[],
  trusted: readonly CertificateFacts[],
  now = new Date(),
): CertificateFacts[] {
  if (candidates.length === 0) throw new CaRefused('no CERTIFICATE block was given');
  const given = new Map<string, CertificateFacts>();
  for (const { source, der } of candidates) {
    let facts: CertificateFacts;
    try {
      facts = parseCertificate(der);
    } catch (error) {
      throw new CaRefused(`${source}: ${(error as Error).message}`);
    }
    const problem = caProblem(facts, now);
    if (problem) throw new CaRefused(`${source}: ${facts.subjectText} ${problem}`);
    given.set(facts.fingerprint, facts);
  }
  const known = [...given.values(), ...trusted];
  for (const facts of given.values()) {
    if (facts.selfIssued || known.some((issuer) => facts.isIssuedBy(issuer))) continue;
    throw new CaRefused(
      `the issuer of ${facts.subjectText} (${facts.issuerText}) is neither among the certificates given nor trusted for the tenant: add it too`,
    );
  }
  return [...given.values()];
}

/** Why the server could not use this certificate as a CA, or undefined. */
function caProblem(facts: CertificateFacts, now: Date): string | undefined {
  if (!facts.isCa) return 'is not a CA certificate (basic constraints cA); a gateway certificate does not go into the trust store';
  try {
    void facts.publicKey;
  } catch (error) {
    return `has a key the checks do not accept: ${(error as Error).message}`;
  }
  if (facts.unhandledCriticalExtensions.length > 0)
    return `has a critical extension the checks do not process (${facts.unhandledCriticalExtensions.join(', ')})`;
  if (now > facts.notAfter) return `expired on ${facts.notAfter.toISOString()}; it would verify no gateway`;
  if (!facts.selfSigned && typeof facts.signatureScheme === 'string') return `cannot be part of a chain: ${facts.signatureScheme}`;
  return undefined;
}
