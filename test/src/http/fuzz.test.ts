import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../../fixtures/test-pki.ts';
import { post, startTestServer, type TestServer } from '../../helpers/server.ts';

const RUNS = 3000;

let pki: TestPki;
let server: TestServer;
beforeAll(async () => {
  pki = await createTestPki();
  server = await startTestServer(pki, { tlsCert: undefined, tlsKey: undefined, clientCertHeader: 'X-SSL-Client-Cert' });
});
afterAll(async () => {
  await server.server.close();
});

/** Certificate headers: none, real ones, and every way of spoiling one. */
function certificateHeader(pki: TestPki): fc.Arbitrary<string | undefined> {
  const real = [pki.leaves.a, pki.leaves.stranger, pki.leaves.expired, pki.leaves.twoCns, pki.leaves.bClaimsA];
  return fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(...real).map((c) => encodeURIComponent(c.pem)),
    fc.constantFrom(...real).map((c) => c.der.toString('base64')),
    fc.tuple(fc.constantFrom(...real), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([c, at, bits]) => {
      const der = Buffer.from(c.der);
      der[at % der.length]! ^= bits;
      return der.toString('base64');
    }),
    fc.tuple(fc.constantFrom(...real), fc.nat()).map(([c, cut]) => encodeURIComponent(c.pem.slice(0, cut % c.pem.length))),
    fc.string({ maxLength: 200 }).map((s) => s.replace(/[\r\n\0]/g, '')),
    fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes).toString('base64')),
  );
}

/** Bodies: valid requests with any field replaced by anything, and plain garbage. */
const body: fc.Arbitrary<string> = fc.oneof(
  fc
    .record(
      {
        router: fc.oneof(
          fc.constantFrom(EUI.a, EUI.b, EUI.unregistered, 'b827:ebff:fe12:3456'),
          fc.string(),
          fc.bigInt().map(String),
          fc.anything(),
        ),
        cupsUri: fc.oneof(fc.constant(null), fc.webUrl(), fc.anything()),
        tcUri: fc.oneof(fc.constant(null), fc.webUrl(), fc.anything()),
        cupsCredCrc: fc.oneof(fc.nat({ max: 0xffffffff }), fc.integer(), fc.double(), fc.anything()),
        tcCredCrc: fc.oneof(fc.nat({ max: 0xffffffff }), fc.integer(), fc.anything()),
        station: fc.oneof(fc.string(), fc.anything()),
        model: fc.oneof(fc.constantFrom('linux', 'corecell'), fc.string(), fc.anything()),
        package: fc.oneof(fc.string(), fc.anything()),
        keys: fc.oneof(fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 20 }), fc.anything()),
      },
      { requiredKeys: [] },
    )
    .map((fields) => JSON.stringify(fields, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)) ?? 'null'),
  fc.json(),
  fc.string({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

describe(`fast-check against a running server (${RUNS} requests)`, () => {
  it('answers every request with a JSON refusal or a CUPS answer, never a 5xx', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        certificateHeader(pki),
        body,
        fc.oneof(
          fc.constant('application/json'),
          fc.constant(null),
          fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n\0]/g, '') || 'x'),
        ),
        fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT'),
        async (header, payload, contentType, method) => {
          const answer = await post(server.port, {
            method,
            body: payload,
            contentType,
            headers: header === undefined ? {} : { 'X-SSL-Client-Cert': header },
          });
          expect(answer.status).toBeLessThan(500);
          if (answer.status === 200) {
            expect(answer.headers['content-type']).toBe('application/octet-stream');
          } else {
            const { code, message } = answer.json();
            expect(code).toMatch(/^[a-z_]+$/);
            expect(message.length).toBeGreaterThan(5);
            seen.set(`${answer.status} ${code}`, (seen.get(`${answer.status} ${code}`) ?? 0) + 1);
          }
        },
      ),
      { numRuns: RUNS },
    );
    // The fuzzing reached past the certificate checks into the body and registry checks.
    expect([...seen.keys()]).toEqual(
      expect.arrayContaining([
        '400 invalid_request',
        '403 certificate_untrusted',
        '400 client_certificate_malformed',
        '401 no_client_certificate',
      ]),
    );
    expect((await post(server.port, { method: 'GET', path: '/healthz', contentType: null })).status).toBe(200);
    expect(server.log().filter((line) => (line.level as number) >= 50)).toEqual([]);
  }, 120_000);
});
