import { CaNotFound, CrlNotFound } from '../errors.ts';
import type { SqlExecutor } from '../registry/sql-dialect.ts';
import type { CertificateFacts } from './certificate-facts.ts';
import { type CaCandidate, checkCaCertificates } from './check-ca-certificates.ts';
import type { CrlFacts } from './crl-facts.ts';

/** A CA certificate the database holds for a tenant (or COMMON_TENANT). */
export interface DatabaseCa {
  tenant: string;
  sha256: string;
  pem: string;
  addedAt: string;
  addedBy: string;
}

/** A CRL the database holds for a tenant. */
export interface DatabaseCrl {
  tenant: string;
  sha256: string;
  der: Buffer;
  addedAt: string;
  addedBy: string;
}

/**
 * The CAs and CRLs added through the API: rows of the registry database, so that every instance
 * serves with them. Each change bumps one revision in the same transaction; instances poll it
 * (TrustSources) and reload the rows when it moves.
 */
export class DatabaseTrust {
  constructor(private readonly sql: SqlExecutor) {}

  async revision(): Promise<number> {
    const [row] = await this.sql.all<{ revision: number | string }>('SELECT revision FROM trust_revision WHERE id = 1');
    return Number(row?.revision ?? 0);
  }

  async all(): Promise<DatabaseCa[]> {
    const rows = await this.sql.all<{ tenant: string; sha256: string; pem: string; added_at: string; added_by: string }>(
      'SELECT tenant, sha256, pem, added_at, added_by FROM tenant_cas ORDER BY tenant, sha256',
    );
    return rows.map((r) => ({ tenant: r.tenant, sha256: r.sha256, pem: r.pem, addedAt: r.added_at, addedBy: r.added_by }));
  }

  /**
   * Checks the certificates as a trust-store file is checked (their issuers among them or in
   * `trusted`, what the tenant trusts now) and stores those the tenant's rows lack, all or none.
   * Returns each with whether it was new.
   */
  async add(
    tenant: string,
    candidates: readonly CaCandidate[],
    trusted: readonly CertificateFacts[],
    actor: string,
  ): Promise<{ facts: CertificateFacts; added: boolean }[]> {
    const checked = checkCaCertificates(candidates, trusted);
    const now = new Date().toISOString();
    return this.sql.transaction(async (tx) => {
      const results: { facts: CertificateFacts; added: boolean }[] = [];
      for (const facts of checked) {
        const added = await tx.run(
          'INSERT INTO tenant_cas (tenant, sha256, pem, added_at, added_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant, sha256) DO NOTHING',
          [tenant, facts.fingerprint, facts.pem, now, actor],
        );
        results.push({ facts, added: added > 0 });
      }
      if (results.some((r) => r.added)) await bumpRevision(tx);
      return results;
    });
  }

  async crls(): Promise<DatabaseCrl[]> {
    const rows = await this.sql.all<{ tenant: string; sha256: string; der: Buffer; added_at: string; added_by: string }>(
      'SELECT tenant, sha256, der, added_at, added_by FROM tenant_crls ORDER BY tenant, sha256',
    );
    return rows.map((r) => ({ tenant: r.tenant, sha256: r.sha256, der: r.der, addedAt: r.added_at, addedBy: r.added_by }));
  }

  /** Stores a tenant's CRL (checked by the caller); false when the tenant had it already. */
  async addCrl(tenant: string, crl: CrlFacts, actor: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const added = await tx.run(
        'INSERT INTO tenant_crls (tenant, sha256, der, added_at, added_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant, sha256) DO NOTHING',
        [tenant, crl.sha256, crl.der, new Date().toISOString(), actor],
      );
      if (added > 0) await bumpRevision(tx);
      return added > 0;
    });
  }

  /** Removes a tenant's CRL row; CrlNotFound when the database holds none of that hash for it. */
  async removeCrl(tenant: string, sha256: string): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const removed = await tx.run('DELETE FROM tenant_crls WHERE tenant = ? AND sha256 = ?', [tenant, sha256]);
      if (removed === 0) throw new CrlNotFound(`tenant ${tenant} has no CRL of SHA-256 ${sha256}`);
      await bumpRevision(tx);
    });
  }

  /** Removes a tenant's CA row; CaNotFound when the database holds none of that fingerprint for it. */
  async remove(tenant: string, sha256: string): Promise<DatabaseCa> {
    return this.sql.transaction(async (tx) => {
      const [row] = await tx.all<{ pem: string; added_at: string; added_by: string }>(
        'SELECT pem, added_at, added_by FROM tenant_cas WHERE tenant = ? AND sha256 = ?',
        [tenant, sha256],
      );
      if (!row) throw new CaNotFound(`tenant ${tenant} has no CA of SHA-256 ${sha256}`);
      await tx.run('DELETE FROM tenant_cas WHERE tenant = ? AND sha256 = ?', [tenant, sha256]);
      await bumpRevision(tx);
      return { tenant, sha256, pem: row.pem, addedAt: row.added_at, addedBy: row.added_by };
    });
  }
}

const bumpRevision = (tx: SqlExecutor) => tx.run('UPDATE trust_revision SET revision = revision + 1 WHERE id = 1');
