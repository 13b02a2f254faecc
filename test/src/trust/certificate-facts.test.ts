import { createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCertificate, type IssuedCertificate, KEY_USAGE, OID } from '../../../src/pki/create-certificate.ts';
import { CertificateParseError, parseCertificate } from '../../../src/trust/certificate-facts.ts';
import { VECTORS } from '../../helpers/paths.ts';

/** The certificate's TBS re-encoded after `change`, with its old signature: enough for parsing. */
function altered(cert: IssuedCertificate, change: (c: pkijs.Certificate) => void): Buffer {
  const copy = new pkijs.Certificate({ schema: asn1js.fromBER(cert.der).result });
  change(copy);
  return Buffer.from(copy.toSchema(true).toBER());
}

let root: IssuedCertificate;
let rsaRoot: IssuedCertificate;
let intermediate: IssuedCertificate;
let leaf: IssuedCertificate;
beforeAll(async () => {
  root = await createCertificate({
    subject: [
      [OID.commonName, 'Root'],
      [OID.organization, 'Vendor, Inc.'],
    ],
    ca: true,
  });
  rsaRoot = await createCertificate({ subject: 'RSA root', ca: true, keyType: 'rsa2048' });
  intermediate = await createCertificate({ subject: 'Intermediate', issuer: rsaRoot, ca: true, pathLength: 0 });
  leaf = await createCertificate({
    subject: 'B827EBFFFE123456',
    issuer: intermediate,
    extKeyUsage: [OID.clientAuth],
    notAfter: new Date('2051-03-04T05:06:07Z'),
  });
});

