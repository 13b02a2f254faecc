import { webcrypto } from 'node:crypto';

export type KeyType = 'ec' | 'rsa2048' | 'rsa3072' | 'rsa4096';
export const KEY_TYPES: readonly KeyType[] = ['ec', 'rsa2048', 'rsa3072', 'rsa4096'];

/** A WebCrypto key pair (what pkijs signs with) of the given type, exportable. */
export async function generateKeyPair(type: KeyType = 'ec'): Promise<webcrypto.CryptoKeyPair> {
  if (type === 'ec') {
    return webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  }
  const modulusLength = Number(type.slice(3));
  return webcrypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  );
}

/** A private key as PKCS#8 PEM, the form operators and openssl read. */
export async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return toPem('PRIVATE KEY', Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key)));
}

export function toPem(label: string, der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
