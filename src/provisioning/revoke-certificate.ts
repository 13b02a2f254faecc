import { InvalidGateway } from '../errors.ts';
import type { Gateway, GatewayChanges } from '../registry/gateway-registry.ts';
import type { CertificateFacts } from '../trust/certificate-facts.ts';
import { certificateInput } from './certificate-input.ts';

/** One way of naming the certificate to revoke: the certificate itself (PEM or DER), its serial, or its SHA-256. */
export interface RevokedCertificateInput {
  certificate?: Uint8Array | string;
  serial?: string;
  sha256?: string;
}

/**
 * The entry that refuses a certificate for one gateway: `sha256:<hex>` for a certificate or its
 * fingerprint (that certificate only), `serial:<HEX>` for a serial (any certificate of that serial
 * the gateway presents). Exactly one way must be given; `names` says how the caller spells each.
 */
export function revocationEntry(input: RevokedCertificateInput, names: Record<keyof RevokedCertificateInput, string>): string {
  const given = (Object.keys(names) as (keyof RevokedCertificateInput)[]).filter((key) => input[key] !== undefined);
  if (given.length !== 1) throw new InvalidGateway(`give exactly one of ${Object.values(names).join(', ')}`);
  if (input.certificate !== undefined) return `sha256:${certificateInput(input.certificate, names.certificate).fingerprint}`;
  if (input.sha256 !== undefined) {
    const sha256 = input.sha256.toLowerCase().replace(/:/g, '');
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new InvalidGateway(`${names.sha256} must be a SHA-256 fingerprint, 64 hex digits`);
    return `sha256:${sha256}`;
  }
  const digits = input
    .serial!.toUpperCase()
    .replace(/:/g, '')
    .replace(/^0+(?=.)/, '');
  if (!/^[0-9A-F]{1,40}$/.test(digits)) throw new InvalidGateway(`${names.serial} must be a serial number in hex, at most 20 bytes`);
  // Whole bytes, as certificates' serials are spelt (CertificateFacts.serialNumber): A is 0A.
  return `serial:${digits.length % 2 ? `0${digits}` : digits}`;
}

/** The change that adds `entry` to the gateway's revoked certificates, or undefined when it is there already. */
export function revocationChange(gateway: Gateway, entry: string): GatewayChanges | undefined {
  // Revoked now, whatever was there for it (a later time, after a renewal).
  if (gateway.revokedCertificates.includes(entry)) return undefined;
  return { revokedCertificates: [...gateway.revokedCertificates.filter((e) => e.split('@')[0] !== entry), entry] };
}

/**
 * Whether this certificate is revoked for the gateway: by its operator, or as the certificate a
 * completed renewal replaced, once its grace is over (an entry `…@<ms since the epoch>`).
 */
export function isRevokedFor(gateway: Gateway, leaf: CertificateFacts, now = Date.now()): boolean {
  const revoked = gateway.revokedCertificates;
  if (revoked.length === 0) return false;
  const names = [`sha256:${leaf.fingerprint}`, `serial:${leaf.serialNumber}`];
  return revoked.some((entry) => {
    const [name, from] = entry.split('@');
    return names.includes(name!) && (from === undefined || now >= Number(from));
  });
}
