import { createPublicKey, ECDH, generateKeyPairSync, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCertificate, type IssuedCertificate, OID } from '../../../../src/pki/create-certificate.ts';
import { parseCertificate } from '../../../../src/trust/certificate-facts.ts';
import { publicKeyFromSpki } from '../../../../src/trust/lib/public-key.ts';
import { loadTrustStore, storedCertificate, TrustStore } from '../../../../src/trust/trust-store.ts';
import { verifyClientChain } from '../../../../src/trust/verify-chain.ts';
import { hugeExponentRsaKeyPair } from '../../../helpers/huge-exponent-rsa.ts';

const spkiOf = (key: KeyObject) => key.export({ format: 'der', type: 'spki' });
const rsaSpki = (n: Buffer, e: Buffer) =>
  spkiOf(createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' }));

function compressedP256(): Buffer {
  const point = ECDH.convertKey(
    spkiOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey).subarray(-65),
    'prime256v1',
    undefined,
    undefined,
    'compressed',
  ) as Buffer;
  const algorithm = new asn1js.Sequence({
    value: [new asn1js.ObjectIdentifier({ value: '1.2.840.10045.2.1' }), new asn1js.ObjectIdentifier({ value: '1.2.840.10045.3.1.7' })],
  });
  return Buffer.from(new asn1js.Sequence({ value: [algorithm, new asn1js.BitString({ valueHex: point })] }).toBER());
}

describe('which issuer keys are accepted', () => {
  const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const n2048 = Buffer.from(rsa2048.export({ format: 'jwk' }).n!, 'base64url');
  const big = (bits: number) => Buffer.concat([Buffer.from([0x80]), randomBytes(bits / 8 - 1)]);
  const cases: [string, () => Buffer, RegExp | 'accepted'][] = [
    ['EC P-256', () => spkiOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey), 'accepted'],
    ['EC P-521', () => spkiOf(generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey), 'accepted'],
    ['EC P-256, compressed point', compressedP256, 'accepted'],
    ['EC secp256k1', () => spkiOf(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey), /not on P-256, P-384 or P-521/],
    ['RSA 2048, e = 65537', () => spkiOf(rsa2048), 'accepted'],
    ['RSA-PSS 2048', () => spkiOf(generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey), 'accepted'],
    ['RSA 2048, e = 3', () => rsaSpki(n2048, Buffer.from([3])), 'accepted'],
    ['RSA 8192-bit modulus', () => rsaSpki(big(8192), Buffer.from([1, 0, 1])), 'accepted'],
    ['RSA 8200-bit modulus', () => rsaSpki(big(8200), Buffer.from([1, 0, 1])), /8200 bits; at most 8192/],
    ['RSA, e = 2^31 + 1', () => rsaSpki(n2048, Buffer.from([0x80, 0, 0, 1])), /exponent must be odd, at least 3 and at most 2147483647/],
    ['RSA, a 2,048-bit exponent', () => rsaSpki(n2048, big(2048)), /exponent must be odd/],
    ['RSA, e = 65536', () => rsaSpki(n2048, Buffer.from([1, 0, 0])), /exponent must be odd/],
    ['Ed25519', () => spkiOf(generateKeyPairSync('ed25519').publicKey), 'accepted'],
    ['Ed448', () => spkiOf(generateKeyPairSync('ed448').publicKey), 'accepted'],
    [
      'DSA',
      () => spkiOf(generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 }).publicKey),
      /algorithm 1\.2\.840\.10040\.4\.1 is not accepted/,
    ],
    ['garbage', () => Buffer.from('not a key'), /not a valid SubjectPublicKeyInfo/],
  ];
  it.each(cases)('%s', (_name, spki, expected) => {
    const der = spki();
    if (expected === 'accepted')
      expect(publicKeyFromSpki(der).equals(createPublicKey({ key: der, format: 'der', type: 'spki' }))).toBe(true);
    else expect(() => publicKeyFromSpki(der)).toThrow(expected);
  });
});

describe('a CA whose key has a 2,048-bit public exponent', () => {
  let root: IssuedCertificate;
  let hugeCa: IssuedCertificate;
  let leaf: IssuedCertificate;
  beforeAll(async () => {
    root = await createCertificate({ subject: 'Root', ca: true });
    const keyPair = await hugeExponentRsaKeyPair();
    hugeCa = await createCertificate({ subject: 'Huge exponent CA', issuer: root, ca: true, keyPair });
    leaf = await createCertificate({ subject: 'B827EBFFFE123456', issuer: hugeCa, extKeyUsage: [OID.clientAuth] });
  });

  it('signed a leaf that OpenSSL verifies, but is not accepted as its issuer', async () => {
    const ca = parseCertificate(hugeCa.der);
    expect(new X509Certificate(leaf.der).verify(ca.x509.publicKey)).toBe(true);
    expect(() => ca.publicKey).toThrow(/exponent must be odd/);
    expect(parseCertificate(leaf.der).isIssuedBy(ca)).toBe(false);
    const store = new TrustStore([storedCertificate(parseCertificate(root.der), ['a'], [])]);
    await expect(verifyClientChain(leaf.der, [hugeCa.der], store)).rejects.toThrow(
      /no chain .* reaches a CA in the trust store; CN=Huge exponent CA cannot be an issuer: the RSA public exponent must be odd/,
    );
  });

  it('in a tenant folder, is reported as a problem and skipped, and the rest loads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cups-keys-'));
    mkdirSync(join(dir, 'acme'));
    writeFileSync(join(dir, 'acme', 'huge.pem'), hugeCa.pem);
    writeFileSync(join(dir, 'acme', 'root.pem'), root.pem);
    const store = await loadTrustStore(dir);
    expect(store.problems).toEqual([
      { file: join(dir, 'acme', 'huge.pem'), reason: expect.stringMatching(/RSA public exponent must be odd/) },
    ]);
    expect(store.certificates.map((c) => c.subjectText)).toEqual(['CN=Root']);
  });
});
