import { DEFAULT_TRUSTED_PROXIES } from '../client-cert/trusted-proxies.ts';
import { DEFAULT_DB_URL } from '../registry/open-registry.ts';
import { DEFAULT_SECRET_KEY_FILE } from '../secrets/load-keyring.ts';
import { DEFAULT_FIRMWARE_DIR } from '../firmware/image-store.ts';

/** Everything `cups serve` can be told; each also comes from an environment variable (see the CLI). */
export interface ServeOptions {
  port: number;
  host: string;
  tenants: string;
  db: string;
  /** Master keys sealing stored secrets (CUPS_SECRET_KEY, when set, is used instead). */
  secretKeyFile: string;
  /** Folder of firmware images, content-addressed (shared between instances, like the tenants folder). */
  firmwareDir: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsRejectUnauthorized: boolean;
  clientCertHeader?: string;
  clientChainHeader?: string;
  trustProxy: string[];
  logLevel: string;
  /** First run: create and use the demo PKI, tenant and gateway when nothing else is configured. */
  demo: boolean;
}

export const SERVE_DEFAULTS = {
  port: 8987,
  host: '0.0.0.0',
  tenants: './tenants',
  db: DEFAULT_DB_URL,
  secretKeyFile: DEFAULT_SECRET_KEY_FILE,
  firmwareDir: DEFAULT_FIRMWARE_DIR,
  trustProxy: DEFAULT_TRUSTED_PROXIES,
  logLevel: 'info',
} as const;
