import { createHash, createPrivateKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../../fixtures/test-pki.ts';
import { createCertificate, type IssuedCertificate, KEY_USAGE, OID } from '../../../src/pki/create-certificate.ts';
import { hugeExponentRsaKeyPair } from '../../helpers/huge-exponent-rsa.ts';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { type PostOptions, post, routerBody, startTestServer, type TestServer } from '../../helpers/server.ts';
import {
  ALGORITHM,
  lookAlikeCas,
  p521KeyPair,
  permittedOrganization,
  pssSha256Parameters,
  resigned,
  separateRdns,
  unknownCriticalExtension,
} from '../../helpers/unusual-certificates.ts';
import { within } from '../../helpers/within.ts';

/** What a case expects and gets: the status, and the code of the JSON body ("-" when there is none). */
interface Outcome {
  status: number;
  code: string;
}

interface Case {
  group: string;
  name: string;
  expected: Outcome;
  run: () => Promise<Outcome>;
}

const REQUEST_TIMEOUT_MS = 1000;

let pki: TestPki;
let extra: Awaited<ReturnType<typeof createExtraCertificates>>;
let proxied: TestServer;
let untrusting: TestServer;
let native: TestServer;
let envoy: TestServer;

/** Certificates for the tricks the fixture PKI has no leaf for. */
async function createExtraCertificates(pki: TestPki) {
  const { rootA, intA } = pki;
  const gateway = (
    subject: Parameters<typeof createCertificate>[0]['subject'],
    issuer: IssuedCertificate,
    more: Partial<Parameters<typeof createCertificate>[0]> = {},
  ) => createCertificate({ subject, issuer, extKeyUsage: [OID.clientAuth], ...more });
  const notCa = await createCertificate({ subject: 'Tenant A not a CA', issuer: rootA, ca: false, keyUsage: KEY_USAGE.keyCertSign });
  const noConstraints = await createCertificate({ subject: 'Tenant A no constraints', issuer: rootA, keyUsage: KEY_USAGE.keyCertSign });
  const pathZero = await createCertificate({ subject: 'Tenant A path 0', issuer: rootA, ca: true, pathLength: 0 });
  const belowPathZero = await createCertificate({ subject: 'Tenant A below path 0', issuer: pathZero, ca: true });
  const long: IssuedCertificate[] = [];
  let issuer = rootA;
  for (let i = 0; i < 11; i++) long.unshift((issuer = await createCertificate({ subject: `Tenant A level ${i}`, issuer, ca: true })));
  const x = await createCertificate({ subject: 'Loop X', ca: true });
  const y = await createCertificate({ subject: 'Loop Y', ca: true });
  const xByY = await createCertificate({ subject: 'Loop X', keyPair: x.keyPair, issuer: y, ca: true });
  const yByX = await createCertificate({ subject: 'Loop Y', keyPair: y.keyPair, issuer: x, ca: true });
  // Ten CAs of one name and one key: each verifies as the issuer of every other.
  const lookAlikes = await lookAlikeCas(10);
  const hugeExponent = await createCertificate({
    subject: 'Tenant A huge exponent',
    issuer: rootA,
    ca: true,
    keyPair: await hugeExponentRsaKeyPair(),
  });
  const forgedInt = await createCertificate({ subject: 'Tenant A intermediate', ca: true });
  // Look-alikes again, with P-521 keys: each check costs twenty times a P-256 one.
  const lookAlikes521 = await lookAlikeCas(10, await p521KeyPair(), 'Look-alike 521');
  const intAKey = createPrivateKey(intA.keyPem);
  const rsaCa = await createCertificate({ subject: 'Tenant A RSA issuing CA', issuer: rootA, ca: true, keyType: 'rsa2048' });
  const rsaCaKey = createPrivateKey(rsaCa.keyPem);
  const factoryCa = await createCertificate({
    subject: 'Tenant A Factory1 CA',
    issuer: rootA,
    ca: true,
    extensions: [permittedOrganization('Factory1')],
  });
  const serverOnlyCa = await createCertificate({ subject: 'Tenant A server CA', issuer: rootA, ca: true, extKeyUsage: [OID.serverAuth] });
  const oddCriticalCa = await createCertificate({
    subject: 'Tenant A odd CA',
    issuer: rootA,
    ca: true,
    extensions: [unknownCriticalExtension()],
  });
  // A sub-CA kept in tenant B's folder, under the common root: good for tenant B only.
  const commonSubCaOfB = await createCertificate({ subject: 'Common sub-CA of tenant B', issuer: pki.common, ca: true });
  const tampered = Buffer.from((await gateway(EUI.a, intA)).der);
  tampered[tampered.length - 5]! ^= 0x01;
  return {
    viaNotCa: [await gateway(EUI.a, notCa), notCa],
    viaNoConstraints: [await gateway(EUI.a, noConstraints), noConstraints],
    pathExceeded: [await gateway(EUI.a, belowPathZero), belowPathZero, pathZero],
    twelve: [await gateway(EUI.a, long[0]!), ...long],
    loop: [await gateway(EUI.a, x), xByY, yByX],
    lookAlikes: [await gateway(EUI.a, lookAlikes[0]), ...lookAlikes],
    viaHugeExponent: [await gateway(EUI.a, hugeExponent), hugeExponent],
    lookAlikes521: [await gateway(EUI.a, lookAlikes521[0]), ...lookAlikes521],
    md5: [resigned(await gateway(EUI.a, rsaCa), rsaCaKey, ALGORITHM.md5WithRsa, 'md5').pem, rsaCa],
    sha1Rsa: [resigned(await gateway(EUI.a, rsaCa), rsaCaKey, ALGORITHM.sha1WithRsa, 'sha1').pem, rsaCa],
    sha1Ecdsa: [resigned(await gateway(EUI.a, intA), intAKey, ALGORITHM.ecdsaWithSha1, 'sha1').pem],
    sha224Ecdsa: [resigned(await gateway(EUI.a, intA), intAKey, ALGORITHM.ecdsaWithSha224, 'sha224').pem],
    pss: [
      resigned(await gateway(EUI.a, rsaCa), rsaCaKey, ALGORITHM.rsassaPss, 'sha256', {
        parameters: pssSha256Parameters(),
        pssSaltLength: 32,
      }).pem,
      rsaCa,
    ],
    outsideNameConstraints: [await gateway(EUI.a, factoryCa), factoryCa],
    insideNameConstraints: [
      resigned(await gateway(EUI.a, factoryCa), createPrivateKey(factoryCa.keyPem), ALGORITHM.ecdsaWithSha256, 'sha256', {
        edit: (c) =>
          (c.subject = separateRdns([
            [OID.organization, 'Factory1'],
            [OID.commonName, EUI.a],
          ])),
      }).pem,
      factoryCa,
    ],
    viaServerOnlyCa: [await gateway(EUI.a, serverOnlyCa), serverOnlyCa],
    viaOddCriticalCa: [await gateway(EUI.a, oddCriticalCa), oddCriticalCa],
    oddCriticalLeaf: [await gateway(EUI.a, intA, { extensions: [unknownCriticalExtension()] })],
    commonSubCaOfB,
    bSubCaClaimsA: await gateway(EUI.a, commonSubCaOfB),
    forged: [await gateway(EUI.a, forgedInt)],
    tampered: `-----BEGIN CERTIFICATE-----\n${tampered.toString('base64')}\n-----END CERTIFICATE-----\n`,
    noCn: await gateway([[OID.organization, 'Vendor']], intA),
    huge: await gateway(EUI.a, intA, {
      dnsNames: Array.from({ length: 2000 }, (_, i) => `gateway-${String(i).padStart(5, '0')}.fleet.example.com`),
    }),
    aForB: await gateway(EUI.b, intA),
    cn: Object.fromEntries(
      await Promise.all(
        Object.entries({
          colons: 'B8:27:EB:FF:FE:12:34:56',
          id6: 'b827:ebff:fe12:3456',
          fifteen: EUI.a.slice(1),
          seventeen: `${EUI.a}0`,
          nonHex: `${EUI.a.slice(0, 15)}G`,
          cyrillic: `\u0412${EUI.a.slice(1)}`,
          fullwidth: `\uff22${EUI.a.slice(1)}`,
          spaces: ` ${EUI.a} `,
          prefixed: `0x${EUI.a}`,
        }).map(async ([name, cn]) => [name, await gateway(cn, intA)] as const),
      ),
    ) as Record<string, IssuedCertificate>,
  };
}

const pemOf = (certs: (IssuedCertificate | string)[]) => certs.map((c) => (typeof c === 'string' ? c : c.pem)).join('');
const asHeader = (certs: (IssuedCertificate | string)[]) => ({ 'X-SSL-Client-Cert': encodeURIComponent(pemOf(certs)) });

async function outcome(answer: Promise<{ status: number; body: Buffer }>): Promise<Outcome> {
  const { status, body } = await answer;
  let code = '-';
  try {
    code = (JSON.parse(body.toString()) as { code?: string }).code ?? '-';
  } catch {
    // not JSON: a response Node wrote itself
  }
  return { status, code };
}

/** Through the proxy-header server, as a trusted proxy would forward it. */
const viaHeader =
  (headers: PostOptions['headers'], body = routerBody(EUI.a), more: PostOptions = {}) =>
  () =>
    outcome(post(proxied.port, { headers, body, ...more }));
const withCert = (certs: (IssuedCertificate | string)[], body = routerBody(EUI.a), more: PostOptions = {}) =>
  viaHeader(asHeader(certs), body, more);
const leafA = () => pki.leaves.a;
const bodyCase = (name: string, body: string | (() => string), status = 400, code = 'invalid_request') =>
  add('body', name, status, code, () => withCert([leafA()], typeof body === 'string' ? body : body())());

/** Raw bytes on a socket, each part after its delay; the status line of whatever comes back. */
function rawExchange(port: number, parts: { data: string; delayMs?: number }[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    let response = '';
    socket.on('data', (chunk) => (response += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
      const body = response.split('\r\n\r\n').slice(1).join('');
      let code = '-';
      try {
        code = (JSON.parse(body) as { code?: string }).code ?? '-';
      } catch {
        // no JSON body
      }
      resolve({ status, code });
    });
    socket.on('connect', async () => {
      for (const part of parts) {
        await new Promise((r) => setTimeout(r, part.delayMs ?? 0));
        if (!socket.destroyed) socket.write(part.data);
      }
    });
    socket.setTimeout(REQUEST_TIMEOUT_MS * 5, () => socket.destroy());
  });
}

