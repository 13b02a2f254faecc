import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { derBytes, derChildren, derElement, derOid } from './der-reader.ts';

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const CURVES: Record<string, { crv: string; size: number }> = {
  '1.2.840.10045.3.1.7': { crv: 'P-256', size: 32 },
  '1.3.132.0.34': { crv: 'P-384', size: 48 },
  '1.3.132.0.35': { crv: 'P-521', size: 66 },
};

/**
 * The key of a SubjectPublicKeyInfo. OpenSSL 3 decodes DER keys through its provider decoders at
 * about twice the cost of building the same EC or RSA key from its numbers (a JWK), so the common
 * shapes go that way; anything else (compressed points, other algorithms) is OpenSSL's to read.
 */
export function publicKeyFromSpki(spki: Buffer): KeyObject {
  return createPublicKey(jwkOf(spki) ?? { key: spki, format: 'der', type: 'spki' });
}

function jwkOf(spki: Buffer): { key: JsonWebKey; format: 'jwk' } | undefined {
  try {
    const [algorithm, key] = derChildren(spki, derElement(spki, 0, spki.length));
    const [oid, parameters] = derChildren(spki, algorithm!);
    if (key?.tag !== 0x03 || spki[key.content] !== 0) return undefined;
    const bits = derBytes(spki, key).subarray(1);
    const type = derOid(spki, oid!);
    if (type === EC_PUBLIC_KEY && parameters?.tag === 0x06) {
      const curve = CURVES[derOid(spki, parameters)];
      if (!curve || bits[0] !== 0x04 || bits.length !== 1 + 2 * curve.size) return undefined;
      const x = bits.subarray(1, 1 + curve.size).toString('base64url');
      const y = bits.subarray(1 + curve.size).toString('base64url');
      return { key: { kty: 'EC', crv: curve.crv, x, y }, format: 'jwk' };
    }
    if (type === RSA_ENCRYPTION) {
      const [n, e] = derChildren(bits, derElement(bits, 0, bits.length));
      if (n?.tag !== 0x02 || e?.tag !== 0x02) return undefined;
      const unsigned = (element: typeof n) => {
        const value = derBytes(bits, element);
        return (value[0] === 0 ? value.subarray(1) : value).toString('base64url');
      };
      return { key: { kty: 'RSA', n: unsigned(n), e: unsigned(e) }, format: 'jwk' };
    }
  } catch {
    // not a shape read here: OpenSSL decides
  }
  return undefined;
}
