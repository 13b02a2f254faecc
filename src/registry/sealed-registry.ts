import { SecretKeyring } from '../secrets/keyring.ts';
import type {
  CredentialsField,
  Gateway,
  GatewayChanges,
  GatewayQuery,
  GatewayRegistry,
  GatewayStore,
  LastContact,
  NewGateway,
  PendingRenewal,
} from './gateway-registry.ts';

const KEY_CHECK = 'secret_key_check';
const FIELD_OWNER: Record<CredentialsField, string> = { lnsCredentials: 'lns', cupsCredentials: 'cups', renewalCredentials: 'renewal' };
const owner = (eui: string, field: CredentialsField) => `${eui}/${FIELD_OWNER[field]}`;
/** What the sealed key of a tenant's issuing CA is bound to: it opens for that tenant only. */
export const issuerKeyOwner = (tenant: string) => `issuer/${tenant}`;

/**
 * The registry as the service sees it: credentials blobs (which hold private keys and tokens) are
 * sealed with AES-256-GCM before they reach the store, and opened when read. A value that does
 * not open raises SecretKeyMismatch: never garbage on the wire.
 */
export class SealedRegistry implements GatewayRegistry {
  constructor(
    readonly store: GatewayStore,
    private readonly keyring: SecretKeyring,
  ) {}

  /**
   * Proves the configured keys open what the registry holds, sealing a check value on first use.
   * Run at start-up so that a wrong key fails at once, with a clear message.
   */
  /** Whether anything was ever sealed here (the key check is sealed before any secret). */
  async hasSealedSecrets(): Promise<boolean> {
    return (await this.store.getSetting(KEY_CHECK)) !== undefined;
  }

  async checkKeys(): Promise<void> {
    const check = await this.store.getSetting(KEY_CHECK);
    if (check) this.keyring.open(check, `settings/${KEY_CHECK}`);
    else await this.store.setSetting(KEY_CHECK, this.keyring.seal(Buffer.from('cups'), `settings/${KEY_CHECK}`));
  }

  /** Re-seals every value not sealed under the first key; returns how many were re-sealed. */
  async rotate(): Promise<number> {
    const check = await this.store.getSetting(KEY_CHECK);
    const reseal = (sealed: Buffer, who: string) =>
      SecretKeyring.sealedWith(sealed) === this.keyring.currentId ? undefined : this.keyring.seal(this.keyring.open(sealed, who), who);
    let changed = await this.store.rewriteCredentials((eui, field, stored) => reseal(stored, owner(eui, field)));
    // The tenants' issuing CA keys: only the value read is replaced, as for credentials.
    const issuers = await this.store.directSql.all<{ tenant: string; ca_key: Buffer }>('SELECT tenant, ca_key FROM tenant_issuers');
    for (const { tenant, ca_key: sealed } of issuers) {
      const next = reseal(sealed, issuerKeyOwner(tenant));
      if (next)
        changed += await this.store.directSql.run('UPDATE tenant_issuers SET ca_key = ? WHERE tenant = ? AND ca_key = ?', [
          next,
          tenant,
          sealed,
        ]);
    }
    const newCheck = check && reseal(check, `settings/${KEY_CHECK}`);
    if (newCheck) await this.store.setSetting(KEY_CHECK, newCheck);
    return changed;
  }

  /** Opened records by the store's record: the store's read cache returns the same object until something changes. */
  private readonly openedRecords = new WeakMap<Gateway, Gateway>();

  private opened(gateway: Gateway): Gateway {
    const known = this.openedRecords.get(gateway);
    if (known) return known;
    const opened = {
      ...gateway,
      lnsCredentials: gateway.lnsCredentials && this.keyring.open(gateway.lnsCredentials, owner(gateway.eui, 'lnsCredentials')),
      cupsCredentials: gateway.cupsCredentials && this.keyring.open(gateway.cupsCredentials, owner(gateway.eui, 'cupsCredentials')),
      renewalCredentials:
        gateway.renewalCredentials && this.keyring.open(gateway.renewalCredentials, owner(gateway.eui, 'renewalCredentials')),
    };
    this.openedRecords.set(gateway, opened);
    return opened;
  }

  private sealed<T extends GatewayChanges>(eui: string, gateway: T): T {
    const result = { ...gateway };
    for (const field of ['lnsCredentials', 'cupsCredentials', 'renewalCredentials'] as const) {
      const value = gateway[field];
      if (value) result[field] = this.keyring.seal(value, owner(eui, field));
    }
    return result;
  }

  async get(eui: string, options?: { fresh?: boolean }): Promise<Gateway | undefined> {
    const gateway = await this.store.get(eui, options);
    return gateway && this.opened(gateway);
  }

  async list(filter?: { tenant?: string; expiringBefore?: string }): Promise<Gateway[]> {
    return (await this.store.list(filter)).map((g) => this.opened(g));
  }

  async page(query: GatewayQuery): Promise<Gateway[]> {
    return (await this.store.page(query)).map((g) => this.opened(g));
  }

  async add(gateway: NewGateway): Promise<Gateway> {
    return this.opened(await this.store.add(this.sealed(gateway.eui, gateway)));
  }

  async addMany(gateways: NewGateway[], onProgress?: (written: number) => void): Promise<void> {
    await this.store.addMany(
      gateways.map((g) => this.sealed(g.eui, g)),
      onProgress,
    );
  }

  async update(eui: string, changes: GatewayChanges): Promise<Gateway> {
    return this.opened(await this.store.update(eui, this.sealed(eui, changes)));
  }

  remove(eui: string): Promise<boolean> {
    return this.store.remove(eui);
  }

  async claimRenewal(
    eui: string,
    renewal: PendingRenewal,
    credentials: Buffer,
  ): Promise<{ claimed: boolean; gateway: Gateway | undefined }> {
    const result = await this.store.claimRenewal(eui, renewal, this.keyring.seal(credentials, owner(eui, 'renewalCredentials')));
    return { claimed: result.claimed, gateway: result.gateway && this.opened(result.gateway) };
  }

  /** Seals a secret of the registry's own (an issuing CA's key), bound to `who`. */
  sealSecret(value: Buffer, who: string): Buffer {
    return this.keyring.seal(value, who);
  }

  openSecret(sealed: Buffer, who: string): Buffer {
    return this.keyring.open(sealed, who);
  }

  recordContacts(contacts: ReadonlyMap<string, LastContact>): Promise<void> {
    return this.store.recordContacts(contacts);
  }

  ping(): Promise<void> {
    return this.store.ping();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