describe('certificate facts from one DER walk', () => {
  it('agree with OpenSSL on every field the checks use', () => {
    const vectorRoot = readFileSync(join(VECTORS, 'proxy-headers', 'rsa-root.pem'), 'latin1');
    for (const der of [root.der, rsaRoot.der, intermediate.der, leaf.der, new X509Certificate(vectorRoot).raw]) {
      const facts = parseCertificate(der);
      const x509 = new X509Certificate(der);
      expect(facts.fingerprint).toBe(x509.fingerprint256.replace(/:/g, '').toLowerCase());
      expect(facts.notBefore).toEqual(new Date(x509.validFrom));
      expect(facts.notAfter).toEqual(new Date(x509.validTo));
      expect(facts.isCa).toBe(x509.ca);
      expect(facts.extKeyUsage).toEqual(x509.keyUsage);
      expect(facts.selfIssued).toBe(x509.subject === x509.issuer);
      expect(facts.pem).toBe(x509.toString());
      // OpenSSL's multi-line form: one RDN a line, attributes of one RDN joined by " + ", separators escaped.
      const attributes = x509.subject.split('\n').flatMap((line) => line.split(/(?<!\\) \+ /));
      expect(facts.commonNames).toEqual(attributes.filter((a) => a.startsWith('CN=')).map((a) => a.slice(3).replace(/\\(.)/g, '$1')));
      expect(facts.publicKey.equals(x509.publicKey)).toBe(true);
    }
    expect(parseCertificate(intermediate.der).pathLength).toBe(0);
    expect(parseCertificate(leaf.der).notAfter.toISOString()).toBe('2051-03-04T05:06:07.000Z'); // GeneralizedTime from 2050
    expect(parseCertificate(root.der).subjectText).toBe('CN=Root + O=Vendor, Inc.');
  });

  it('decides "issued by" as OpenSSL checkIssued plus verify does', async () => {
    const sameNameOtherKey = await createCertificate({ subject: 'Intermediate', issuer: rsaRoot, ca: true });
    const noCertSign = await createCertificate({ subject: 'Signs nothing', issuer: root, ca: true, keyUsage: KEY_USAGE.digitalSignature });
    const fromNoCertSign = await createCertificate({ subject: 'B827EBFFFE123457', issuer: noCertSign });
    const pairs: [IssuedCertificate, IssuedCertificate, boolean][] = [
      [leaf, intermediate, true],
      [intermediate, rsaRoot, true],
      [rsaRoot, rsaRoot, true],
      [leaf, sameNameOtherKey, false],
      [leaf, root, false],
      [fromNoCertSign, noCertSign, false],
    ];
    for (const [cert, issuer, expected] of pairs) {
      const x509 = new X509Certificate(cert.der);
      const issuerX509 = new X509Certificate(issuer.der);
      expect(x509.checkIssued(issuerX509) && x509.verify(issuerX509.publicKey)).toBe(expected);
      expect(parseCertificate(cert.der).isIssuedBy(parseCertificate(issuer.der))).toBe(expected);
    }
  });

  it('refuses a signature whose algorithm differs from the one the signed part names', () => {
    // A real ECDSA-SHA256 signature by the intermediate, over a TBS that names ECDSA-SHA384.
    const copy = new pkijs.Certificate({ schema: asn1js.fromBER(leaf.der).result });
    copy.signature = new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.10045.4.3.3' });
    const tbs = Buffer.from(copy.encodeTBS().toBER());
    const signature = sign('sha256', tbs, createPrivateKey(intermediate.keyPem));
    const der = Buffer.from(
      new asn1js.Sequence({
        value: [
          asn1js.fromBER(tbs).result,
          new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.10045.4.3.2' }).toSchema(),
          new asn1js.BitString({ valueHex: signature }),
        ],
      }).toBER(),
    );
    const issuer = parseCertificate(intermediate.der);
    expect(verify('sha256', tbs, issuer.publicKey, signature)).toBe(true);
    expect(new X509Certificate(der).verify(issuer.publicKey)).toBe(false);
    expect(parseCertificate(der).isIssuedBy(issuer)).toBe(false);
  });

  it('reads every CN, in any string form, exactly', () => {
    const twoNames = altered(leaf, (c) => {
      c.subject = new pkijs.RelativeDistinguishedNames({
        typesAndValues: [
          new pkijs.AttributeTypeAndValue({ type: OID.commonName, value: new asn1js.Utf8String({ value: 'B827EBFFFE123456' }) }),
          new pkijs.AttributeTypeAndValue({ type: OID.commonName, value: new asn1js.BmpString({ value: 'B827EBFFFE123456' }) }),
          new pkijs.AttributeTypeAndValue({ type: OID.commonName, value: new asn1js.Utf8String({ value: 'B827EBFFFE12345\u0412' }) }),
        ],
      });
    });
    expect(parseCertificate(twoNames).commonNames).toEqual(['B827EBFFFE123456', 'B827EBFFFE123456', 'B827EBFFFE12345\u0412']);
  });

  it.each([
    ['bytes after the certificate', () => Buffer.concat([leaf.der, Buffer.from([0])])],
    ['a truncated certificate', () => leaf.der.subarray(0, leaf.der.length - 10)],
    ['a SEQUENCE that is no certificate', () => Buffer.from('300602010102010a', 'hex')],
    // Found by fuzzing the server: a flipped length inside the issuer name (read only for messages).
    [
      'a length running past its parent inside the issuer name',
      () => {
        const der = Buffer.from(leaf.der);
        const at = der.indexOf(Buffer.concat([Buffer.from([0x0c, 12]), Buffer.from('Intermediate')]));
        der[at + 1] = 0x7f;
        return der;
      },
    ],
    ['an extension twice', () => altered(leaf, (c) => c.extensions!.push(c.extensions![0]!))],
    [
      'a validity time with fractions',
      () =>
        altered(
          leaf,
          (c) => (c.notAfter = new pkijs.Time({ type: pkijs.TimeType.GeneralizedTime, value: new Date('2030-01-01T00:00:00.5Z') })),
        ),
    ],
  ])('refuses %s as malformed', (_name, make) => {
    expect(() => parseCertificate(make())).toThrow(CertificateParseError);
  });
});
