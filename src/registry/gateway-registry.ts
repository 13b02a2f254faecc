import type { SqlExecutor } from './sql-dialect.ts';

/** A registered gateway, as every registry backend stores and returns it. */
export interface Gateway {
  /** 16 uppercase hex digits. */
  eui: string;
  tenant: string;
  name: string | null;
  lnsUri: string;
  /** The credentials blob sent as tcCred, or null to send none. */
  lnsCredentials: Buffer | null;
  cupsUri: string | null;
  cupsCredentials: Buffer | null;
  /** SHA-256 fingerprints (lowercase hex) of the only client certificates accepted; empty: any. */
  pinnedCertificates: string[];
  /** Client certificates refused for this gateway: `sha256:<lowercase hex>` or `serial:<uppercase hex>`, from `@<ms>` on when timed. */
  revokedCertificates: string[];
  /** A new client certificate issued to replace the one it presents, until it presents the new one. */
  renewal: PendingRenewal | null;
  /** The CUPS credentials (trust, the new certificate, its key) handed over for the renewal, as sent. */
  renewalCredentials: Buffer | null;
  /** The SHA-256 of the self-signed certificate it is accepted with, no CA needed (when its tenant allows it). */
  selfSignedCertificate: string | null;
  /** The firmware channel the gateway follows (null: the default channel of its model). */
  firmwareChannel: string | null;
  /** A firmware version the gateway is held at, whatever its channel says. */
  firmwarePin: string | null;
  createdAt: string;
  updatedAt: string;
  lastContact: LastContact | null;
}

/** A renewal (or an enrolment from a bootstrap certificate) under way: the certificate issued and the one it replaces. */
export interface PendingRenewal {
  kind: 'renewal' | 'enrolment';
  sha256: string;
  serial: string;
  notAfter: string;
  replaces: string;
  issuedAt: string;
}

/** What the gateway's most recent accepted update-info request reported. */
export interface LastContact {
  at: string;
  station: string | null;
  model: string | null;
  package: string | null;
  peer: string | null;
  /** The client certificate it presented. */
  certificate: PresentedCertificate | null;
}

/** A client certificate as a contact records it: enough to find it, revoke it and see it expire. */
export interface PresentedCertificate {
  sha256: string;
  serial: string;
  notAfter: string;
}

export type NewGateway = Pick<Gateway, 'eui' | 'tenant' | 'name' | 'lnsUri' | 'lnsCredentials' | 'cupsUri' | 'cupsCredentials'> & {
  pinnedCertificates?: string[];
  selfSignedCertificate?: string | null;
};
export type GatewayChanges = Partial<
  Omit<NewGateway, 'eui'> &
    Pick<Gateway, 'firmwareChannel' | 'firmwarePin' | 'revokedCertificates' | 'renewal' | 'renewalCredentials' | 'selfSignedCertificate'>
>;

/** A page of gateways in EUI order: those after `after` (an EUI), of one tenant, matching `q`. */
export interface GatewayQuery {
  tenant?: string;
  /** An EUI in any spelling (that gateway), or text its name contains. */
  q?: string;
  /** Only gateways whose last presented certificate expires before this time (ISO 8601). */
  expiringBefore?: string;
  after?: string;
  limit: number;
}

/** The registry every backend implements; all methods may be called concurrently. */
export interface GatewayRegistry {
  /** A gateway; `fresh` reads the database now (what an operator looks at), not a record kept for answers. */
  get(eui: string, options?: { fresh?: boolean }): Promise<Gateway | undefined>;
  /** Every gateway (of a tenant), by tenant and EUI; with `expiringBefore`, those whose last presented certificate expires before it, soonest first. */
  list(filter?: { tenant?: string; expiringBefore?: string }): Promise<Gateway[]>;
  /** One page, by keyset: as fast for the last page of a million as for the first. */
  page(query: GatewayQuery): Promise<Gateway[]>;
  /** Throws GatewayExists when the EUI is taken. */
  add(gateway: NewGateway): Promise<Gateway>;
  /** Adds all or none, in one transaction; GatewayExists names the index of the first taken EUI. */
  addMany(gateways: NewGateway[], onProgress?: (written: number) => void): Promise<void>;
  /** Throws GatewayNotFound when there is no such gateway. */
  update(eui: string, changes: GatewayChanges): Promise<Gateway>;
  /** Returns whether a gateway was removed. */
  remove(eui: string): Promise<boolean>;
  /**
   * Starts a renewal unless one is under way: returns the gateway with it, and false when another
   * request (of this or another instance) started one first (then the gateway as it is now).
   */
  claimRenewal(eui: string, renewal: PendingRenewal, credentials: Buffer): Promise<{ claimed: boolean; gateway: Gateway | undefined }>;
  /** Records the latest contact of each gateway named, in one transaction; an EUI no longer registered is skipped. */
  recordContacts(contacts: ReadonlyMap<string, LastContact>): Promise<void>;
  /** Resolves when the registry answers; throws RegistryUnavailable otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Which credentials column a stored secret is in. */
export type CredentialsField = 'lnsCredentials' | 'cupsCredentials' | 'renewalCredentials';

/** A storage backend: credentials are opaque bytes to it (the SealedRegistry encrypts them). */
export interface GatewayStore extends GatewayRegistry {
  /** The same database for other tables whose reads are kept like gateways' (the firmware catalog): writes are announced. */
  readonly sql: SqlExecutor;
  /**
   * The same database for tables read fresh each time and written without a word to other
   * instances (tokens, tenants, the audit trail): an audit line must not make every instance
   * forget what it keeps.
   */
  readonly directSql: SqlExecutor;
  /** A long-running server's choice: serve reads from memory, kept fresh by watching the database for changes. */
  keepReadsFresh(): Promise<void>;
  getSetting(name: string): Promise<Buffer | undefined>;
  setSetting(name: string, value: Buffer): Promise<void>;
  /**
   * Rewrites stored credentials in one transaction: `rewrite` returns the new bytes, or undefined
   * to leave a value as it is. Returns how many values changed.
   */
  rewriteCredentials(rewrite: (eui: string, field: CredentialsField, stored: Buffer) => Buffer | undefined): Promise<number>;
}
