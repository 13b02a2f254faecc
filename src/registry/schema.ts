import { InvalidGateway } from '../errors.ts';
import type { Gateway, GatewayChanges, PendingRenewal } from './gateway-registry.ts';

/** What a migration's SQL differs in between the databases, and the moment it is applied. */
export interface Dialect {
  blob: string;
  /** A column that numbers rows by itself, as the primary key. */
  serialKey: string;
  /** When the migration runs, as an ISO 8601 text. */
  now: string;
}

/**
 * The schema migrations both backends apply, in order, once each; never edit one that has been
 * released. SQL common to SQLite and PostgreSQL, with the binary type per dialect.
 */
export const MIGRATIONS: ((dialect: Dialect) => string)[] = [
  (d) => `CREATE TABLE gateways (
     eui TEXT PRIMARY KEY CHECK (length(eui) = 16),
     tenant TEXT NOT NULL,
     name TEXT,
     lns_uri TEXT NOT NULL,
     lns_credentials ${d.blob},
     cups_uri TEXT,
     cups_credentials ${d.blob},
     pinned_certificates TEXT NOT NULL DEFAULT '',
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     last_contact_at TEXT,
     last_station TEXT,
     last_model TEXT,
     last_package TEXT,
     last_peer TEXT
   );
   CREATE INDEX gateways_tenant ON gateways (tenant);
   CREATE TABLE settings (name TEXT PRIMARY KEY, value ${d.blob} NOT NULL);`,
  (d) => `ALTER TABLE gateways ADD COLUMN firmware_channel TEXT;
   ALTER TABLE gateways ADD COLUMN firmware_pin TEXT;
   CREATE TABLE firmware_images (
     model TEXT NOT NULL,
     version TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     size BIGINT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (model, version)
   );
   CREATE TABLE firmware_signatures (
     sha256 TEXT NOT NULL,
     key_crc BIGINT NOT NULL,
     signature ${d.blob} NOT NULL,
     PRIMARY KEY (sha256, key_crc)
   );
   CREATE TABLE firmware_channels (
     model TEXT NOT NULL,
     channel TEXT NOT NULL,
     target_version TEXT,
     previous_version TEXT,
     rollout_percent INTEGER NOT NULL DEFAULT 100,
     paused INTEGER NOT NULL DEFAULT 0,
     allow_unsigned INTEGER NOT NULL DEFAULT 0,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (model, channel)
   );`,
  // Tenants as rows (those of the registered gateways to begin with), operator tokens, the audit
  // trail, and the index that pages a tenant's gateways by EUI.
  (d) => `CREATE TABLE tenants (id TEXT PRIMARY KEY, created_at TEXT NOT NULL);
   INSERT INTO tenants (id, created_at) SELECT DISTINCT tenant, '${d.now}' FROM gateways;
   CREATE TABLE admin_tokens (
     name TEXT PRIMARY KEY,
     tenant TEXT,
     hash TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL,
     revoked_at TEXT
   );
   CREATE TABLE audit_events (
     id ${d.serialKey},
     at TEXT NOT NULL,
     actor TEXT NOT NULL,
     tenant TEXT,
     eui TEXT,
     action TEXT NOT NULL,
     detail TEXT NOT NULL
   );
   CREATE INDEX audit_events_at ON audit_events (at);
   CREATE INDEX gateways_tenant_eui ON gateways (tenant, eui);`,
  // CAs added through the API, with a revision every instance polls to reload its trust store;
  // firmware images as chunks (no instance keeps them on its own disk); and the certificate each
  // gateway last presented, to list and count those about to expire.
  (d) => `CREATE TABLE tenant_cas (
     tenant TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     pem TEXT NOT NULL,
     added_at TEXT NOT NULL,
     added_by TEXT NOT NULL,
     PRIMARY KEY (tenant, sha256)
   );
   CREATE TABLE trust_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision BIGINT NOT NULL);
   INSERT INTO trust_revision (id, revision) VALUES (1, 0);
   CREATE TABLE firmware_blobs (sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL, chunks INTEGER NOT NULL, created_at TEXT NOT NULL);
   CREATE TABLE firmware_chunks (
     blob TEXT NOT NULL,
     seq INTEGER NOT NULL,
     data ${d.blob} NOT NULL,
     PRIMARY KEY (blob, seq)
   );
   ALTER TABLE gateways ADD COLUMN last_cert_sha256 TEXT;
   ALTER TABLE gateways ADD COLUMN last_cert_serial TEXT;
   ALTER TABLE gateways ADD COLUMN last_cert_not_after TEXT;
   CREATE INDEX gateways_cert_expiry ON gateways (last_cert_not_after);`,
  // CRLs added through the API (their changes move the trust revision too), and certificates an
  // operator revoked for one gateway.
  (d) => `CREATE TABLE tenant_crls (
     tenant TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     der ${d.blob} NOT NULL,
     added_at TEXT NOT NULL,
     added_by TEXT NOT NULL,
     PRIMARY KEY (tenant, sha256)
   );
   ALTER TABLE gateways ADD COLUMN revoked_certificates TEXT NOT NULL DEFAULT '';
   CREATE TABLE tenant_issuers (
     tenant TEXT PRIMARY KEY,
     ca_pem TEXT NOT NULL,
     ca_key ${d.blob} NOT NULL,
     cups_trust ${d.blob} NOT NULL,
     renew_before_ms BIGINT NOT NULL,
     validity_days INTEGER NOT NULL,
     key_type TEXT,
     revoke_old_after_ms BIGINT,
     updated_at TEXT NOT NULL
   );
   ALTER TABLE gateways ADD COLUMN renewal TEXT;
   ALTER TABLE gateways ADD COLUMN renewal_credentials ${d.blob};
   ALTER TABLE gateways ADD COLUMN self_signed_sha256 TEXT;
   CREATE INDEX gateways_self_signed ON gateways (self_signed_sha256);
   CREATE INDEX gateways_revoked ON gateways (eui) WHERE revoked_certificates <> '';
   CREATE INDEX gateways_renewing ON gateways (eui) WHERE renewal IS NOT NULL;
   ALTER TABLE tenants ADD COLUMN allow_self_signed INTEGER NOT NULL DEFAULT 0;`,
  // The web console's sign-ins: each stands for the admin token it was opened with (by its hash),
  // so a revoked token ends its sessions on every instance.
  () => `CREATE TABLE console_sessions (
     id_hash TEXT PRIMARY KEY,
     token_hash TEXT NOT NULL,
     created_at TEXT NOT NULL,
     expires_at TEXT NOT NULL
   );
   CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);`,
];

