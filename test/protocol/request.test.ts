import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CupsProtocolError, InvalidRequestError, parseUpdateInfoRequest } from '../../protocol/index.ts';

// The body a real Basics Station 2.0.6 sent (docs/cups-protocol.md).
const STATION_BODY =
  '{"router":"16:c001:ff10:a235","cupsUri":"https://127.0.0.1:16040","tcUri":null,"cupsCredCrc":2435671641,"tcCredCrc":2077607535,' +
  '"station":"2.0.6(linux/testsim) 2026-11-23 13:11:30","model":"linux","package":null,"keys":[]}';

describe('parseUpdateInfoRequest', () => {
  it('reads what a real station sends, nulls included', () => {
    expect(parseUpdateInfoRequest(STATION_BODY)).toEqual({
      router: 0x0016c001ff10a235n,
      cupsUri: 'https://127.0.0.1:16040',
      tcUri: null,
      cupsCredCrc: 2435671641,
      tcCredCrc: 2077607535,
      station: '2.0.6(linux/testsim) 2026-11-23 13:11:30',
      model: 'linux',
      package: null,
      keys: [],
    });
  });

  it('needs only the router and ignores unknown fields', () => {
    const request = parseUpdateInfoRequest('{"router":"58A0CBFFFE800019","os":"linux","extra":{"x":[1,2]}}');
    expect(request).toMatchObject({ router: 0x58a0cbfffe800019n, cupsUri: null, tcUri: null, cupsCredCrc: 0, tcCredCrc: 0, keys: [] });
  });

  it('keeps every digit of a router sent as a JSON integer above 2^53', () => {
    expect(parseUpdateInfoRequest('{"router":18446744073709551615}').router).toBe(0xffffffffffffffffn);
    expect(parseUpdateInfoRequest('{"router":9007199254740993}').router).toBe(9007199254740993n);
  });

  it.each([
    ['not JSON', '{"router":', /not valid JSON/],
    ['an array', '[1]', /JSON object/],
    ['no router', '{}', /must have required property 'router'/],
    ['a bad router', '{"router":"1:2:3"}', /router: .*exactly 4 groups/],
    ['a negative router', '{"router":-1}', /router/],
    ['a float router', '{"router":1.5}', /router must be/],
    ['a router over 2^64-1', '{"router":18446744073709551616}', /outside/],
    ['a CRC over 2^32-1', '{"router":"::1","tcCredCrc":4294967296}', /tcCredCrc must be <= 4294967295/],
    ['a huge CRC', '{"router":"::1","tcCredCrc":99999999999999999999999}', /tcCredCrc must be <= 4294967295/],
    ['a negative CRC', '{"router":"::1","cupsCredCrc":-1}', /cupsCredCrc must be >= 0/],
    ['a string CRC', '{"router":"::1","cupsCredCrc":"1"}', /cupsCredCrc must be integer/],
    ['17 keys', `{"router":"::1","keys":[${Array(17).fill(1).join(',')}]}`, /keys must NOT have more than 16 items/],
    ['a key over u32', '{"router":"::1","keys":[4294967296]}', /keys.0 must be <= 4294967295/],
    ['a URI over 255 bytes', `{"router":"::1","tcUri":"wss://${'é'.repeat(126)}"}`, /tcUri is longer than 255 bytes/],
    ['a 300-character station', `{"router":"::1","station":"${'x'.repeat(300)}"}`, /station must NOT have more than 256/],
    ['duplicate keys', '{"router":"::1","router":"::2"}', /Duplicate key/],
    ['a number for tcUri', '{"router":"::1","tcUri":5}', /tcUri must be string,null/],
  ])('refuses %s', (_name, body, reason) => {
    expect(() => parseUpdateInfoRequest(body)).toThrow(InvalidRequestError);
    expect(() => parseUpdateInfoRequest(body)).toThrow(reason);
  });

  it('refuses a key named twice, however it is spelled and at any depth, and reads the same key at two depths', () => {
    for (const body of [
      '{"router":"1::","router":"2::"}',
      '{"router":"1::","\\u0072outer":"2::"}',
      '{"router":"1::","x":{"a":1,"\\u0061":2}}',
      '{"router":"1::","station":"a","station" :"b"}',
    ]) {
      expect(() => parseUpdateInfoRequest(body), body).toThrow(/Duplicate key/);
    }
    expect(parseUpdateInfoRequest('{"router":"1::","x":{"a":1},"y":{"a":2},"model":"a\\"b"}').model).toBe('a"b');
  });

  it('raises only InvalidRequestError for any garbage', () => {
    const jsonish = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({ router: fc.oneof(fc.string(), fc.integer(), fc.bigInt(), fc.constant(null)), tcCredCrc: fc.anything() })
        .map((o) => JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))),
    );
    fc.assert(
      fc.property(jsonish, (body) => {
        try {
          parseUpdateInfoRequest(body);
        } catch (error) {
          expect(error).toBeInstanceOf(CupsProtocolError);
          expect((error as CupsProtocolError).code).toBe('invalid_request');
        }
      }),
      { numRuns: 3000 },
    );
  });
});
