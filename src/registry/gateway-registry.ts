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
  /** The firmware channel the gateway follows (null: the default channel of its model). */
  firmwareChannel: string | null;
  /** A firmware version the gateway is held at, whatever its channel says. */
  firmwarePin: string | null;
  createdAt: string;
  updatedAt: string;
  lastContact: LastContact | null;
}

/** What the gateway's most recent accepted update-info request reported. */
export interface LastContact {
  at: string;
  station: string | null;
  model: string | null;
  package: string | null;
  peer: string | null;
}

export type NewGateway = Pick<Gateway, 'eui' | 'tenant' | 'name' | 'lnsUri' | 'lnsCredentials' | 'cupsUri' | 'cupsCredentials'> & {
  pinnedCertificates?: string[];
};
export type GatewayChanges = Partial<Omit<NewGateway, 'eui'> & Pick<Gateway, 'firmwareChannel' | 'firmwarePin'>>;

/** The registry every backend implements; all methods may be called concurrently. */
export interface GatewayRegistry {
  get(eui: string): Promise<Gateway | undefined>;
  list(filter?: { tenant?: string }): Promise<Gateway[]>;
  /** Throws GatewayExists when the EUI is taken. */
  add(gateway: NewGateway): Promise<Gateway>;
  /** Adds all or none, in one transaction; GatewayExists names the index of the first taken EUI. */
  addMany(gateways: NewGateway[], onProgress?: (written: number) => void): Promise<void>;
  /** Throws GatewayNotFound when there is no such gateway. */
  update(eui: string, changes: GatewayChanges): Promise<Gateway>;
  /** Returns whether a gateway was removed. */
  remove(eui: string): Promise<boolean>;
  /** Records the latest contact of each gateway named, in one transaction; an EUI no longer registered is skipped. */
  recordContacts(contacts: ReadonlyMap<string, LastContact>): Promise<void>;
  /** Resolves when the registry answers; throws RegistryUnavailable otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Which credentials column a stored secret is in. */
export type CredentialsField = 'lnsCredentials' | 'cupsCredentials';

/** A storage backend: credentials are opaque bytes to it (the SealedRegistry encrypts them). */
export interface GatewayStore extends GatewayRegistry {
  /** The same database for other tables (the firmware catalog). */
  readonly sql: SqlExecutor;
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
