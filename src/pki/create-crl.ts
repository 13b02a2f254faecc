import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID } from '../lib/oids.ts';
import type { IssuedCertificate } from './create-certificate.ts';
import { toPem } from './keys.ts';

export interface CrlSpec {
  issuer: IssuedCertificate;
  /** Serial numbers revoked, in hex. */
  revoked: string[];
  thisUpdate?: Date;
  nextUpdate?: Date;
  /** The CRL number, increasing with each CRL of the issuer. */
  number?: number;
}

const DAY_MS = 86_400_000;

/** Issues a CRL (RFC 5280 v2) signed by the issuer's key, with its authority key identifier and number. */
export async function createCrl(spec: CrlSpec): Promise<{ der: Buffer; pem: string }> {
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = spec.issuer.pkijs.subject;
  const thisUpdate = spec.thisUpdate ?? new Date(Date.now() - 60_000);
  crl.thisUpdate = new pkijs.Time({ type: pkijs.TimeType.UTCTime, value: thisUpdate });
  crl.nextUpdate = new pkijs.Time({ type: pkijs.TimeType.UTCTime, value: spec.nextUpdate ?? new Date(thisUpdate.getTime() + 7 * DAY_MS) });
  if (spec.revoked.length) {
    crl.revokedCertificates = spec.revoked.map(
      (serial) =>
        new pkijs.RevokedCertificate({
          userCertificate: new asn1js.Integer({ valueHex: Buffer.from(serial.length % 2 ? `0${serial}` : serial, 'hex') }),
          revocationDate: new pkijs.Time({ type: pkijs.TimeType.UTCTime, value: thisUpdate }),
        }),
    );
  }
  const ski = spec.issuer.pkijs.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
  const keyId = ski && (ski.parsedValue as asn1js.OctetString).valueBlock.valueHexView.slice().buffer;
  crl.crlExtensions = new pkijs.Extensions({
    extensions: [
      new pkijs.Extension({
        extnID: '2.5.29.20',
        critical: false,
        extnValue: new asn1js.Integer({ value: spec.number ?? 1 }).toBER(false),
      }),
      ...(keyId
        ? [
            new pkijs.Extension({
              extnID: OID.authorityKeyIdentifier,
              critical: false,
              extnValue: new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: keyId }) })
                .toSchema()
                .toBER(false),
            }),
          ]
        : []),
    ],
  });
  await crl.sign(spec.issuer.keyPair.privateKey, 'SHA-256');
  const der = Buffer.from(crl.toSchema(true).toBER());
  return { der, pem: toPem('X509 CRL', der) };
}