/** A TLS 1.3 connection without a certificate, then a second one offering its session. */
async function resumedWithoutCertificate(): Promise<Outcome> {
  const options: ConnectionOptions = {
    host: '127.0.0.1',
    port: native.port,
    servername: 'localhost',
    ca: pki.serverCa.pem,
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
  };
  const session = await new Promise<Buffer | undefined>((resolve, reject) => {
    const socket = tlsConnect(options, () => {
      socket.write(
        'POST /update-info HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${routerBody(EUI.a).length}\r\nConnection: close\r\n\r\n${routerBody(EUI.a)}`,
      );
    });
    let ticket: Buffer | undefined;
    socket.on('session', (s: Buffer) => (ticket = s));
    socket.on('data', () => {});
    socket.on('close', () => resolve(ticket));
    socket.on('error', reject);
  });
  return outcome(
    post(native.port, { tls: { ca: pki.serverCa.pem, minVersion: 'TLSv1.3', ...(session ? { session } : {}) }, body: routerBody(EUI.a) }),
  );
}

const CASES: Case[] = [];
const add = (group: string, name: string, status: number, code: string, run: () => Promise<Outcome>) =>
  CASES.push({ group, name, expected: { status, code }, run });

// Certificates, through a trusted proxy's header.
add('certificate', 'a valid certificate of tenant A (control)', 200, '-', () => withCert([leafA()])());
add('certificate', 'expired', 403, 'certificate_expired', () => withCert([pki.leaves.expired])());
add('certificate', 'not yet valid', 403, 'certificate_not_yet_valid', () => withCert([pki.leaves.notYetValid])());
add('certificate', 'a CA certificate as the leaf', 403, 'certificate_not_client', () => withCert([pki.leaves.caLeaf])());
add('certificate', 'extended key usage serverAuth only', 403, 'certificate_not_client', () => withCert([pki.leaves.serverOnly])());
add('certificate', 'an intermediate with cA false', 403, 'certificate_untrusted', () => withCert(extra.viaNotCa)());
add('certificate', 'an intermediate without basic constraints', 403, 'certificate_untrusted', () => withCert(extra.viaNoConstraints)());
add('certificate', 'path length constraint exceeded', 403, 'certificate_untrusted', () => withCert(extra.pathExceeded)());
add('certificate', 'a chain of 12 certificates', 403, 'certificate_untrusted', () => withCert(extra.twelve)());
add('certificate', 'a chain loop (X signed by Y, Y signed by X)', 403, 'certificate_untrusted', () => withCert(extra.loop)());
add('certificate', 'ten look-alike CAs signing each other (path building bounded)', 403, 'certificate_untrusted', () =>
  withCert(extra.lookAlikes)(),
);
add(
  'certificate',
  'a valid chain through a CA whose RSA exponent has 2,048 bits (each check costs 100)',
  403,
  'certificate_untrusted',
  () => withCert(extra.viaHugeExponent)(),
);
add('certificate', 'a duplicated intermediate', 200, '-', () =>
  withCert([pki.leaves.bViaIntermediate, pki.intB, pki.intB], routerBody(EUI.b))(),
);
add('certificate', "an intermediate forged with the name of tenant A's", 403, 'certificate_untrusted', () => withCert(extra.forged)());
add('certificate', 'a certificate with one signature bit flipped', 403, 'certificate_untrusted', () => withCert([extra.tampered])());
add('certificate', 'an unknown CA', 403, 'certificate_untrusted', () => withCert([pki.leaves.stranger])());
add('certificate', "a 64 KiB certificate (header over Node's 16 KiB limit)", 431, 'request_headers_too_large', () =>
  withCert([extra.huge])(),
);
// Another tenant's gateway is answered exactly as an unregistered one: no tenant can map another's fleet.
add('certificate', "tenant B's CA for tenant A's gateway (as for an unregistered one)", 404, 'gateway_not_found', () =>
  withCert([pki.leaves.bClaimsA])(),
);
add('certificate', "tenant A's CA for tenant B's gateway (as for an unregistered one)", 404, 'gateway_not_found', () =>
  withCert([extra.aForB], routerBody(EUI.b))(),
);
// A path's tenants come from the store certificates it passes through, whatever is presented.
add('certificate', "a sub-CA in tenant B's folder under the common root, for A's gateway, sub-CA left out", 404, 'gateway_not_found', () =>
  withCert([extra.bSubCaClaimsA])(),
);
add('certificate', "a sub-CA in tenant B's folder under the common root, for A's gateway, sub-CA presented", 404, 'gateway_not_found', () =>
  withCert([extra.bSubCaClaimsA, extra.commonSubCaOfB])(),
);
add('TLS', "a sub-CA in tenant B's folder under the common root, for A's gateway, over native TLS", 404, 'gateway_not_found', () =>
  outcome(
    post(native.port, {
      tls: { ca: pki.serverCa.pem, cert: extra.bSubCaClaimsA.pem, key: extra.bSubCaClaimsA.keyPem },
      body: routerBody(EUI.a),
    }),
  ),
);
add('TLS', 'the same, the sub-CA sent in the handshake', 404, 'gateway_not_found', () =>
  outcome(
    post(native.port, {
      tls: { ca: pki.serverCa.pem, cert: extra.bSubCaClaimsA.pem + extra.commonSubCaOfB.pem, key: extra.bSubCaClaimsA.keyPem },
      body: routerBody(EUI.a),
    }),
  ),
);
// Certificate policy: what openssl verify refuses.
add('policy', 'ten look-alike CAs with P-521 keys (path building budgeted by cost)', 403, 'certificate_untrusted', () =>
  withCert(extra.lookAlikes521)(),
);
add('policy', 'a leaf signed with MD5 (RSA)', 403, 'certificate_untrusted', () => withCert(extra.md5)());
add('policy', 'a leaf signed with SHA-1 (RSA)', 403, 'certificate_untrusted', () => withCert(extra.sha1Rsa)());
add('policy', 'a leaf signed with SHA-1 (ECDSA)', 403, 'certificate_untrusted', () => withCert(extra.sha1Ecdsa)());
add('policy', 'a leaf signed with SHA-224 (ECDSA)', 403, 'certificate_untrusted', () => withCert(extra.sha224Ecdsa)());
add('policy', 'a leaf signed with RSA-PSS SHA-256 (control: accepted, checked on the thread pool)', 200, '-', () => withCert(extra.pss)());
add('policy', "a leaf outside its CA's name constraints (O=Factory1)", 403, 'certificate_untrusted', () =>
  withCert(extra.outsideNameConstraints)(),
);
add('policy', "a leaf inside its CA's name constraints (control)", 200, '-', () => withCert(extra.insideNameConstraints)());
add('policy', 'a CA whose extended key usage is serverAuth only', 403, 'certificate_untrusted', () => withCert(extra.viaServerOnlyCa)());
add('policy', 'an unknown critical extension in the CA', 403, 'certificate_untrusted', () => withCert(extra.viaOddCriticalCa)());
add('policy', 'an unknown critical extension in the leaf', 403, 'certificate_untrusted', () => withCert(extra.oddCriticalLeaf)());
add('certificate', 'a valid certificate for another EUI than router', 403, 'cn_router_mismatch', () =>
  withCert([leafA()], routerBody(EUI.b))(),
);
add('certificate', 'an unregistered EUI', 404, 'gateway_not_found', () =>
  withCert([pki.leaves.unregistered], routerBody(EUI.unregistered))(),
);
// Common Names.
add('CN', 'lowercase hex (the same EUI)', 200, '-', () => withCert([pki.leaves.aLowercase])());
add('CN', 'a name, not an EUI', 403, 'cn_not_eui', () => withCert([pki.leaves.cnName])());
add('CN', 'dash separators', 403, 'cn_not_eui', () => withCert([pki.leaves.cnSeparators])());
for (const [name, label] of [
  ['colons', 'colon separators'],
  ['id6', 'ID6 form'],
  ['fifteen', '15 hex digits'],
  ['seventeen', '17 hex digits'],
  ['nonHex', 'a non-hex digit'],
  ['cyrillic', 'look-alike Unicode (Cyrillic В)'],
  ['fullwidth', 'look-alike Unicode (fullwidth Ｂ)'],
  ['spaces', 'surrounding spaces'],
  ['prefixed', 'a 0x prefix'],
] as const) {
  add('CN', label, 403, 'cn_not_eui', () => withCert([extra.cn[name]!])());
}
add('CN', 'two CN attributes', 403, 'cn_not_eui', () => withCert([pki.leaves.twoCns])());
add('CN', 'no CN at all', 403, 'cn_not_eui', () => withCert([extra.noCn])());
// The forwarded header itself.
add('header', 'no header', 401, 'no_client_certificate', viaHeader({}));
add('header', 'a valid header from a peer outside --trust-proxy', 401, 'no_client_certificate', () =>
  outcome(post(untrusting.port, { headers: asHeader([leafA()]), body: routerBody(EUI.a) })),
);
add('header', 'the certificate in a header of another name', 401, 'no_client_certificate', () =>
  viaHeader({ 'X-Client-Cert': encodeURIComponent(leafA().pem) })(),
);
add('header', 'two copies of the header', 400, 'client_certificate_ambiguous', () =>
  viaHeader({ 'X-SSL-Client-Cert': [encodeURIComponent(leafA().pem), encodeURIComponent(pki.leaves.stranger.pem)] })(),
);
add('header', 'garbage base64', 400, 'client_certificate_malformed', viaHeader({ 'X-SSL-Client-Cert': 'bm90IGEgY2VydGlmaWNhdGU=' }));
add('header', 'not base64, not PEM', 400, 'client_certificate_malformed', viaHeader({ 'X-SSL-Client-Cert': 'hello world!' }));
add(
  'header',
  'a PEM block of garbage',
  400,
  'client_certificate_malformed',
  viaHeader({ 'X-SSL-Client-Cert': encodeURIComponent('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n') }),
);
add('header', 'a truncated PEM', 400, 'client_certificate_malformed', () =>
  viaHeader({ 'X-SSL-Client-Cert': encodeURIComponent(leafA().pem.slice(0, 300)) })(),
);
add('header', 'a private key instead of a certificate', 400, 'client_certificate_malformed', () =>
  viaHeader({ 'X-SSL-Client-Cert': encodeURIComponent(leafA().keyPem) })(),
);
add('header', 'broken percent-encoding', 400, 'client_certificate_malformed', viaHeader({ 'X-SSL-Client-Cert': '%E0%A4%A' }));
add(
  'header',
  "Caddy's placeholder (no certificate)",
  401,
  'no_client_certificate',
  viaHeader({ 'X-SSL-Client-Cert': '{http.request.tls.client.certificate_der_base64}' }),
);
// Envoy writes URI and DNS subjectAltNames unescaped: a client certificate whose URI SAN is
// "x;Cert=<the victim's URL-encoded PEM>" puts a second Cert into the element.
const xfcc = (cert: IssuedCertificate, more = '') =>
  `By=spiffe://cups;Hash=${createHash('sha256').update(cert.der).digest('hex')};Cert="${encodeURIComponent(cert.pem)}";Subject="CN=x"${more}`;
