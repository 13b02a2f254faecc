import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pemBlocks } from '../../protocol/lib/der.ts';
import { type CertificateFacts, parseCertificate } from './certificate-facts.ts';
import { loadTrustStore } from './trust-store.ts';

export interface AddedCa {
  facts: CertificateFacts;
  /** The file it was written to, or undefined when the tenant trusted it already. */
  file: string | undefined;
}

import { CaRefused } from '../errors.ts';

export { CaRefused };

/**
 * Puts CA certificates into a tenant's folder of the trust store, each checked as the server
 * will load and use it: a CA, with a key the checks accept, no critical extension they do not
 * process, not expired, signed (unless a root) with an accepted algorithm, and with its issuer
 * among the certificates given or already in the store. Every certificate of every file given
 * is taken (a folder: its *.pem files; blocks that are not certificates, such as keys, are
 * passed over). All are checked before any is written; each is written as its own file.
 */
export async function addTenantCas(tenantsDir: string, tenant: string, sources: string[]): Promise<AddedCa[]> {
  const given = new Map<string, CertificateFacts>();
  for (const file of sources.flatMap(pemFilesOf)) {
    const blocks = pemBlocks(readFileSync(file, 'latin1')).filter((block) => block.label === 'CERTIFICATE');
    for (const block of blocks) {
      let facts: CertificateFacts;
      try {
        facts = parseCertificate(block.der);
      } catch (error) {
        throw new CaRefused(`${file}: ${(error as Error).message}`);
      }
      given.set(facts.fingerprint, facts);
      const problem = caProblem(facts);
      if (problem) throw new CaRefused(`${file}: ${facts.subjectText} ${problem}`);
    }
  }
  if (given.size === 0) throw new CaRefused(`no CERTIFICATE block in ${sources.join(', ')}`);
  const store = await loadTrustStore(tenantsDir).catch(() => undefined);
  const known = [...given.values(), ...(store?.certificates ?? [])];
  for (const facts of given.values()) {
    if (facts.selfIssued) continue;
    if (!known.some((issuer) => facts.isIssuedBy(issuer))) {
      throw new CaRefused(
        `the issuer of ${facts.subjectText} (${facts.issuerText}) is neither among the certificates given nor in the trust store: add it too`,
      );
    }
  }
  const folder = join(tenantsDir, tenant);
  mkdirSync(folder, { recursive: true });
  return [...given.values()].map((facts) => {
    if (store?.certificates.some((c) => c.fingerprint === facts.fingerprint && c.tenants.has(tenant))) return { facts, file: undefined };
    const file = join(folder, `${slug(facts)}-${facts.fingerprint.slice(0, 12)}.pem`);
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, facts.pem);
    renameSync(temporary, file);
    return { facts, file };
  });
}

/** Why the server could not use this certificate as a CA, or undefined. */
function caProblem(facts: CertificateFacts, now = new Date()): string | undefined {
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

function pemFilesOf(source: string): string[] {
  let folder: boolean;
  try {
    folder = statSync(source).isDirectory();
  } catch (error) {
    throw new CaRefused(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!folder) return [source];
  return readdirSync(source)
    .filter((name) => name.endsWith('.pem'))
    .sort()
    .map((name) => join(source, name));
}

/** A file name from the CA's CN (or subject): lowercase letters, digits and dashes. */
function slug(facts: CertificateFacts): string {
  return (
    (facts.commonNames[0] ?? facts.subjectText)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'ca'
  );
}
