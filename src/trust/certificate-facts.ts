import { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID } from '../pki/create-certificate.ts';

/**
 * What the checks need to know about one certificate, read once: Node's X509Certificate (OpenSSL)
 * for signatures and issuer matching, pkijs for the fields Node does not expose exactly.
 */
export interface CertificateFacts {
  der: Buffer;
  x509: X509Certificate;
  fingerprint: string;
  /** Hex of the subject and issuer Name DER, the keys of the trust store's index. */
  subjectKey: string;
  issuerKey: string;
  /** Every CN attribute value, as text, in order. */
  commonNames: string[];
  isCa: boolean;
  pathLength: number | undefined;
  /** Extended key usage OIDs, or undefined when the extension is absent. */
  extKeyUsage: string[] | undefined;
  notBefore: Date;
  notAfter: Date;
  selfIssued: boolean;
}

export class CertificateParseError extends Error {
  readonly code = 'certificate_malformed';
}

/** Parses DER into facts; throws CertificateParseError for anything that is not one X.509 certificate. */
export function certificateFacts(der: Uint8Array): CertificateFacts {
  const bytes = Buffer.from(der);
  let x509: X509Certificate;
  let cert: pkijs.Certificate;
  try {
    x509 = new X509Certificate(bytes);
    const asn1 = asn1js.fromBER(bytes);
    if (asn1.offset === -1 || asn1.offset !== bytes.length) throw new Error('not a single DER element');
    cert = new pkijs.Certificate({ schema: asn1.result });
  } catch (error) {
    throw new CertificateParseError(`not an X.509 certificate: ${(error as Error).message}`);
  }
  const extension = (oid: string) => cert.extensions?.find((e) => e.extnID === oid);
  const constraints = extension(OID.basicConstraints)?.parsedValue as pkijs.BasicConstraints | undefined;
  const eku = extension(OID.extKeyUsage)?.parsedValue as pkijs.ExtKeyUsage | undefined;
  const subjectKey = nameKey(cert.subject);
  const issuerKey = nameKey(cert.issuer);
  const pathLen = constraints?.pathLenConstraint;
  return {
    der: bytes,
    x509,
    fingerprint: x509.fingerprint256.replace(/:/g, '').toLowerCase(),
    subjectKey,
    issuerKey,
    commonNames: cert.subject.typesAndValues.filter((a) => a.type === OID.commonName).map((a) => String(a.value.valueBlock.value)),
    isCa: constraints?.cA === true,
    pathLength: typeof pathLen === 'number' ? pathLen : pathLen instanceof asn1js.Integer ? pathLen.valueBlock.valueDec : undefined,
    extKeyUsage: eku?.keyPurposes,
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    selfIssued: subjectKey === issuerKey,
  };
}

function nameKey(name: pkijs.RelativeDistinguishedNames): string {
  return Buffer.from(name.toSchema().toBER()).toString('hex');
}
