import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../../fixtures/test-pki.ts';
import { credentialsCrc, decodeUpdateInfoResponse, splitCredentials } from '../../../protocol/index.ts';
import { type AppOptions, buildApp } from '../../../src/http/build-app.ts';
import type { IssuedCertificate } from '../../../src/pki/create-certificate.ts';
import { openRegistry } from '../../../src/registry/open-registry.ts';
import { loadKeyring } from '../../../src/secrets/load-keyring.ts';
import { loadTrustStore } from '../../../src/trust/trust-store.ts';
import { VerificationCache } from '../../../src/trust/verification-cache.ts';
import {
  type PostOptions,
  post,
  prepareServerFolder,
  routerBody,
  type ServerFolder,
  startTestServer,
  type TestServer,
} from '../../helpers/server.ts';

type Leaf = keyof TestPki['leaves'];

interface Case {
  name: string;
  leaf?: Leaf;
  /** Intermediates the client presents after its certificate. */
  chain?: (pki: TestPki) => IssuedCertificate[];
  body?: string;
  contentType?: string;
  status: number;
  code?: string;
}

const ok = (name: string, leaf: Leaf, body = routerBody(EUI.a), chain?: Case['chain']): Case => ({
  name,
  leaf,
  body,
  status: 200,
  ...(chain ? { chain } : {}),
});

// Every row of the table, in the order the checks run.
const CASES: Case[] = [
  { name: 'no certificate', status: 401, code: 'no_client_certificate' },
  ok('tenant A gateway through the stored intermediate', 'a'),
  ok('CN in lowercase hex', 'aLowercase'),
  ok('router as ID6', 'a', routerBody('b827:ebff:fe12:3456')),
  ok('a leaf without extended key usage', 'aDirectNoEku'),
  ok('a certificate of the common root, for any tenant', 'common'),
  ok('tenant B gateway presenting an intermediate the store lacks', 'bViaIntermediate', routerBody(EUI.b), (pki) => [pki.intB]),
  { name: 'tenant B intermediate missing', leaf: 'bViaIntermediate', body: routerBody(EUI.b), status: 403, code: 'certificate_untrusted' },
  { name: 'an unknown CA', leaf: 'stranger', status: 403, code: 'certificate_untrusted' },
  {
    name: 'an unknown CA and a bad body: the certificate check comes first',
    leaf: 'stranger',
    body: '{',
    status: 403,
    code: 'certificate_untrusted',
  },
  { name: 'expired', leaf: 'expired', status: 403, code: 'certificate_expired' },
  { name: 'not yet valid', leaf: 'notYetValid', status: 403, code: 'certificate_not_yet_valid' },
  { name: 'extended key usage without clientAuth', leaf: 'serverOnly', status: 403, code: 'certificate_not_client' },
  { name: 'a CA certificate as the leaf', leaf: 'caLeaf', status: 403, code: 'certificate_not_client' },
  { name: 'malformed JSON', leaf: 'a', body: '{"router":', status: 400, code: 'invalid_request' },
  { name: 'a malformed router', leaf: 'a', body: routerBody('1:2:3'), status: 400, code: 'invalid_request' },
  { name: 'a CRC over 2^32', leaf: 'a', body: routerBody(EUI.a, { tcCredCrc: 2 ** 32 }), status: 400, code: 'invalid_request' },
  { name: 'a 9 KiB body', leaf: 'a', body: routerBody(EUI.a, { pad: 'x'.repeat(9 * 1024) }), status: 413, code: 'request_too_large' },
  { name: 'CN that is a name', leaf: 'cnName', status: 403, code: 'cn_not_eui' },
  { name: 'CN with separators', leaf: 'cnSeparators', status: 403, code: 'cn_not_eui' },
  { name: 'two CN attributes', leaf: 'twoCns', status: 403, code: 'cn_not_eui' },
  { name: 'a valid certificate for another EUI than router', leaf: 'a', body: routerBody(EUI.b), status: 403, code: 'cn_router_mismatch' },
  { name: 'an unregistered EUI', leaf: 'unregistered', body: routerBody(EUI.unregistered), status: 404, code: 'gateway_not_found' },
  {
    name: "tenant B's CA for tenant A's gateway (answered as for an unregistered one)",
    leaf: 'bClaimsA',
    status: 404,
    code: 'gateway_not_found',
  },
];

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
});

