import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CupsProtocolError,
  decodeUpdateInfoResponse,
  encodeUpdateInfoResponse,
  MalformedResponseError,
  UnencodableResponseError,
  type UpdateInfoResponse,
} from '../../protocol/index.ts';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('encodeUpdateInfoResponse', () => {
  it('writes "nothing changes" as exactly 14 zero bytes', () => {
    expect(encodeUpdateInfoResponse({})).toEqual(Buffer.alloc(14));
  });

  it('writes the station layout, little-endian, with no keyCRC when unsigned', () => {
    const encoded = encodeUpdateInfoResponse({ tcUri: 'wss://lns:8887', tcCred: hex('300100'), update: hex('aabb') });
    expect(encoded).toEqual(
      Buffer.concat([
        hex('00'),
        hex('0e'),
        Buffer.from('wss://lns:8887'),
        hex('0000'),
        hex('0300 300100'),
        hex('00000000'),
        hex('02000000 aabb'),
      ]),
    );
  });

  it('counts the keyCRC in sigLen', () => {
    const der = Buffer.alloc(70, 1);
    const encoded = encodeUpdateInfoResponse({ signature: { keyCrc: 0x1d1e9f14, der }, update: hex('01') });
    expect(encoded.subarray(0, 16)).toEqual(hex('00 00 0000 0000 4a000000 149f1e1d 0101'));
    expect(encoded.length).toBe(6 + 4 + 74 + 4 + 1);
  });

  it.each<[string, UpdateInfoResponse, RegExp]>([
    ['a URI over 255 bytes', { tcUri: 'x'.repeat(256) }, /tcUri is 256 bytes; at most 255/],
    ['a URI of 128 two-byte characters', { cupsUri: 'é'.repeat(128) }, /cupsUri is 256 bytes/],
    ['credentials over 65535 bytes', { tcCred: Buffer.alloc(65536) }, /tcCred is 65536 bytes; at most 65535/],
    ['a signature under 4 bytes', { signature: { keyCrc: 1, der: Buffer.alloc(3) }, update: hex('01') }, /4 to 128 bytes of DER, got 3/],
    ['a signature over 128 bytes', { signature: { keyCrc: 1, der: Buffer.alloc(129) }, update: hex('01') }, /got 129/],
    ['a signature without an update', { signature: { keyCrc: 1, der: Buffer.alloc(70) } }, /needs an update/],
  ])('refuses %s', (_name, response, reason) => {
    expect(() => encodeUpdateInfoResponse(response)).toThrow(UnencodableResponseError);
    expect(() => encodeUpdateInfoResponse(response)).toThrow(reason);
  });

  it('accepts the limits themselves', () => {
    const response = { tcUri: 'x'.repeat(255), tcCred: Buffer.alloc(65535, 7) };
    expect(decodeUpdateInfoResponse(encodeUpdateInfoResponse(response))).toEqual(response);
  });
});

describe('decodeUpdateInfoResponse', () => {
  it('decodes 14 zero bytes as an empty answer', () => {
    expect(decodeUpdateInfoResponse(Buffer.alloc(14))).toEqual({});
  });

  it.each([
    ['13 zero bytes', Buffer.alloc(13), 10, /updLen needs 4 bytes, only 3 remain/],
    ['nothing', Buffer.alloc(0), 0, /cupsUri length needs 1 bytes/],
    ['a URI longer than the data', hex('05 6869'), 1, /cupsUri needs 5 bytes, only 2 remain/],
    ['trailing bytes', Buffer.alloc(15), 14, /1 trailing bytes/],
    ['a 7-byte signature segment', hex('00 00 0000 0000 07000000 00000000000000 00000000'), 6, /signature segment of 7 bytes/],
    ['a 133-byte signature segment', Buffer.concat([hex('00 00 0000 0000 85000000'), Buffer.alloc(133), hex('00000000')]), 6, /133 bytes/],
    ['an update shorter than updLen', hex('00 00 0000 0000 00000000 05000000 0102'), 14, /update needs 5 bytes/],
    ['a URI that is not UTF-8', hex('02 c328 00 0000 0000 00000000 00000000'), 1, /not valid UTF-8/],
  ])('refuses %s, naming the byte offset', (_name, data, offset, reason) => {
    let caught: unknown;
    try {
      decodeUpdateInfoResponse(data);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MalformedResponseError);
    expect((caught as MalformedResponseError).offset).toBe(offset);
    expect((caught as Error).message).toMatch(reason);
    expect((caught as Error).message).toContain(`byte offset ${offset}`);
  });
});

describe('properties', () => {
  const bytes = (max: number) => fc.uint8Array({ minLength: 1, maxLength: max }).map((b) => Buffer.from(b));
  const response: fc.Arbitrary<UpdateInfoResponse> = fc
    .record(
      {
        cupsUri: fc.string({ minLength: 1, maxLength: 60 }),
        tcUri: fc.string({ minLength: 1, maxLength: 60 }),
        cupsCred: bytes(3000),
        tcCred: bytes(3000),
        signed: fc.record({ keyCrc: fc.nat({ max: 0xffffffff }), der: bytes(128).filter((b) => b.length >= 4) }),
        update: bytes(5000),
      },
      { requiredKeys: [] },
    )
    .map(({ signed, ...rest }) => (signed && rest.update ? { ...rest, signature: signed } : rest));

  it('random answers round-trip', () => {
    fc.assert(
      fc.property(response, (r) => {
        expect(decodeUpdateInfoResponse(encodeUpdateInfoResponse(r))).toEqual(r);
      }),
      { numRuns: 1000 },
    );
  });

  it('random bytes raise only the protocol error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (data) => {
        try {
          decodeUpdateInfoResponse(data);
        } catch (error) {
          expect(error).toBeInstanceOf(CupsProtocolError);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
