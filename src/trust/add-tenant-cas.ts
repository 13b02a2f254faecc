import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaRefused } from '../errors.ts';
import type { CertificateFacts } from './certificate-facts.ts';
import { checkCaCertificates, pemCandidates } from './check-ca-certificates.ts';
import { BOOTSTRAP_FOLDER, COMMON_TENANT, loadTrustStore } from './trust-store.ts';

export interface AddedCa {
  facts: CertificateFacts;
  /** The file it was written to, or undefined when the tenant trusted it already. */
  file: string | undefined;
}

export { CaRefused };

/**
 * Puts CA certificates into a tenant's folder of the trust store, each checked as the server
 * will load and use it (checkCaCertificates), its issuer trusted for the tenant or given too.
 * Every certificate of every file given is taken (a folder: its *.pem files; blocks that are not
 * certificates, such as keys, are passed over). All are checked before any is written; each is
 * written as its own file.
 */
export async function addTenantCas(
  tenantsDir: string,
  tenant: string,
  sources: string[],
  options: { bootstrap?: boolean } = {},
): Promise<AddedCa[]> {
  const candidates = sources.flatMap(pemFilesOf).flatMap((file) => pemCandidates(readFileSync(file, 'latin1'), file));
  if (candidates.length === 0) throw new CaRefused(`no CERTIFICATE block in ${sources.join(', ')}`);
  const store = await loadTrustStore(tenantsDir).catch(() => undefined);
  const trusted = (store?.certificates ?? []).filter((c) => c.tenants.has(tenant) || c.tenants.has(COMMON_TENANT));
  const given = checkCaCertificates(candidates, trusted);
  // Bootstrap CAs go to their own subfolder: what they issue only enrols.
  const folder = options.bootstrap ? join(tenantsDir, tenant, BOOTSTRAP_FOLDER) : join(tenantsDir, tenant);
  mkdirSync(folder, { recursive: true });
  return given.map((facts) => {
    const known = trusted.find((c) => c.fingerprint === facts.fingerprint && c.tenants.has(tenant));
    if (known && known.bootstrapFor.has(tenant) === !!options.bootstrap) return { facts, file: undefined };
    const file = join(folder, `${slug(facts)}-${facts.fingerprint.slice(0, 12)}.pem`);
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, facts.pem);
    renameSync(temporary, file);
    return { facts, file };
  });
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