/** The two ways a certificate arrives: the TLS handshake, or a header from a trusted TLS proxy. */
const MODES = {
  'native TLS': {
    serve: {},
    present: (leaf: IssuedCertificate | undefined, chain: IssuedCertificate[]): PostOptions => ({
      tls: {
        ca: pki.serverCa.pem,
        ...(leaf ? { cert: leaf.pem + chain.map((c) => c.pem).join(''), key: leaf.keyPem } : {}),
      },
    }),
  },
  'proxy header (nginx $ssl_client_escaped_cert)': {
    serve: { tlsCert: undefined, tlsKey: undefined, clientCertHeader: 'X-SSL-Client-Cert' },
    present: (leaf: IssuedCertificate | undefined, chain: IssuedCertificate[]): PostOptions => ({
      headers: leaf ? { 'X-SSL-Client-Cert': encodeURIComponent([leaf, ...chain].map((c) => c.pem).join('')) } : {},
    }),
  },
} as const;

describe.each(Object.entries(MODES))('%s', (_mode, mode) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(pki, mode.serve);
  });
  afterAll(async () => {
    await server.server.close();
  });

  it.each(CASES)('$name -> $status $code', async (c) => {
    const leaf = c.leaf ? pki.leaves[c.leaf] : undefined;
    const answer = await post(server.port, {
      ...mode.present(leaf, c.chain?.(pki) ?? []),
      body: c.body ?? routerBody(EUI.a),
      ...(c.contentType ? { contentType: c.contentType } : {}),
    });
    expect(answer.status, answer.body.toString()).toBe(c.status);
    if (c.code) {
      expect(answer.headers['content-type']).toMatch(/application\/json/);
      expect(answer.json().code).toBe(c.code);
      expect(answer.json().message.length).toBeGreaterThan(10);
    } else {
      expect(answer.headers['content-type']).toBe('application/octet-stream');
      expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
      expect(decodeUpdateInfoResponse(answer.body).tcUri).toMatch(/^wss:\/\/lns-tenant-[ab]\.example:8887$/);
    }
  });

  it('answers with the LNS URI and credentials, then 14 zero bytes once the station has them', async () => {
    const tls = mode.present(pki.leaves.a, []);
    const first = await post(server.port, { ...tls, body: routerBody(EUI.a, { tcUri: null, tcCredCrc: 0x7bd5c66f, cupsCredCrc: 0 }) });
    expect(first.status).toBe(200);
    const answer = decodeUpdateInfoResponse(first.body);
    expect(answer.tcUri).toBe('wss://lns-tenant-a.example:8887');
    expect(answer.cupsUri).toBeUndefined();
    const split = splitCredentials(answer.tcCred!);
    expect(split.token).toBe('Authorization: secret-tenant-a\r\n');
    expect(split.trust).toEqual(pki.serverCa.der);
    const second = await post(server.port, {
      ...tls,
      body: routerBody('b827:ebff:fe12:3456', { tcUri: answer.tcUri, tcCredCrc: credentialsCrc(answer.tcCred!) }),
    });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(Buffer.alloc(14));
  });

  it('answers other methods on /update-info with 405 and unknown paths with 404, in JSON', async () => {
    const get = await post(server.port, { ...mode.present(pki.leaves.a, []), method: 'GET', contentType: null });
    expect([get.status, get.json().code]).toEqual([405, 'method_not_allowed']);
    const unknown = await post(server.port, { ...mode.present(pki.leaves.a, []), method: 'GET', contentType: null, path: '/nope' });
    expect([unknown.status, unknown.json().code]).toEqual([404, 'not_found']);
  });
});

