import type { FastifyBaseLogger } from 'fastify';
import { pemBlocks } from '../../protocol/lib/der.ts';
import { parseCertificate } from './certificate-facts.ts';
import { CrlFacts } from './crl-facts.ts';
import type { DatabaseCa, DatabaseCrl, DatabaseTrust } from './database-trust.ts';
import { type StoredCertificate, storedCertificate, TrustStore } from './trust-store.ts';
import { TrustStoreWatcher } from './watch-trust-store.ts';

/** How often every instance asks whether the database's CAs changed: a change is served everywhere within a second. */
const REVISION_POLL_MS = 500;
const DAY_MS = 86_400_000;
/** How long before a CRL's nextUpdate the operator is warned. */
const CRL_WARNING_MS = 7 * DAY_MS;

/**
 * The trust store a server verifies with: the tenants folder (watched) and the CAs added through
 * the API (the database's rows, reloaded when their revision moves), merged by fingerprint. While
 * the database cannot be reached, its last rows keep serving and the failure is logged once.
 */
export class TrustSources {
  readonly folder: TrustStoreWatcher;
  private store: TrustStore;
  private rows: DatabaseCa[] = [];
  private crlRows: DatabaseCrl[] = [];
  private revision: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private lastError: string | undefined;
  private readonly listeners: ((store: TrustStore) => void)[] = [];

  constructor(
    dir: string,
    private readonly database: DatabaseTrust,
    private readonly log: FastifyBaseLogger,
  ) {
    this.folder = new TrustStoreWatcher(dir, log);
    this.store = this.folder.current;
    this.folder.onChange(() => this.merge());
  }

  get current(): TrustStore {
    return this.store;
  }

  onChange(listener: (store: TrustStore) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    await this.pollDatabase();
    await this.folder.start();
    this.merge();
    this.timer = setInterval(() => {
      this.polling ??= this.pollDatabase().finally(() => {
        this.polling = undefined;
      });
      this.warnOfLapsingCrls();
    }, REVISION_POLL_MS).unref();
  }

  /** Reads the database's CAs now (after a change made here): this instance serves with them when it returns. */
  async refresh(): Promise<void> {
    await this.polling;
    await this.pollDatabase();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
    await this.folder.stop();
  }

  /** Reads the revision, and the rows when it moved. */
  private async pollDatabase(): Promise<void> {
    try {
      const revision = await this.database.revision();
      if (revision === this.revision) return;
      [this.rows, this.crlRows] = await Promise.all([this.database.all(), this.database.crls()]);
      this.revision = revision;
      this.lastError = undefined;
      this.merge();
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.lastError)
        this.log.error({ err: error }, 'cannot read the CAs added through the API; serving with the last ones read');
      this.lastError = message;
    }
  }

  /** CRLs due for renewal within a week (or overdue), warned about once a day each: their issuers' gateways are refused once they lapse. */
  private readonly crlWarnedAt = new Map<string, number>();

  private warnOfLapsingCrls(now = Date.now()): void {
    for (const { issuer, crl } of this.store.crls) {
      if (!crl.nextUpdate || crl.nextUpdate.getTime() - now > CRL_WARNING_MS) continue;
      if (now - (this.crlWarnedAt.get(crl.sha256) ?? 0) < DAY_MS) continue;
      this.crlWarnedAt.set(crl.sha256, now);
      this.log.warn(
        { issuer: issuer.subjectText, crl: crl.sha256, nextUpdate: crl.nextUpdate.toISOString() },
        crl.nextUpdate.getTime() < now
          ? "a CRL is past its nextUpdate: its issuer's certificates are refused (beyond any --crl-grace); load a current CRL"
          : "a CRL is due for renewal within a week: load a current one before then, or its issuer's certificates will be refused",
      );
    }
  }

  private merge(): void {
    const folderStore = this.folder.current;
    const store =
      this.rows.length === 0 && this.crlRows.length === 0 ? folderStore : mergeStores(folderStore, this.rows, this.crlRows, this.log);
    if (store === this.store) return;
    this.store = store;
    this.warnOfLapsingCrls();
    for (const listener of this.listeners) listener(store);
  }
}

/**
 * A new store of the folder's certificates and the database's, each parsed afresh: a snapshot is
 * never changed once served. A row that cannot be used (it was checked when added, so only a
 * change made by hand) is logged and skipped.
 */
function mergeStores(folderStore: TrustStore, rows: DatabaseCa[], crlRows: DatabaseCrl[], log: FastifyBaseLogger): TrustStore {
  const databaseTenants = new Map<string, { der: Uint8Array; tenants: string[] }>();
  for (const row of rows) {
    const der = pemBlocks(row.pem).find((block) => block.label === 'CERTIFICATE')?.der;
    if (!der) {
      log.error({ tenant: row.tenant, sha256: row.sha256 }, 'a CA row of the database holds no certificate; skipped');
      continue;
    }
    const entry = databaseTenants.get(row.sha256);
    if (entry) entry.tenants.push(row.tenant);
    else databaseTenants.set(row.sha256, { der, tenants: [row.tenant] });
  }
  const certificates: StoredCertificate[] = [];
  for (const cert of folderStore.certificates) {
    const fromDatabase = databaseTenants.get(cert.fingerprint)?.tenants ?? [];
    databaseTenants.delete(cert.fingerprint);
    const merged = storedCertificate(parseCertificate(cert.der, cert.fingerprint), [...cert.inFolder], cert.files, fromDatabase);
    for (const tenant of cert.bootstrapFor) merged.bootstrapFor.add(tenant);
    certificates.push(merged);
  }
  const problems = [...folderStore.problems];
  for (const [sha256, { der, tenants }] of databaseTenants) {
    try {
      const facts = parseCertificate(der);
      if (facts.isCa) void facts.publicKey;
      certificates.push(storedCertificate(facts, [], [], tenants));
    } catch (error) {
      problems.push({ file: `database CA ${sha256}`, reason: (error as Error).message });
      log.error({ sha256 }, `a CA of the database cannot be used: ${(error as Error).message}`);
    }
  }
  const crlSources = [...folderStore.crlSources];
  for (const row of crlRows) {
    try {
      crlSources.push({ source: `database CRL ${row.sha256}`, tenant: row.tenant, crl: new CrlFacts(row.der) });
    } catch (error) {
      problems.push({ file: `database CRL ${row.sha256}`, reason: (error as Error).message });
    }
  }
  return new TrustStore(certificates, problems, crlSources);
}