const viaEnvoy = (value: string) => () =>
  outcome(post(envoy.port, { headers: { 'x-forwarded-client-cert': value }, body: routerBody(EUI.a) }));
add('header', 'XFCC from Envoy (control)', 200, '-', () => viaEnvoy(xfcc(leafA()))());
add('header', "XFCC: an attacker's certificate smuggling the victim's Cert through its URI SAN", 400, 'client_certificate_malformed', () =>
  viaEnvoy(xfcc(pki.leaves.stranger, `;URI=x;Cert="${encodeURIComponent(leafA().pem)}"`))(),
);
add('header', "XFCC: the victim's Cert with the attacker's Hash", 400, 'client_certificate_malformed', () =>
  viaEnvoy(xfcc(leafA()).replace(/Hash=\w+/, `Hash=${createHash('sha256').update(pki.leaves.stranger.der).digest('hex')}`))(),
);
add('header', 'XFCC: two elements (which is the gateway?)', 400, 'client_certificate_malformed', () =>
  viaEnvoy(`${xfcc(pki.leaves.stranger)},${xfcc(leafA())}`)(),
);
add('header', 'PEM with a private key beside the certificate', 400, 'client_certificate_malformed', () =>
  viaHeader({ 'X-SSL-Client-Cert': encodeURIComponent(leafA().pem + leafA().keyPem) })(),
);
// Native TLS.
add('TLS', 'a valid certificate in the handshake (control)', 200, '-', () =>
  outcome(post(native.port, { tls: { ca: pki.serverCa.pem, cert: leafA().pem, key: leafA().keyPem }, body: routerBody(EUI.a) })),
);
add('TLS', 'no certificate in the handshake', 401, 'no_client_certificate', () =>
  outcome(post(native.port, { tls: { ca: pki.serverCa.pem }, body: routerBody(EUI.a) })),
);
add('TLS', 'an unknown CA in the handshake', 403, 'certificate_untrusted', () =>
  outcome(
    post(native.port, {
      tls: { ca: pki.serverCa.pem, cert: pki.leaves.stranger.pem, key: pki.leaves.stranger.keyPem },
      body: routerBody(EUI.a),
    }),
  ),
);
add('TLS', 'TLS 1.3 resumption of a session without a certificate', 401, 'no_client_certificate', resumedWithoutCertificate);
add('TLS', 'a 64 KiB certificate in the handshake (large, but valid)', 200, '-', () =>
  outcome(post(native.port, { tls: { ca: pki.serverCa.pem, cert: extra.huge.pem, key: extra.huge.keyPem }, body: routerBody(EUI.a) })),
);
add('TLS', 'a certificate header over native TLS (no proxy is trusted to send it)', 401, 'no_client_certificate', () =>
  outcome(post(native.port, { tls: { ca: pki.serverCa.pem }, headers: asHeader([leafA()]), body: routerBody(EUI.a) })),
);
// Bodies, with a valid certificate.
bodyCase('malformed JSON', '{"router":');
bodyCase('not JSON', 'router=B827EBFFFE123456');
bodyCase('an empty body', '');
bodyCase('a JSON array', '[]');
bodyCase('JSON null', 'null');
bodyCase('no router', '{}');
bodyCase('router as a boolean', '{"router":true}');
bodyCase('router as an object', '{"router":{"eui":"B827EBFFFE123456"}}');
bodyCase('router named twice', `{"router":"${EUI.a}","router":"${EUI.b}"}`);
bodyCase('router named twice, once as "\\u0072outer"', `{"router":"${EUI.b}","\\u0072outer":"${EUI.a}"}`);
bodyCase('a CRC as a string', () => routerBody(EUI.a, { tcCredCrc: '123' }));
bodyCase('a CRC of 2^32', () => routerBody(EUI.a, { cupsCredCrc: 2 ** 32 }));
bodyCase('a negative CRC', () => routerBody(EUI.a, { tcCredCrc: -1 }));
bodyCase('a fractional CRC', () => routerBody(EUI.a, { tcCredCrc: 1.5 }));
bodyCase('a CRC of 10^400', `{"router":"${EUI.a}","tcCredCrc":1${'0'.repeat(400)}}`);
bodyCase('17 key CRCs', () => routerBody(EUI.a, { keys: Array.from({ length: 17 }, (_, i) => i) }));
bodyCase('a negative key CRC', () => routerBody(EUI.a, { keys: [-5] }));
bodyCase('a 256-byte URI', () => routerBody(EUI.a, { tcUri: `wss://${'x'.repeat(250)}` }));
bodyCase('a 9 KiB body', () => routerBody(EUI.a, { pad: 'x'.repeat(9 * 1024) }), 413, 'request_too_large');
for (const router of ['1:2:3', '::1::', '12345::', '1:2:3:4:', '', `${EUI.a}0`, 'B827EBFFFE12345G', '-1']) {
  bodyCase(`router "${router}"`, () => routerBody(router));
}
bodyCase('router as a negative integer', `{"router":-1}`);
bodyCase('router as an integer of 2^64', `{"router":18446744073709551616}`);
bodyCase('router as a fraction', `{"router":1.5}`);
bodyCase('router as ID6 (control)', () => routerBody('b827:ebff:fe12:3456'), 200, '-');
bodyCase('unknown fields (control: ignored)', () => routerBody(EUI.a, { colour: 'blue', nested: { a: [1, 2] } }), 200, '-');
// Transport.
const request = (headers: string[], body = routerBody(EUI.a)) =>
  `POST /update-info HTTP/1.1\r\nHost: cups\r\nX-SSL-Client-Cert: ${encodeURIComponent(leafA().pem)}\r\n` +
  `${headers.map((h) => `${h}\r\n`).join('')}Content-Length: ${body.length}\r\n\r\n${body}`;
