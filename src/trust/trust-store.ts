import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pemBlocks } from '../../protocol/lib/der.ts';
import { CrlRefused } from '../errors.ts';
import { type CertificateFacts, parseCertificate } from './certificate-facts.ts';
import { CrlFacts } from './crl-facts.ts';

/** The subfolder of a tenant folder holding its bootstrap CAs. */
export const BOOTSTRAP_FOLDER = 'bootstrap';

/** The folder name whose certificates every tenant trusts. */
export const COMMON_TENANT = 'common';
/** Lowercase only: "Acme" and "acme" can never be two tenants, nor one read as the other. */
const TENANT_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const TENANT_ID_RULE = 'lowercase letters, digits, ".", "_", "-", at most 64, starting with a letter or digit';

/** Whether a name can be a tenant id (and so a folder name in the trust store). */
export function isTenantId(name: string): boolean {
  return TENANT_ID.test(name);
}

/** Why a gateway cannot belong to `tenant`, or undefined when it can: a tenant id, and not `common`, which is every tenant's. */
export function gatewayTenantProblem(tenant: string): string | undefined {
  if (!isTenantId(tenant)) return `"${tenant}" is not a tenant id (${TENANT_ID_RULE})`;
  if (tenant === COMMON_TENANT) return `"${COMMON_TENANT}" is the trust every tenant shares, not a tenant a gateway can belong to`;
  return undefined;
}

export interface StoredCertificate extends CertificateFacts {
  /** Tenants that trust this certificate (COMMON_TENANT for all): its folder's and its database rows'. */
  tenants: Set<string>;
  /** Tenants whose folders hold it. */
  inFolder: Set<string>;
  /** Tenants for which the database holds it (added through the API). */
  inDatabase: Set<string>;
  /** Files it was read from, for `cups ca list` and logs. */
  files: string[];
  /** Tenants for which it is a bootstrap CA: the certificates it issued only enrol (see verify-chain). */
  bootstrapFor: Set<string>;
  /** A self-signed CA certificate: where a chain may end. */
  anchor: boolean;
}

export interface TrustStoreProblem {
  file: string;
  reason: string;
}

/** A CRL offered to the store, named by where it came from (a file, or `database`), for the tenant whose folder or rows hold it. */
export interface CrlSource {
  source: string;
  tenant: string;
  crl: CrlFacts;
}

/**
 * An immutable snapshot of the tenants folder, indexed by subject name and by name plus key
 * identifier: a thousand tenants whose CAs share one name still cost one lookup.
 */
export class TrustStore {
  private readonly bySubject = new Map<string, StoredCertificate[]>();
  private readonly bySubjectAndKeyId = new Map<string, StoredCertificate[]>();
  /** Certificates without a subject key identifier, by subject: any certificate of that issuer name may be theirs. */
  private readonly withoutKeyId = new Map<string, StoredCertificate[]>();
  private readonly fingerprints: Set<string>;
  /** The CRL that counts for each issuer, by the issuer's fingerprint: signed by it, the newest of those given. */
  private readonly crlsByIssuer = new Map<string, CrlFacts>();
  /** CRLs given that count for no issuer, and why. */
  readonly crlProblems: TrustStoreProblem[] = [];
  /** Every CRL that counts, with the store certificate that signed it (the snapshot never changes: listed once). */
  readonly crls: readonly { issuer: StoredCertificate; crl: CrlFacts }[];

