import type { KeyType } from '../pki/keys.ts';
import type { SqlExecutor } from '../registry/sql-dialect.ts';

/** How a tenant's gateway certificates are renewed over CUPS. */
export interface IssuerPolicy {
  tenant: string;
  /** The issuing CA's certificate (PEM). */
  caPem: string;
  /** Its private key, sealed under the master key (bound to issuerKeyOwner). */
  caKeySealed: Buffer;
  /** The CUPS trust handed to stations with their new certificate: the server certificate's CA, DER. */
  cupsTrust: Buffer;
  /** A certificate expiring within this is renewed. */
  renewBeforeMs: number;
  /** How long a new certificate is valid: longer than renewBeforeMs, or it would be renewed at once. */
  validityDays: number;
  /** The new keys' type; null: the same as the key of the certificate replaced. */
  keyType: KeyType | null;
  /** When set, the old certificate is refused this long after its gateway presents the new one. */
  revokeOldAfterMs: number | null;
  updatedAt: string;
}

interface IssuerRow {
  tenant: string;
  ca_pem: string;
  ca_key: Buffer;
  cups_trust: Buffer;
  renew_before_ms: number | string;
  validity_days: number | string;
  key_type: string | null;
  revoke_old_after_ms: number | string | null;
  updated_at: string;
}

/** The tenants' issuing CAs, in the registry database. */
export class TenantIssuers {
  /** The policies of each set of rows read (a kept read returns the same rows until a change). */
  private readonly policies = new WeakMap<IssuerRow[], IssuerPolicy[]>();

  constructor(private readonly sql: SqlExecutor) {}

  async set(policy: Omit<IssuerPolicy, 'updatedAt'>): Promise<void> {
    await this.sql.run(
      `INSERT INTO tenant_issuers (tenant, ca_pem, ca_key, cups_trust, renew_before_ms, validity_days, key_type, revoke_old_after_ms, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant) DO UPDATE SET ca_pem = excluded.ca_pem, ca_key = excluded.ca_key, cups_trust = excluded.cups_trust,
         renew_before_ms = excluded.renew_before_ms, validity_days = excluded.validity_days, key_type = excluded.key_type,
         revoke_old_after_ms = excluded.revoke_old_after_ms, updated_at = excluded.updated_at`,
      [
        policy.tenant,
        policy.caPem,
        policy.caKeySealed,
        policy.cupsTrust,
        policy.renewBeforeMs,
        policy.validityDays,
        policy.keyType,
        policy.revokeOldAfterMs,
        new Date().toISOString(),
      ],
    );
  }

  async remove(tenant: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM tenant_issuers WHERE tenant = ?', [tenant])) > 0;
  }

  async all(): Promise<IssuerPolicy[]> {
    const rows = await this.sql.all<IssuerRow>(
      `SELECT tenant, ca_pem, ca_key, cups_trust, renew_before_ms, validity_days, key_type, revoke_old_after_ms, updated_at
       FROM tenant_issuers ORDER BY tenant`,
    );
    // Read once per version of the rows: the server asks on every answer, and its reads are kept.
    const known = this.policies.get(rows);
    if (known) return known;
    const policies = rows.map((r) => ({
      tenant: r.tenant,
      caPem: r.ca_pem,
      caKeySealed: r.ca_key,
      cupsTrust: r.cups_trust,
      renewBeforeMs: Number(r.renew_before_ms),
      validityDays: Number(r.validity_days),
      keyType: r.key_type as KeyType | null,
      revokeOldAfterMs: r.revoke_old_after_ms === null ? null : Number(r.revoke_old_after_ms),
      updatedAt: r.updated_at,
    }));
    this.policies.set(rows, policies);
    return policies;
  }
}
