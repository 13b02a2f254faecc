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

export type NewGateway = Pick<Gateway, 'eui' | 'tenant' | 'name' | 'lnsUri' | 'lnsCredentials' | 'cupsUri' | 'cupsCredentials'>;
export type GatewayChanges = Partial<Omit<NewGateway, 'eui'>>;

/** The registry every backend implements; all methods may be called concurrently. */
export interface GatewayRegistry {
  get(eui: string): Promise<Gateway | undefined>;
  list(filter?: { tenant?: string }): Promise<Gateway[]>;
  /** Throws GatewayExists when the EUI is taken. */
  add(gateway: NewGateway): Promise<Gateway>;
  /** Throws GatewayNotFound when there is no such gateway. */
  update(eui: string, changes: GatewayChanges): Promise<Gateway>;
  /** Returns whether a gateway was removed. */
  remove(eui: string): Promise<boolean>;
  recordContact(eui: string, contact: LastContact): Promise<void>;
  close(): Promise<void>;
}
