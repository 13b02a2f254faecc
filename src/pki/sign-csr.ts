import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { pemBlocks } from '../../protocol/lib/der.ts';
import { InvalidCsr } from '../errors.ts';
import { CURVE, KEY_ALGORITHM } from '../lib/oids.ts';
import { type IssuedCertificate, OID } from './create-certificate.ts';
import { createGatewayCertificate } from './gateway-certificate.ts';

const { ecPublicKey: EC_PUBLIC_KEY, rsaEncryption: RSA } = KEY_ALGORITHM;
const P256 = CURVE.p256;

/**
 * Certifies the key of a gateway's CSR, for vendors whose keys never leave the device. The CSR's
 * own signature must verify and its subject must be exactly one CN of 16 hex digits.
 */
export async function signGatewayCsr(
  issuer: IssuedCertificate,
  csrData: Buffer | string,
  days: number,
  name = 'the CSR',
): Promise<{ eui: string; cert: IssuedCertificate }> {
  const text = Buffer.isBuffer(csrData) ? csrData.toString('latin1') : csrData;
  const der = text.includes('-----BEGIN')
    ? pemBlocks(text).find((b) => b.label === 'CERTIFICATE REQUEST' || b.label === 'NEW CERTIFICATE REQUEST')?.der
    : Buffer.from(text, 'latin1');
  if (!der) throw new InvalidCsr(`${name} holds no CERTIFICATE REQUEST block`);
  let csr: pkijs.CertificationRequest;
  try {
    const asn1 = asn1js.fromBER(der);
    if (asn1.offset === -1) throw new Error('not DER');
    csr = new pkijs.CertificationRequest({ schema: asn1.result });
  } catch (error) {
    throw new InvalidCsr(`${name} is not a certificate request: ${(error as Error).message}`);
  }
  const names = csr.subject.typesAndValues.filter((a) => a.type === OID.commonName).map((a) => String(a.value.valueBlock.value));
  if (names.length !== 1 || !/^[0-9A-Fa-f]{16}$/.test(names[0]!)) {
    throw new InvalidCsr(`${name}: the subject must be exactly one CN of 16 hex digits (the gateway EUI), got ${JSON.stringify(names)}`);
  }
  if (!(await csr.verify().catch(() => false))) throw new InvalidCsr(`${name}: its signature does not verify`);
  const spki = csr.subjectPublicKeyInfo;
  const keyAlgorithm = spki.algorithm.algorithmId;
  const curve = (spki.algorithm.algorithmParams as asn1js.ObjectIdentifier | undefined)?.valueBlock?.toString?.();
  const algorithm =
    keyAlgorithm === EC_PUBLIC_KEY && curve === P256
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : keyAlgorithm === RSA
        ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
        : undefined;
  if (!algorithm) throw new InvalidCsr(`${name}: only P-256 and RSA keys are supported, as the station's mbedTLS loads them`);
  const publicKey = await webcrypto.subtle.importKey('spki', spki.toSchema().toBER(), algorithm, true, ['verify']);
  const eui = names[0]!.toUpperCase();
  return { eui, cert: await createGatewayCertificate(issuer, eui, { days, publicKey }) };
}