/** The route in a fastify app answering app.inject(), on the fixture registry, behind a trusted proxy header. */
async function injectableApp(configure: (folder: ServerFolder) => Promise<Partial<AppOptions>>) {
  const folder = await prepareServerFolder(pki);
  const registry = openRegistry(folder.db, loadKeyring({ file: folder.secretKeyFile, createIfMissing: false }).keyring);
  const store = await loadTrustStore(folder.tenants);
  const app = await buildApp({
    registry,
    trustStore: () => store,
    isReady: async () => true,
    requestTimeoutMs: 5000,
    forwarded: { header: 'X-SSL-Client-Cert', isTrustedProxy: () => true },
    ...(await configure(folder)),
  });
  const ask = (leaf = pki.leaves.a) =>
    app.inject({
      method: 'POST',
      url: '/update-info',
      headers: { 'content-type': 'application/json', 'x-ssl-client-cert': encodeURIComponent(leaf.pem) },
      payload: routerBody(EUI.a),
    });
  return {
    app,
    ask,
    close: async () => {
      await app.close();
      await registry.close();
    },
  };
}

describe('a trust store that changes while a chain is being verified', () => {
  it('answers from the store the check began with, and keeps nothing of it in the verification cache', async () => {
    const { ask, close } = await injectableApp(async (folder) => {
      const before = await loadTrustStore(folder.tenants);
      rmSync(join(folder.tenants, 'tenant-a'), { recursive: true });
      const after = await loadTrustStore(folder.tenants);
      // The first call reads the store before the change, and every later call (the check after
      // verifying, the next request) reads it after.
      let reads = 0;
      return { trustStore: () => (reads++ === 0 ? before : after), verificationCache: new VerificationCache() };
    });
    try {
      expect((await ask()).statusCode).toBe(200);
      const again = await ask();
      expect([again.statusCode, again.json().code]).toEqual([403, 'certificate_untrusted']);
    } finally {
      await close();
    }
  });
});

describe('/readyz under a flood', () => {
  it('shares one registry check among the probes that come while it runs, and reuses a ready answer for a second', async () => {
    let checks = 0;
    const { app, close } = await injectableApp(async () => ({
      isReady: async () => {
        checks++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return true;
      },
    }));
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, () => app.inject({ method: 'GET', url: '/readyz' })));
      expect(new Set(answers.map((a) => a.statusCode))).toEqual(new Set([200]));
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      expect(checks).toBe(1);
    } finally {
      await close();
    }
  });
});

describe('a burst of new gateways', () => {
  it('waits its turn in the queue instead of being refused: 400 chains at once, with no cache, all answered 200', async () => {
    const { ask, close } = await injectableApp(async () => ({}));
    try {
      const answers = await Promise.all(Array.from({ length: 400 }, () => ask()));
      expect(new Set(answers.map((a) => a.statusCode))).toEqual(new Set([200]));
    } finally {
      await close();
    }
  });
});

describe('new chains waiting to be verified, at most', () => {
  it('answers the rest 503 server_busy with Retry-After, and frees each place when its check ends, passed or refused', async () => {
    // No verification cache: every call verifies; one at a time, two waiting.
    const { ask, close } = await injectableApp(async () => ({
      verificationQueue: { concurrency: 1, maxQueued: 2, maxQueuedPerClient: 2, maxWaitMs: 5000 },
    }));
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => ask()));
      const outcomes = answers.map((a) =>
        a.statusCode === 200 ? '200' : `${a.statusCode} ${a.json().code} retry-after ${a.headers['retry-after']}`,
      );
      expect(new Set(outcomes)).toEqual(new Set(['200', '503 server_busy retry-after 2']));
      expect(outcomes.filter((o) => o === '200').length).toBeGreaterThanOrEqual(2);
      // One at a time, refused and passed alike, never busy: every place was given back.
      for (const leaf of [pki.leaves.stranger, pki.leaves.a, pki.leaves.stranger, pki.leaves.a]) {
        expect((await ask(leaf)).statusCode).toBe(leaf === pki.leaves.a ? 200 : 403);
      }
      expect((await Promise.all([ask(), ask()])).map((a) => a.statusCode)).toEqual([200, 200]);
    } finally {
      await close();
    }
  });
});
