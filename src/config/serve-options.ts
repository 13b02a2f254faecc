import { DEFAULT_TRUSTED_PROXIES } from '../client-cert/trusted-proxies.ts';
import { InvalidOption } from '../errors.ts';
import { DEFAULT_FIRMWARE_DIR } from '../firmware/image-store.ts';
import { DEFAULT_IPV6_PREFIX } from '../http/client-address.ts';
import type { RateLimit } from '../http/rate-limiter.ts';
import { DEFAULT_DB_URL } from '../registry/open-registry.ts';
import { DEFAULT_SECRET_KEY_FILE } from '../secrets/load-keyring.ts';

/** Everything `cups serve` can be told; each also comes from an environment variable (see the CLI). */
export interface ServeOptions {
  port: number;
  host: string;
  tenants: string;
  db: string;
  /** Master keys sealing stored secrets (CUPS_SECRET_KEY, when set, is used instead). */
  secretKeyFile: string;
  /** Folder of firmware images, content-addressed, with SQLite (with PostgreSQL, images are kept in the database). */
  firmwareDir: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsRejectUnauthorized: boolean;
  clientCertHeader?: string;
  clientChainHeader?: string;
  trustProxy: string[];
  /** Calls a gateway (by the EUI its certificate proves) may make; null: unlimited. */
  rateLimitEui: RateLimit | null;
  /** Calls one client address may make (behind a trusted proxy, the address it forwards); null: unlimited. */
  rateLimitPeer: RateLimit | null;
  /** IPv6 prefix length counted as one client by the per-address limit and the verification queue. */
  ipv6Prefix?: number;
  /** While the registry is unreachable, gateways read this recently (minutes) are answered from that record; 0: none. */
  staleAnswersMinutes?: number;
  /** Longest a request may take to arrive, headers and body, in milliseconds. */
  requestTimeoutMs?: number;
  logLevel: string;
  /** First run: create and use the demo PKI, tenant and gateway when nothing else is configured. */
  demo: boolean;
  /** The admin API's port (never the gateways'); 0 or absent: no admin listener. */
  adminPort?: number;
  adminHost?: string;
  adminTlsCert?: string;
  adminTlsKey?: string;
  /** Allows the admin API on a non-loopback address without TLS. */
  adminInsecure?: boolean;
  /** When set, GET /metrics needs it as a bearer token. */
  metricsToken?: string;
  /** Days the audit trail is kept. */
  auditDays?: number;
  /** How long past its nextUpdate a CRL still counts, in ms (0: not at all, as OpenSSL and nginx). */
  crlGraceMs?: number;
}

export const SERVE_DEFAULTS = {
  port: 8987,
  host: '0.0.0.0',
  tenants: './tenants',
  db: DEFAULT_DB_URL,
  secretKeyFile: DEFAULT_SECRET_KEY_FILE,
  firmwareDir: DEFAULT_FIRMWARE_DIR,
  trustProxy: DEFAULT_TRUSTED_PROXIES,
  // A station calls at start-up and then about daily; 12 a minute is a retry loop, not a station.
  rateLimitEui: '12:6',
  // Many gateways may share one NAT address, and all call after an outage.
  rateLimitPeer: '1200:300',
  ipv6Prefix: DEFAULT_IPV6_PREFIX,
  staleAnswersMinutes: 15,
  requestTimeoutMs: 10_000,
  logLevel: 'info',
  adminPort: 8988,
  adminHost: '127.0.0.1',
  auditDays: 90,
} as const;

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration, a whole number with a unit (`90s`, `30m`, `12h`, `30d`) or `0`, into milliseconds. */
export function parseDuration(text: string, flag: string): number {
  if (text.trim() === '0') return 0;
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match) throw new InvalidOption(`${flag} must be a whole number with a unit, s, m, h or d (such as 12h or 30d), or 0; got "${text}"`);
  return Number(match[1]) * DURATION_UNITS[match[2]!]!;
}

/** Parses PER_MINUTE[:BURST] ("0" or "off": unlimited); the burst defaults to half a minute's calls. */
export function parseRateLimit(text: string, flag: string): RateLimit | null {
  if (text === '0' || text === 'off') return null;
  const match = /^(\d+)(?::(\d+))?$/.exec(text.trim());
  const perMinute = Number(match?.[1]);
  const burst = match?.[2] === undefined ? Math.max(1, Math.ceil(perMinute / 2)) : Number(match[2]);
  if (!match || perMinute < 1 || burst < 1)
    throw new InvalidOption(`${flag} must be PER_MINUTE[:BURST] with whole numbers of at least 1, or 0 for no limit; got "${text}"`);
  return { perMinute, burst };
}