export interface GatewayRow {
  eui: string;
  tenant: string;
  name: string | null;
  lns_uri: string;
  lns_credentials: Buffer | null;
  cups_uri: string | null;
  cups_credentials: Buffer | null;
  pinned_certificates: string;
  revoked_certificates: string;
  renewal: string | null;
  renewal_credentials: Buffer | null;
  self_signed_sha256: string | null;
  firmware_channel: string | null;
  firmware_pin: string | null;
  created_at: string;
  updated_at: string;
  last_contact_at: string | null;
  last_station: string | null;
  last_model: string | null;
  last_package: string | null;
  last_peer: string | null;
  last_cert_sha256: string | null;
  last_cert_serial: string | null;
  last_cert_not_after: string | null;
}

/** Every column of GatewayRow, for statements that name them rather than `*`. */
export const GATEWAY_COLUMNS = [
  'eui',
  'tenant',
  'name',
  'lns_uri',
  'lns_credentials',
  'cups_uri',
  'cups_credentials',
  'pinned_certificates',
  'revoked_certificates',
  'renewal',
  'renewal_credentials',
  'self_signed_sha256',
  'firmware_channel',
  'firmware_pin',
  'created_at',
  'updated_at',
  'last_contact_at',
  'last_station',
  'last_model',
  'last_package',
  'last_peer',
  'last_cert_sha256',
  'last_cert_serial',
  'last_cert_not_after',
] as const satisfies readonly (keyof GatewayRow)[];

/** Columns of the fields a GatewayChanges may hold. */
export const CHANGE_COLUMNS: Record<keyof GatewayChanges, keyof GatewayRow> = {
  tenant: 'tenant',
  name: 'name',
  lnsUri: 'lns_uri',
  lnsCredentials: 'lns_credentials',
  cupsUri: 'cups_uri',
  cupsCredentials: 'cups_credentials',
  pinnedCertificates: 'pinned_certificates',
  revokedCertificates: 'revoked_certificates',
  renewal: 'renewal',
  renewalCredentials: 'renewal_credentials',
  selfSignedCertificate: 'self_signed_sha256',
  firmwareChannel: 'firmware_channel',
  firmwarePin: 'firmware_pin',
};

export const CREDENTIAL_COLUMNS = {
  lnsCredentials: 'lns_credentials',
  cupsCredentials: 'cups_credentials',
  renewalCredentials: 'renewal_credentials',
} as const;

/** A change's values as stored (pins as one comma-separated text). */
export function columnValue(key: keyof GatewayChanges, value: GatewayChanges[keyof GatewayChanges]): unknown {
  if (key === 'renewal') return value === null || value === undefined ? null : JSON.stringify(value);
  if (key === 'revokedCertificates') {
    const revoked = value as string[];
    if (revoked.some((entry) => !REVOKED_ENTRY.test(entry)))
      throw new InvalidGateway('a revoked certificate is sha256:<64 lowercase hex digits> or serial:<uppercase hex digits>');
    return revoked.join(',');
  }
  if (key !== 'pinnedCertificates') return value;
  const pins = value as string[];
  if (pins.some((pin) => !/^[0-9a-f]{64}$/.test(pin)))
    throw new InvalidGateway('a pinned certificate must be a SHA-256 fingerprint, 64 lowercase hex digits');
  return pins.join(',');
}

const REVOKED_ENTRY = /^(sha256:[0-9a-f]{64}|serial:[0-9A-F]{1,40})(@\d{1,15})?$/;

export function toGateway(row: GatewayRow): Gateway {
  return {
    eui: row.eui,
    tenant: row.tenant,
    name: row.name,
    lnsUri: row.lns_uri,
    lnsCredentials: row.lns_credentials,
    cupsUri: row.cups_uri,
    cupsCredentials: row.cups_credentials,
    pinnedCertificates: row.pinned_certificates ? row.pinned_certificates.split(',') : [],
    revokedCertificates: row.revoked_certificates ? row.revoked_certificates.split(',') : [],
    renewal: row.renewal ? (JSON.parse(row.renewal) as PendingRenewal) : null,
    renewalCredentials: row.renewal_credentials,
    selfSignedCertificate: row.self_signed_sha256,
    firmwareChannel: row.firmware_channel,
    firmwarePin: row.firmware_pin,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastContact: row.last_contact_at
      ? {
          at: row.last_contact_at,
          station: row.last_station,
          model: row.last_model,
          package: row.last_package,
          peer: row.last_peer,
          certificate: row.last_cert_sha256
            ? { sha256: row.last_cert_sha256, serial: row.last_cert_serial ?? '', notAfter: row.last_cert_not_after ?? '' }
            : null,
        }
      : null,
  };
}
