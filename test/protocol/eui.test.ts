import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { euiFromInteger, formatEuiHex, formatId6, InvalidEuiError, MAX_EUI, parseEui } from '../../protocol/index.ts';

// The ID6 vector table of docs/cups-protocol.md.
const ID6_VECTORS: [string, string][] = [
  ['::0', '0000000000000000'],
  ['1::', '0001000000000000'],
  ['::a:b', '00000000000A000B'],
  ['f::1', '000F000000000001'],
  ['f:a123:f8:100', '000FA12300F80100'],
  ['58a0:cbff:fe80:19', '58A0CBFFFE800019'],
  ['80::fd46', '008000000000FD46'],
];

describe('ID6 vectors', () => {
  it.each(ID6_VECTORS)('%s <-> %s', (id6, hex) => {
    expect(formatEuiHex(parseEui(id6))).toBe(hex);
    expect(formatId6(parseEui(hex))).toBe(id6);
  });

  it.each([
    ['0:a:b:0', 0x0000000a000b0000n],
    ['0:a::', 0x0000000a00000000n],
    ['::a:0', 0x00000000000a0000n],
    ['a:b:c:d', 0x000a000b000c000dn],
  ])('writes %s uncompressed or compressed as the station encoder does', (id6, eui) => {
    expect(formatId6(eui)).toBe(id6);
    expect(parseEui(id6)).toBe(eui);
  });
});

describe('accepted spellings', () => {
  const eui = 0x58a0cbfffe800019n;
  it.each([
    '58A0CBFFFE800019',
    '58a0cbfffe800019',
    '58-A0-CB-FF-FE-80-00-19',
    '58:a0:cb:ff:fe:80:00:19',
    '58a0:cbff:fe80:19',
    '58A0:CBFF:FE80:0019',
    'router-58a0:cbff:fe80:19',
    'gw-58a0:cbff:fe80:19',
  ])('%s', (text) => {
    expect(parseEui(text)).toBe(eui);
  });

  it('reads JSON integers up to 2^64-1 exactly', () => {
    expect(euiFromInteger('18446744073709551615')).toBe(MAX_EUI);
    expect(euiFromInteger(18446744073709551615n)).toBe(MAX_EUI);
    expect(euiFromInteger(42)).toBe(42n);
    expect(() => euiFromInteger('18446744073709551616')).toThrow(InvalidEuiError);
    expect(() => euiFromInteger(-1n)).toThrow(/outside/);
    expect(() => euiFromInteger(2 ** 60)).toThrow(/exact integer/);
  });
});

describe('refused', () => {
  it.each([
    ['1:2:3', /exactly 4 groups/],
    ['::1::', /at most one "::"/],
    ['12345::', /1 to 4 hex digits/],
    ['1:2:3:4:', /empty group/],
    ['', /empty/],
    ['11223344556677889', /17 hex digits/],
    ['112233445566778', /15 hex digits/],
    ['1:2:3:4:5', /exactly 4 groups/],
    ['1::2::3', /at most one/],
    ['1:2::3:4', /at least one zero group/],
    ['58-A0-CB-FF-FE-80-00', /not an EUI/],
    ['58:A0-CB:FF:FE:80:00:19', /ID6 group|not an EUI/],
    ['Router-58a0:cbff:fe80:19', /.+/],
    ['::1g', /not 1 to 4 hex digits/],
    ['58a0cbfffe80001９', /not an EUI/],
    ['::', /at least one hex digit/],
  ])('%s', (text, reason) => {
    expect(() => parseEui(text)).toThrow(InvalidEuiError);
    expect(() => parseEui(text)).toThrow(reason);
  });
});

describe('properties', () => {
  const anyEui = fc.bigInt({ min: 0n, max: MAX_EUI });

  it('every EUI survives every spelling', () => {
    fc.assert(
      fc.property(anyEui, (eui) => {
        const hex = formatEuiHex(eui);
        const pairs = hex.match(/../g)!;
        for (const spelling of [hex, hex.toLowerCase(), pairs.join('-'), pairs.join(':'), formatId6(eui), `router-${formatId6(eui)}`]) {
          expect(parseEui(spelling)).toBe(eui);
        }
        expect(euiFromInteger(eui.toString())).toBe(eui);
      }),
      { numRuns: 2000 },
    );
  });

  it('garbage raises InvalidEuiError, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-fA-F:-]{0,24}$/)), (text) => {
        try {
          const eui = parseEui(text);
          expect(eui >= 0n && eui <= MAX_EUI).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidEuiError);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