add('transport', 'headers that never finish (slowloris)', 408, 'request_timeout', () =>
  rawExchange(proxied.port, [
    { data: 'POST /update-info HTTP/1.1\r\nHost: cups\r\n' },
    { data: 'X-Slow: 1\r\n', delayMs: REQUEST_TIMEOUT_MS * 2 },
  ]),
);
add('transport', 'a body that never finishes', 408, 'request_timeout', () =>
  rawExchange(proxied.port, [
    { data: request(['Content-Type: application/json']).slice(0, -10) },
    { data: '"', delayMs: REQUEST_TIMEOUT_MS * 2 },
  ]),
);
add('transport', 'GET', 405, 'method_not_allowed', () => withCert([leafA()], '', { method: 'GET', contentType: null })());
add('transport', 'PUT', 405, 'method_not_allowed', () => withCert([leafA()], routerBody(EUI.a), { method: 'PUT' })());
add('transport', 'DELETE', 405, 'method_not_allowed', () => withCert([leafA()], '', { method: 'DELETE', contentType: null })());
// Stations before 2.0.4 send no Content-Type, and curl -d sends a form type: the body decides.
add('transport', 'Content-Type text/plain (control: the body decides)', 200, '-', () =>
  withCert([leafA()], routerBody(EUI.a), { contentType: 'text/plain' })(),
);
add('transport', 'no Content-Type, as stations before 2.0.4 (control)', 200, '-', () =>
  withCert([leafA()], routerBody(EUI.a), { contentType: null })(),
);
add('transport', 'an empty Content-Type header (control: the body decides)', 200, '-', () =>
  withCert([leafA()], routerBody(EUI.a), { contentType: '' })(),
);
add('transport', 'a malformed Content-Type with a body that is no JSON', 400, 'invalid_request', () =>
  withCert([leafA()], 'x', { contentType: ';;' })(),
);
add('transport', 'a form type with a body that is no JSON', 400, 'invalid_request', () =>
  withCert([leafA()], 'router=B827EBFFFE123456', { contentType: 'application/x-www-form-urlencoded' })(),
);
add('transport', 'an unknown path', 404, 'not_found', () => withCert([leafA()], routerBody(EUI.a), { path: '/update-info/../admin' })());
add('transport', '20 KiB of headers', 431, 'request_headers_too_large', () =>
  rawExchange(proxied.port, [{ data: request(['Content-Type: application/json', `X-Junk: ${'j'.repeat(20 * 1024)}`]) }]),
);
add('transport', 'a body longer than its Content-Length says', 400, 'invalid_request', () =>
  rawExchange(proxied.port, [{ data: `${request(['Content-Type: application/json', 'Connection: close'])}GARBAGE` }]),
);

