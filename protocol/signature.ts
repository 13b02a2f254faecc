import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { crc32 } from './crc32.ts';
import { InvalidSignatureError } from './errors.ts';

/**
 * Firmware signatures as the station checks them: ECDSA on P-256 over the SHA-512 of the update,
 * DER-encoded; the station holds each public key as `sig-N.key`, the raw 64-byte point X || Y.
 */

/** The raw 64-byte X || Y form of a P-256 public key (PEM, DER SPKI, raw 64 or 65 bytes, or KeyObject). */
export function rawSigningPublicKey(key: KeyObject | string | Uint8Array): Buffer {
  const publicKey = signingPublicKey(key);
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) {
    throw new InvalidSignatureError('a firmware signing key must be an EC P-256 key');
  }
  return Buffer.concat([Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
}

/** The key CRC the station lists in `keys` and the response carries: CRC32 of the raw 64 bytes. */
export function signingKeyCrc(key: KeyObject | string | Uint8Array): number {
  return crc32(rawSigningPublicKey(key));
}

/** Signs an update: DER ECDSA P-256 with SHA-512, as `openssl dgst -sha512 -sign` does. */
export function signUpdate(update: Uint8Array, privateKey: KeyObject | string | Uint8Array): Buffer {
  const key = toPrivateKey(privateKey);
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    throw new InvalidSignatureError('a firmware signing key must be an EC P-256 private key');
  }
  return sign('sha512', update, { key, dsaEncoding: 'der' });
}

/** Whether `signature` (DER) is a valid signature of `update` by `publicKey`. */
export function verifyUpdate(update: Uint8Array, signature: Uint8Array, publicKey: KeyObject | string | Uint8Array): boolean {
  const key = signingPublicKey(publicKey);
  try {
    return verify('sha512', update, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

/** A public key from a KeyObject (private ones too), PEM, DER SPKI, or the raw 64/65-byte point. */
export function signingPublicKey(key: KeyObject | string | Uint8Array): KeyObject {
  if (typeof key === 'object' && 'type' in key && !(key instanceof Uint8Array)) {
    return key.type === 'private' ? createPublicKey(key) : key;
  }
  const bytes = Buffer.from(key as string | Uint8Array);
  try {
    if (bytes.length === 64 || (bytes.length === 65 && bytes[0] === 0x04)) {
      const point = bytes.length === 65 ? bytes.subarray(1) : bytes;
      return createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: point.subarray(0, 32).toString('base64url'), y: point.subarray(32).toString('base64url') },
        format: 'jwk',
      });
    }
    return bytes.includes('-----BEGIN') ? createPublicKey(bytes.toString()) : createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  } catch {
    throw new InvalidSignatureError('not a P-256 public key (PEM, DER SPKI or the raw 64-byte sig-N.key form)');
  }
}

function toPrivateKey(key: KeyObject | string | Uint8Array): KeyObject {
  if (typeof key === 'object' && 'type' in key && !(key instanceof Uint8Array)) return key;
  try {
    const bytes = Buffer.from(key);
    return bytes.includes('-----BEGIN')
      ? createPrivateKey(bytes.toString())
      : createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
  } catch {
    throw new InvalidSignatureError('not a private key (PEM or DER PKCS#8)');
  }
}
