import { createPrivateKey, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { certificateDer } from '../../protocol/index.ts';
import type { IssuedCertificate } from './create-certificate.ts';

/** A CA certificate and its private key (PEM) as an issuer that createCertificate can sign with. */
export async function loadIssuer(certPem: string, keyPem: string): Promise<IssuedCertificate> {
  const der = certificateDer(certPem, 'CA certificate');
  const cert = new pkijs.Certificate({ schema: asn1js.fromBER(der).result });
  const key = createPrivateKey(keyPem);
  const algorithm =
    key.asymmetricKeyType === 'ec' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', cert.subjectPublicKeyInfo.toSchema().toBER(), algorithm, true, ['verify']);
  return { der, pem: certPem, keyPair: { privateKey, publicKey }, keyPem, pkijs: cert };
}
