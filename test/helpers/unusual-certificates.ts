import { type KeyLike, sign, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { HASH, OID } from '../../src/lib/oids.ts';
import { createCertificate, type IssuedCertificate } from '../../src/pki/create-certificate.ts';
import { toPem } from '../../src/pki/keys.ts';

/** Signature algorithm OIDs the helpers below sign with. */
export { SIGNATURE as ALGORITHM } from '../../src/lib/oids.ts';

/** RSASSA-PSS parameters: SHA-256, MGF1 with SHA-256, a 32-byte salt. */
export function pssSha256Parameters(): asn1js.AsnType {
  const sha256 = new pkijs.AlgorithmIdentifier({ algorithmId: HASH.sha256, algorithmParams: new asn1js.Null() });
  return new pkijs.RSASSAPSSParams({
    hashAlgorithm: sha256,
    maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: HASH.mgf1, algorithmParams: sha256.toSchema() }),
    saltLength: 32,
  }).toSchema();
}

/**
 * The certificate signed again by `issuerKey` under another algorithm (named in both the signed
 * part and the outer algorithm, as a real certificate of that algorithm is): what WebCrypto
 * cannot make, such as MD5, SHA-1, SHA-224 and RSA-PSS signatures.
 */
export function resigned(
  cert: IssuedCertificate,
  issuerKey: KeyLike,
  algorithmId: string,
  hash: string,
  options: { parameters?: asn1js.AsnType; pssSaltLength?: number; edit?: (copy: pkijs.Certificate) => void } = {},
): { der: Buffer; pem: string } {
  const copy = new pkijs.Certificate({ schema: asn1js.fromBER(cert.der).result });
  const algorithm = () =>
    new pkijs.AlgorithmIdentifier({ algorithmId, ...(options.parameters ? { algorithmParams: options.parameters } : {}) });
  options.edit?.(copy);
  copy.signature = algorithm();
  const tbs = Buffer.from(copy.encodeTBS().toBER());
  const key = options.pssSaltLength === undefined ? issuerKey : { key: issuerKey, padding: 6, saltLength: options.pssSaltLength };
  const signature = sign(hash, tbs, key as KeyLike);
  const der = Buffer.from(
    new asn1js.Sequence({
      value: [asn1js.fromBER(tbs).result, algorithm().toSchema(), new asn1js.BitString({ valueHex: signature })],
    }).toBER(),
  );
  return { der, pem: toPem('CERTIFICATE', der) };
}

/** A P-521 key pair, exportable, as createCertificate takes it. */
export function p521KeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-521' }, true, ['sign', 'verify']);
}

/** nameConstraints permitting only names under the directory name O=<organization>. */
export function permittedOrganization(organization: string): pkijs.Extension {
  const base = new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: OID.organization, value: new asn1js.Utf8String({ value: organization }) })],
  });
  const constraints = new pkijs.NameConstraints({
    permittedSubtrees: [new pkijs.GeneralSubtree({ base: new pkijs.GeneralName({ type: 4, value: base }) })],
  });
  return new pkijs.Extension({ extnID: OID.nameConstraints, critical: true, extnValue: constraints.toSchema().toBER(false) });
}

/** A critical extension nobody processes. */
export function unknownCriticalExtension(): pkijs.Extension {
  return new pkijs.Extension({ extnID: '1.3.6.1.4.1.99999.1', critical: true, extnValue: new asn1js.Null().toBER(false) });
}

/** A Name of one attribute per RDN, in order (createCertificate puts all into one RDN). */
export function separateRdns(attributes: [oid: string, value: string][]): pkijs.RelativeDistinguishedNames {
  const name = new asn1js.Sequence({
    value: attributes.map(
      ([type, value]) =>
        new asn1js.Set({
          value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: type }), new asn1js.Utf8String({ value })] })],
        }),
    ),
  });
  return new pkijs.RelativeDistinguishedNames({ schema: asn1js.fromBER(name.toBER()).result });
}

/**
 * CAs of one name and one key, the first self-signed and the others signed by it: every one of
 * them verifies as the issuer of every other, and none has an identifier to tell them apart.
 */
export async function lookAlikeCas(
  count: number,
  keyPair?: webcrypto.CryptoKeyPair,
  subject = 'Look-alike',
): Promise<[IssuedCertificate, ...IssuedCertificate[]]> {
  const first = await createCertificate({ subject, ca: true, ...(keyPair ? { keyPair } : {}) });
  const others = await Promise.all(
    Array.from({ length: count - 1 }, () => createCertificate({ subject, keyPair: first.keyPair, issuer: first, ca: true })),
  );
  return [first, ...others];
}