  constructor(
    readonly certificates: StoredCertificate[],
    readonly problems: TrustStoreProblem[] = [],
    /** Every CRL offered, whether it counts or not (kept to build the next store from). */
    readonly crlSources: readonly CrlSource[] = [],
  ) {
    const add = (index: Map<string, StoredCertificate[]>, key: string, cert: StoredCertificate) => {
      const list = index.get(key);
      if (list) list.push(cert);
      else index.set(key, [cert]);
    };
    this.fingerprints = new Set(certificates.map((c) => c.fingerprint));
    for (const cert of certificates) {
      add(this.bySubject, cert.subjectKey, cert);
      if (cert.subjectKeyId) add(this.bySubjectAndKeyId, `${cert.subjectKey}\n${cert.subjectKeyId}`, cert);
      else add(this.withoutKeyId, cert.subjectKey, cert);
    }
    for (const { source, tenant, crl } of crlSources) {
      // Only a CA this tenant trusts (or every tenant does) can make its CRL count: a tenant learns nothing of another's CAs.
      const issuers = (this.bySubject.get(crl.issuerKey) ?? []).filter(
        (issuer) => (issuer.tenants.has(tenant) || issuer.tenants.has(COMMON_TENANT)) && crl.signedBy(issuer),
      );
      if (issuers.length === 0) {
        this.crlProblems.push({ file: source, reason: `no CA trusted for ${tenant} signed this CRL; it revokes nothing` });
        continue;
      }
      for (const issuer of issuers) {
        const known = this.crlsByIssuer.get(issuer.fingerprint);
        if (!known || isNewer(crl, known)) this.crlsByIssuer.set(issuer.fingerprint, crl);
      }
    }
    this.crls = certificates.flatMap((issuer) => {
      const crl = this.crlsByIssuer.get(issuer.fingerprint);
      return crl ? [{ issuer, crl }] : [];
    });
  }

  /** The CRL that counts for certificates `issuer` signed, if any. */
  crlOf(issuer: CertificateFacts): CrlFacts | undefined {
    return this.crlsByIssuer.get(issuer.fingerprint);
  }

  /**
   * Store certificates that may have issued `cert`: those with its issuer name and, when it names
   * an authority key identifier, that subject key identifier (or none at all).
   */
  issuersOf(cert: Pick<CertificateFacts, 'issuerKey' | 'authorityKeyId'>): readonly StoredCertificate[] {
    if (!cert.authorityKeyId) return this.bySubject.get(cert.issuerKey) ?? [];
    const keyed = this.bySubjectAndKeyId.get(`${cert.issuerKey}\n${cert.authorityKeyId}`) ?? [];
    const unkeyed = this.withoutKeyId.get(cert.issuerKey);
    return unkeyed ? [...keyed, ...unkeyed] : keyed;
  }

  /** Whether the store holds the certificate of this SHA-256 fingerprint. */
  has(fingerprint: string): boolean {
    return this.fingerprints.has(fingerprint);
  }
}

/** Whether `a` supersedes `b`: a higher CRL number, or else a later thisUpdate. */
function isNewer(a: CrlFacts, b: CrlFacts): boolean {
  if (a.crlNumber !== undefined && b.crlNumber !== undefined && a.crlNumber !== b.crlNumber) return a.crlNumber > b.crlNumber;
  return a.thisUpdate > b.thisUpdate;
}

/** The CRLs of a file: its `X509 CRL` PEM blocks, or the file itself as DER. */
export function crlsIn(bytes: Buffer): CrlFacts[] {
  const text = bytes.toString('latin1');
  if (!text.includes('-----BEGIN')) return [new CrlFacts(bytes)];
  const blocks = pemBlocks(text).filter((block) => block.label === 'X509 CRL');
  if (blocks.length === 0) throw new CrlRefused('no X509 CRL block');
  return blocks.map((block) => new CrlFacts(Buffer.from(block.der)));
}

/**
 * A certificate of the store: parsed facts (a fresh object, not the parse cache's) with the
 * tenants and files that hold it. A CA's key is decoded here, once, not when a chain needs it.
 */
export function storedCertificate(
  facts: CertificateFacts,
  folderTenants: string[],
  files: string[],
  databaseTenants: string[] = [],
): StoredCertificate {
  const anchor = facts.isCa && facts.selfSigned;
  return Object.assign(facts, {
    tenants: new Set([...folderTenants, ...databaseTenants]),
    inFolder: new Set(folderTenants),
    inDatabase: new Set(databaseTenants),
    files,
    bootstrapFor: new Set<string>(),
    anchor,
  });
}

/**
 * Reads `DIR/<tenant>/*.pem` (CA certificates) and `*.crl` (their CRLs, PEM or DER). A file that cannot be read or parsed is reported in `problems` and
 * skipped whole; everything else still loads. A missing DIR is an error (the caller keeps the last
 * good store).
 */
