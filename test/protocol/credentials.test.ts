import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CupsProtocolError,
  certificateDer,
  crc32,
  credentialsCrc,
  encodeCredentials,
  InvalidCredentialsError,
  privateKeyDer,
  splitCredentials,
  stationCredentialsCrc,
  tokenHeaderLines,
} from '../../protocol/index.ts';
import { VECTORS } from '../helpers/paths.ts';

const pem = (name: string) => readFileSync(join(VECTORS, 'proxy-headers', name), 'utf8');
const rootPem = pem('rsa-root.pem');
const leafPem = pem('rsa-leaf.pem');
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

describe('CRC', () => {
  it('a station with no credential files reports 0x7BD5C66F', () => {
    expect(stationCredentialsCrc([null, null, null])).toBe(0x7bd5c66f);
    expect(stationCredentialsCrc([Buffer.alloc(0), undefined, null])).toBe(2077607535);
    expect(crc32(Buffer.alloc(12))).toBe(0x7bd5c66f);
  });

  it('chains over the files, so a stored blob reports crc32(blob)', () => {
    const trust = certificateDer(rootPem);
    const cert = certificateDer(leafPem);
    const key = privateKeyDer(ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const blob = encodeCredentials({ mode: 'certificate', trust, cert, key });
    const split = splitCredentials(blob);
    expect(stationCredentialsCrc([split.trust, split.cert, split.key])).toBe(credentialsCrc(blob));
    const tokenBlob = encodeCredentials({ mode: 'token', trust, token: tokenHeaderLines('NNSXS.ABC') });
    const splitToken = splitCredentials(tokenBlob);
    // The station writes the missing certificate as an empty file and the token as tc.key.
    expect(stationCredentialsCrc([splitToken.trust, null, Buffer.from(splitToken.token!, 'latin1')])).toBe(credentialsCrc(tokenBlob));
  });
});

describe('building blobs', () => {
  const trust = certificateDer(rootPem);
  const cert = certificateDer(leafPem);

  it('reads PEM and DER alike', () => {
    expect(certificateDer(new X509Certificate(rootPem).raw)).toEqual(trust);
    expect(certificateDer(Buffer.from(rootPem))).toEqual(trust);
  });

  it('certificate mode: trust || cert || key, split back exactly', () => {
    for (const { privateKey } of [ec, rsa]) {
      for (const type of ['pkcs8', privateKey.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs1'] as const) {
        const key = privateKeyDer(privateKey.export({ type, format: 'pem' }) as string);
        const blob = encodeCredentials({ mode: 'certificate', trust, cert, key });
        expect(blob).toEqual(Buffer.concat([trust, cert, key]));
        expect(splitCredentials(blob)).toEqual({ trust, cert, key, token: null, ignoredBytes: 0 });
      }
    }
  });

  it('turns a PKCS#8 EC key, whose DER length the station misreads, into SEC1', () => {
    const pkcs8 = ec.privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(pkcs8[1]).toBe(0x81); // the one-byte long form the station's asn1_seqlen cannot read
    const key = privateKeyDer(pkcs8);
    expect(key).toEqual(ec.privateKey.export({ type: 'sec1', format: 'der' }));
    expect(key[1]! < 0x80).toBe(true);
  });

  it('token mode: trust || 00 00 00 00 || header lines ending in CRLF', () => {
    const token = tokenHeaderLines('Bearer NNSXS.XYZ');
    expect(token).toBe('Authorization: Bearer NNSXS.XYZ\r\n');
    expect(tokenHeaderLines('Authorization: Bearer a\nX-Extra: b\n')).toBe('Authorization: Bearer a\r\nX-Extra: b\r\n');
    // A colon without the header form reads two ways (token "abc:def", or header abc): refused, saying how to write it.
    expect(() => tokenHeaderLines('abc:def')).toThrow(/write this one as a header line, e.g. "Authorization: abc:def"/);
    expect(() => tokenHeaderLines('Authorization:Bearer x')).toThrow(/one space after the colon/);
    expect(tokenHeaderLines('Authorization: abc:def')).toBe('Authorization: abc:def\r\n');
    const blob = encodeCredentials({ mode: 'token', trust, token });
    expect(blob).toEqual(Buffer.concat([trust, Buffer.alloc(4), Buffer.from(token)]));
    expect(splitCredentials(blob)).toEqual({ trust, cert: null, key: null, token, ignoredBytes: 0 });
  });

  it('trust only: no certificate, no key', () => {
    const blob = encodeCredentials({ mode: 'trust-only', trust });
    expect(splitCredentials(blob)).toMatchObject({ trust, cert: null, key: null, token: null });
  });

  it.each([
    ['two certificates as trust', () => certificateDer(rootPem + leafPem), /exactly one CERTIFICATE block, found 2/],
    ['a key as a certificate', () => certificateDer(ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), /found 0/],
    ['garbage DER', () => certificateDer(Buffer.from([0x30, 0x03, 1, 2, 3])), /not a valid X.509/],
    [
      'an Ed25519 key',
      () => privateKeyDer(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
      /ed25519/,
    ],
    ['a non-key', () => privateKeyDer(Buffer.from('hello')), /not a PEM or DER/],
    ['an empty token', () => tokenHeaderLines('\n'), /empty/],
    ['a token with control characters', () => tokenHeaderLines('abc\u0001'), /printable ASCII/],
  ])('refuses %s', (_name, build, reason) => {
    expect(build).toThrow(InvalidCredentialsError);
    expect(build).toThrow(reason);
  });
});

describe('splitting as the station does', () => {
  it.each([
    ['no trust SEQUENCE', Buffer.from([0x01, 0x02]), /byte 0: the trust must start/],
    ['a certificate that is neither DER nor none', Buffer.from([0x30, 0x00, 0x05]), /byte 2: the certificate/],
    ['lengths beyond the blob', Buffer.from([0x30, 0x05, 0x00]), /exceed/],
    ['a key longer than the blob', Buffer.from([0x30, 0x00, 0x00, 0, 0, 0, 0x30, 0x10]), /key's length exceeds/],
  ])('refuses %s', (_name, blob, reason) => {
    expect(() => splitCredentials(blob)).toThrow(InvalidCredentialsError);
    expect(() => splitCredentials(blob)).toThrow(reason);
  });

  it('random bytes raise only the protocol error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (blob) => {
        try {
          splitCredentials(blob);
        } catch (error) {
          expect(error).toBeInstanceOf(CupsProtocolError);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('garbage to the PEM/DER readers', () => {
  it('raises only the protocol error', () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.string().map((s) => `-----BEGIN CERTIFICATE-----\n${s}\n-----END CERTIFICATE-----\n`),
      fc.string().map((s) => `-----BEGIN PRIVATE KEY-----\n${Buffer.from(s).toString('base64')}\n-----END PRIVATE KEY-----\n`),
    );
    fc.assert(
      fc.property(input, (value) => {
        for (const reader of [certificateDer, privateKeyDer, tokenHeaderLines] as ((v: unknown) => unknown)[]) {
          try {
            reader(reader === tokenHeaderLines ? value.toString() : value);
          } catch (error) {
            expect(error).toBeInstanceOf(CupsProtocolError);
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});
