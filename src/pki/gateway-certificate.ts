import { type webcrypto, X509Certificate } from 'node:crypto';
import { createCertificate, type IssuedCertificate, KEY_USAGE, OID } from './create-certificate.ts';
import type { KeyType } from './keys.ts';

/** What a manifest line records of an issued gateway certificate. */
export interface IssuedGateway {
  eui: string;
  serial: string;
  sha256: string;
  notAfter: string;
}

/**
 * A gateway's client certificate: CN = the EUI as 16 uppercase hex digits, extended key usage
 * clientAuth, key usage digitalSignature, a random 16-byte serial, signed by the issuing CA.
 */
export function createGatewayCertificate(
  issuer: IssuedCertificate,
  eui: string,
  options: { keyType?: KeyType; days: number; publicKey?: webcrypto.CryptoKey },
): Promise<IssuedCertificate> {
  return createCertificate({
    subject: eui,
    issuer,
    days: options.days,
    extKeyUsage: [OID.clientAuth],
    keyUsage: KEY_USAGE.digitalSignature,
    ...(options.publicKey ? { publicKey: options.publicKey } : { keyType: options.keyType ?? 'ec' }),
  });
}

export function describeIssued(eui: string, cert: IssuedCertificate): IssuedGateway {
  const x509 = new X509Certificate(cert.der);
  return {
    eui,
    serial: x509.serialNumber.toLowerCase(),
    sha256: x509.fingerprint256.replace(/:/g, '').toLowerCase(),
    notAfter: new Date(x509.validTo).toISOString(),
  };
}