export async function loadTrustStore(dir: string): Promise<TrustStore> {
  const byFingerprint = new Map<string, StoredCertificate>();
  const problems: TrustStoreProblem[] = [];
  const crlSources: CrlSource[] = [];
  for (const { name: tenant, path: tenantDir, problem } of await tenantFolders(dir)) {
    if (problem) {
      problems.push({ file: tenantDir, reason: problem });
      continue;
    }
    if (!isTenantId(tenant)) {
      problems.push({ file: tenantDir, reason: `not a valid tenant id (${TENANT_ID_RULE})` });
      continue;
    }
    let files: { file: string; bootstrap: boolean }[];
    try {
      const names = (await readdir(tenantDir)).sort();
      files = names.filter((file) => file.endsWith('.pem')).map((name) => ({ file: join(tenantDir, name), bootstrap: false }));
      // Bootstrap CAs (a vendor's factory identity): their certificates only enrol, in `<tenant>/bootstrap/`.
      const bootstrapDir = join(tenantDir, BOOTSTRAP_FOLDER);
      const bootstrapNames = await readdir(bootstrapDir).catch(() => [] as string[]);
      files.push(
        ...bootstrapNames
          .filter((name) => name.endsWith('.pem'))
          .sort()
          .map((name) => ({ file: join(bootstrapDir, name), bootstrap: true })),
      );
      for (const name of names.filter((file) => file.endsWith('.crl'))) {
        const file = join(tenantDir, name);
        try {
          for (const crl of crlsIn(await readFile(file))) crlSources.push({ source: file, tenant, crl });
        } catch (error) {
          problems.push({ file, reason: (error as Error).message });
        }
      }
    } catch (error) {
      problems.push({ file: tenantDir, reason: (error as Error).message });
      continue;
    }
    for (const { file, bootstrap } of files) {
      let parsed: CertificateFacts[];
      try {
        const blocks = pemBlocks(await readFile(file, 'latin1')).filter((b) => b.label === 'CERTIFICATE');
        if (blocks.length === 0) throw new Error('no CERTIFICATE block');
        parsed = blocks.map((b) => parseCertificate(b.der));
        // A CA whose key no check would accept is named now, not found unusable when a gateway calls.
        for (const facts of parsed) if (facts.isCa) void facts.publicKey;
      } catch (error) {
        problems.push({ file, reason: (error as Error).message });
        continue;
      }
      for (const facts of parsed) {
        let known = byFingerprint.get(facts.fingerprint);
        if (known) {
          known.tenants.add(tenant);
          known.inFolder.add(tenant);
          known.files.push(file);
        } else {
          byFingerprint.set(facts.fingerprint, (known = storedCertificate(facts, [tenant], [file])));
        }
        if (bootstrap) known.bootstrapFor.add(tenant);
      }
    }
  }
  return new TrustStore([...byFingerprint.values()], problems, crlSources);
}

export interface TenantFolder {
  name: string;
  path: string;
  /** The folder's inode: a folder deleted and made again is a new one to watch. */
  inode?: number;
  /** Why an entry that looks like a tenant folder is not read. */
  problem?: string;
}

/**
 * The tenant folders of DIR, by name, symbolic links followed (a link to a folder is a tenant
 * folder; one to anything else, or to nothing, is a problem to report, not skipped in silence).
 */
export async function tenantFolders(dir: string): Promise<TenantFolder[]> {
  const folders: TenantFolder[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || !(entry.isDirectory() || entry.isSymbolicLink())) continue;
    const path = join(dir, entry.name);
    const info = await stat(path).catch((error: Error) => error);
    if (info instanceof Error)
      folders.push({ name: entry.name, path, problem: `a symbolic link that cannot be followed: ${info.message}` });
    else if (!info.isDirectory()) folders.push({ name: entry.name, path, problem: 'a symbolic link to something other than a folder' });
    else folders.push({ name: entry.name, path, inode: info.ino });
  }
  return folders;
}