const rows: (Case & { got?: Outcome })[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  extra = await createExtraCertificates(pki);
  const behindProxy = {
    tlsCert: undefined,
    tlsKey: undefined,
    clientCertHeader: 'X-SSL-Client-Cert',
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  };
  proxied = await startTestServer(pki, behindProxy);
  untrusting = await startTestServer(pki, { ...behindProxy, trustProxy: ['10.0.0.0/8'] });
  native = await startTestServer(pki, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
  envoy = await startTestServer(pki, { ...behindProxy, clientCertHeader: 'x-forwarded-client-cert' });
  // Tenant B keeps a sub-CA of the common root.
  for (const server of [proxied, native]) {
    writeFileSync(join(server.tenants, 'tenant-b', 'common-sub-ca.pem'), extra.commonSubCaOfB.pem);
    await within(2000, async () => server.server.trust.current.has(createHash('sha256').update(extra.commonSubCaOfB.der).digest('hex')));
  }
});

afterAll(async () => {
  await Promise.all([proxied, untrusting, native, envoy].map((s) => s?.server.close()));
  if (rows.length !== CASES.length) return;
  const cell = (o?: Outcome) => (o ? `${o.status} ${o.code}` : 'not run');
  const lines = [
    '# Security matrix',
    '',
    'Written by `test/src/http/security-matrix.test.ts` on every run of `npm test`: each case against a real',
    '`cups serve` (behind a trusted proxy header, or native TLS), with what was expected and what came back.',
    'Codes are the `code` of the JSON body; `-` is a response Node writes itself, before the service.',
    '',
    `${rows.filter((r) => r.got && r.got.status === r.expected.status && r.got.code === r.expected.code).length} of ${rows.length} ` +
      'cases as expected; no 5xx; the server kept answering.',
    '',
    '| # | group | case | expected | got |',
    '|---|---|---|---|---|',
    ...rows.map((r, i) => `| ${i + 1} | ${r.group} | ${r.name.replace(/\|/g, '\\|')} | ${cell(r.expected)} | ${cell(r.got)} |`),
    '',
  ];
  mkdirSync(join(REPO_ROOT, 'docs'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'docs', 'security-matrix.md'), lines.join('\n'));
});

describe(`the security matrix (${CASES.length} cases)`, () => {
  it('has at least 60 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  it.each(CASES.map((c) => [`${c.group}: ${c.name} -> ${c.expected.status} ${c.expected.code}`, c] as const))('%s', async (_title, c) => {
    const row: Case & { got?: Outcome } = { ...c };
    rows.push(row);
    row.got = await c.run();
    expect(row.got).toEqual(c.expected);
  });

  it('left every server up, with no 5xx and no failed request in the logs', async () => {
    for (const server of [proxied, untrusting, native, envoy]) {
      const health = await outcome(
        post(server.port, {
          method: 'GET',
          path: '/healthz',
          contentType: null,
          ...(server === native ? { tls: { ca: pki.serverCa.pem } } : {}),
        }),
      );
      expect(health.status).toBe(200);
      expect(server.log().filter((line) => (line.level as number) >= 50)).toEqual([]);
    }
    expect(rows.filter((r) => (r.got?.status ?? 0) >= 500)).toEqual([]);
  });
});
