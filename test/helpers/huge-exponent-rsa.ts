import { generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';

const toBase64url = (n: bigint) => {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex').toString('base64url');
};
const fromBase64url = (text: string) => BigInt(`0x${Buffer.from(text, 'base64url').toString('hex')}`);
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
function inverse(a: bigint, modulus: bigint): bigint {
  let [r0, r1, s0, s1] = [a % modulus, modulus, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return ((s0 % modulus) + modulus) % modulus;
}

/**
 * A working 2,048-bit RSA key pair whose public exponent is as long as its modulus: valid to
 * OpenSSL, and every signature check by it costs about a hundred ordinary ones.
 */
export async function hugeExponentRsaKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  const numbers = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const [p, q] = [fromBase64url(numbers.p!), fromBase64url(numbers.q!)];
  const phi = (p - 1n) * (q - 1n);
  let e: bigint;
  do e = BigInt(`0x${randomBytes(255).toString('hex')}`) | 1n;
  while (gcd(e, phi) !== 1n);
  const d = inverse(e, phi);
  const jwk = { kty: 'RSA', n: numbers.n!, e: toBase64url(e) };
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const privateJwk = {
    ...jwk,
    d: toBase64url(d),
    p: numbers.p!,
    q: numbers.q!,
    dp: toBase64url(d % (p - 1n)),
    dq: toBase64url(d % (q - 1n)),
    qi: toBase64url(inverse(q, p)),
  };
  return {
    publicKey: await webcrypto.subtle.importKey('jwk', jwk, algorithm, true, ['verify']),
    privateKey: await webcrypto.subtle.importKey('jwk', privateJwk, algorithm, true, ['sign']),
  };
}
