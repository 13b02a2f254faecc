import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { KeyNotAccepted } from '../../errors.ts';
import { type DerElement, derBytes, derChildren, derElement, derOid } from '../../lib/der-reader.ts';
import { CURVE, KEY_ALGORITHM } from '../../lib/oids.ts';

const { ecPublicKey: EC_PUBLIC_KEY, rsaEncryption: RSA_ENCRYPTION, rsassaPss: RSA_PSS, ed25519: ED25519, ed448: ED448 } = KEY_ALGORITHM;
const CURVES: Record<string, { crv: string; size: number }> = {
  [CURVE.p256]: { crv: 'P-256', size: 32 },
  [CURVE.p384]: { crv: 'P-384', size: 48 },
  [CURVE.p521]: { crv: 'P-521', size: 66 },
};

/** Largest RSA modulus accepted: gateway PKI uses 2,048 to 4,096 bits, and a check by an 8,192-bit key already costs 5.7 of a 2,048-bit one (measured). */
const MAX_RSA_MODULUS_BITS = 8192;
/** Largest RSA public exponent accepted, as Go's crypto/rsa bounds it (65,537 in practice). */
const MAX_RSA_EXPONENT = 2 ** 31 - 1;

/**
 * The key of a SubjectPublicKeyInfo, for checking the signatures it made. Only the keys gateway
 * PKI uses are accepted (EC on P-256, P-384 and P-521; RSA up to 8,192 bits with an exponent of
 * at most 31 bits; Ed25519 and Ed448), as Go's crypto/x509 does: OpenSSL would take a 3,072-bit
 * RSA key with a 3,072-bit exponent too, and each check by it costs 10 ms instead of 0.1.
 * Anything else throws, with the reason.
 *
 * OpenSSL 3 decodes DER keys through its provider decoders at about twice the cost of building
 * the same EC or RSA key from its numbers (a JWK), so the common shapes go that way.
 */
export function publicKeyFromSpki(spki: Buffer): KeyObject {
  const jwk = acceptedKey(spki);
  return createPublicKey(jwk ? { key: jwk, format: 'jwk' } : { key: spki, format: 'der', type: 'spki' });
}

/** Throws for a key not accepted; returns its JWK when it has one, undefined when OpenSSL should read the DER. */
function acceptedKey(spki: Buffer): JsonWebKey | undefined {
  let algorithm: DerElement | undefined, key: DerElement | undefined, oid: DerElement | undefined, parameters: DerElement | undefined;
  try {
    [algorithm, key] = derChildren(spki, derElement(spki, 0, spki.length));
    [oid, parameters] = derChildren(spki, algorithm!);
  } catch {
    throw new KeyNotAccepted('the public key is not a valid SubjectPublicKeyInfo');
  }
  if (key?.tag !== 0x03 || spki[key.content] !== 0) throw new KeyNotAccepted('the public key is not a whole-byte BIT STRING');
  const bits = derBytes(spki, key).subarray(1);
  const type = derOid(spki, oid!);
  if (type === EC_PUBLIC_KEY) {
    const curve = parameters?.tag === 0x06 ? CURVES[derOid(spki, parameters)] : undefined;
    if (!curve) throw new KeyNotAccepted('the EC key is not on P-256, P-384 or P-521 (named), the curves accepted');
    // A compressed point is OpenSSL's to read.
    if (bits[0] !== 0x04 || bits.length !== 1 + 2 * curve.size) return undefined;
    return {
      kty: 'EC',
      crv: curve.crv,
      x: bits.subarray(1, 1 + curve.size).toString('base64url'),
      y: bits.subarray(1 + curve.size).toString('base64url'),
    };
  }
  if (type === RSA_ENCRYPTION || type === RSA_PSS) {
    const { n, e } = rsaNumbers(bits);
    const modulusBits = n.length * 8 - Math.clz32(n[0]!) + 24;
    if (modulusBits > MAX_RSA_MODULUS_BITS)
      throw new KeyNotAccepted(`the RSA key has ${modulusBits} bits; at most ${MAX_RSA_MODULUS_BITS} are accepted`);
    const exponent = e.length <= 4 ? e.readUIntBE(0, e.length) : Infinity;
    if (exponent > MAX_RSA_EXPONENT || exponent < 3 || exponent % 2 === 0) {
      throw new KeyNotAccepted(`the RSA public exponent must be odd, at least 3 and at most ${MAX_RSA_EXPONENT}`);
    }
    // The parameters of an RSA-PSS key restrict its use: OpenSSL reads them.
    return type === RSA_ENCRYPTION ? { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') } : undefined;
  }
  if (type === ED25519 || type === ED448) return undefined;
  throw new KeyNotAccepted(`the public key algorithm ${type} is not accepted (EC, RSA, Ed25519 and Ed448 are)`);
}

/** The modulus and exponent of an RSAPublicKey, without sign bytes. */
function rsaNumbers(der: Buffer): { n: Buffer; e: Buffer } {
  try {
    const [n, e] = derChildren(der, derElement(der, 0, der.length));
    if (n?.tag === 0x02 && e?.tag === 0x02) {
      const unsigned = (element: DerElement) => {
        const value = derBytes(der, element);
        return value[0] === 0 ? value.subarray(1) : value;
      };
      const [modulus, exponent] = [unsigned(n), unsigned(e)];
      if (modulus.length > 0 && modulus[0] !== 0 && exponent.length > 0 && exponent[0] !== 0) return { n: modulus, e: exponent };
    }
  } catch {
    // reported below
  }
  throw new KeyNotAccepted('the RSA key is not a valid RSAPublicKey');
}
