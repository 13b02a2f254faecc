import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeUpdateInfoResponse,
  encodeUpdateInfoResponse,
  InvalidSignatureError,
  rawSigningPublicKey,
  signingKeyCrc,
  signUpdate,
  verifyUpdate,
} from '../../protocol/index.ts';
import { VECTORS } from '../helpers/paths.ts';

const vector = (name: string) => readFileSync(join(VECTORS, 'basicstation-test4-cups', name));
const sigKey = vector('sig-0.key');
const update = vector('v1.bin');
const signature = vector('v1.bin.sig-0');

describe('basicstation test4-cups vectors', () => {
  it('sig-0.key has key CRC 0x1D1E9F14', () => {
    expect(sigKey.length).toBe(64);
    expect(signingKeyCrc(sigKey)).toBe(0x1d1e9f14);
  });

  it('the v1.bin signature verifies, and not over altered bytes', () => {
    expect(update.length).toBe(136);
    expect(signature.length).toBe(72);
    expect(verifyUpdate(update, signature, sigKey)).toBe(true);
    const altered = Buffer.from(update);
    altered[0]! ^= 1;
    expect(verifyUpdate(altered, signature, sigKey)).toBe(false);
  });

  it('reproduces the 226-byte response byte for byte', () => {
    const response = encodeUpdateInfoResponse({ signature: { keyCrc: signingKeyCrc(sigKey), der: signature }, update });
    expect(response.length).toBe(226);
    expect(response.subarray(0, 16).toString('hex')).toBe('000000000000' + '4c000000' + '149f1e1d' + '3046');
    expect(response.subarray(14, 14 + 72)).toEqual(signature);
    expect(response.readUInt32LE(14 + 72)).toBe(136);
    expect(response.subarray(90)).toEqual(update);
    expect(decodeUpdateInfoResponse(response)).toEqual({ signature: { keyCrc: 0x1d1e9f14, der: signature }, update });
  });
});

describe('signing', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('signs so that the raw sig-N.key form verifies, whatever form the public key has', () => {
    const sig = signUpdate(update, privateKey);
    const raw = rawSigningPublicKey(publicKey);
    expect(raw.length).toBe(64);
    expect(verifyUpdate(update, sig, raw)).toBe(true);
    expect(verifyUpdate(update, sig, publicKey.export({ type: 'spki', format: 'pem' }))).toBe(true);
    expect(verifyUpdate(update, sig, publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(verifyUpdate(update, sig, Buffer.concat([Buffer.from([4]), raw]))).toBe(true);
    expect(signingKeyCrc(privateKey)).toBe(signingKeyCrc(raw));
    expect(verifyUpdate(update, sig, sigKey)).toBe(false);
  });

  it('refuses keys the station cannot use', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(() => signUpdate(update, rsa.privateKey)).toThrow(InvalidSignatureError);
    expect(() => signUpdate(update, p384.privateKey)).toThrow(/P-256/);
    expect(() => rawSigningPublicKey(p384.publicKey)).toThrow(/P-256/);
    expect(() => rawSigningPublicKey(Buffer.alloc(64))).toThrow(InvalidSignatureError);
    expect(() => signUpdate(update, Buffer.from('garbage'))).toThrow(InvalidSignatureError);
  });
});

describe('garbage to the signature readers', () => {
  it('raises only the protocol error, and never verifies', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 80 }), (key, sig) => {
        try {
          expect(verifyUpdate(update, sig, key)).toBe(false);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidSignatureError);
        }
        expect(() => signUpdate(update, key)).toThrow(InvalidSignatureError);
      }),
      { numRuns: 1000 },
    );
  });
});
