import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../../fixtures/test-pki.ts';
import { parseRateLimit } from '../../../src/config/serve-options.ts';
import { RateLimiter } from '../../../src/http/rate-limiter.ts';
import { post, routerBody, startTestServer, type TestServer } from '../../helpers/server.ts';

describe('RateLimiter', () => {
  it('lets a burst through, then one call per refill, and names the wait', () => {
    const limiter = new RateLimiter({ perMinute: 6, burst: 3 });
    expect([0, 1, 2, 3].map(() => limiter.take('a', 0))).toEqual([0, 0, 0, 10]);
    expect(limiter.take('b', 0)).toBe(0); // another key is not affected
    expect(limiter.take('a', 9_000)).toBe(1);
    expect(limiter.take('a', 10_000)).toBe(0);
    expect(limiter.take('a', 10_000)).toBe(10);
    expect(limiter.take('a', 60_000_000)).toBe(0); // refills to the burst, no further
    expect([1, 2, 3].map(() => limiter.take('a', 60_000_000))).toEqual([0, 0, 10]);
  });

  it('forgets the least recently seen key first when full', () => {
    const limiter = new RateLimiter({ perMinute: 1, burst: 1 }, 2);
    limiter.take('a', 0);
    limiter.take('b', 0);
    expect(limiter.take('a', 0)).toBeGreaterThan(0);
    limiter.take('c', 0); // b goes, not a (seen more recently)
    expect(limiter.take('a', 0)).toBeGreaterThan(0);
    expect(limiter.take('b', 0)).toBe(0);
  });

  it.each([
    ['12:6', { perMinute: 12, burst: 6 }],
    ['10', { perMinute: 10, burst: 5 }],
    ['1', { perMinute: 1, burst: 1 }],
    ['0', null],
    ['off', null],
  ])('parses %s', (text, expected) => {
    expect(parseRateLimit(text, '--rate-limit-eui')).toEqual(expected);
  });

  it.each(['-1', '1.5', '12:0', 'fast', '12:'])('refuses %s with a message naming the flag', (text) => {
    expect(() => parseRateLimit(text, '--rate-limit-eui')).toThrow(/--rate-limit-eui must be PER_MINUTE\[:BURST\]/);
  });
});

describe('rate limits on /update-info', () => {
  let pki: TestPki;
  let server: TestServer;
  let untrustingServer: TestServer;
  const header = (pem: string) => ({ 'X-SSL-Client-Cert': encodeURIComponent(pem) });
  beforeAll(async () => {
    pki = await createTestPki();
    const behindProxy = { tlsCert: undefined, tlsKey: undefined, clientCertHeader: 'X-SSL-Client-Cert' };
    server = await startTestServer(pki, {
      ...behindProxy,
      rateLimitEui: { perMinute: 6, burst: 3 },
      rateLimitPeer: { perMinute: 60, burst: 8 },
    });
    untrustingServer = await startTestServer(pki, {
      ...behindProxy,
      trustProxy: ['10.0.0.0/8'],
      rateLimitEui: null,
      rateLimitPeer: { perMinute: 60, burst: 8 },
    });
  });
  afterAll(async () => {
    await server.server.close();
    await untrustingServer.server.close();
  });

  it('a gateway in a retry loop gets 429 with Retry-After; another gateway behind the same proxy is served', async () => {
    const call = (eui: string, pem: string) =>
      post(server.port, { headers: { ...header(pem), 'X-Forwarded-For': '198.51.100.1' }, body: routerBody(eui) });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(EUI.a, pki.leaves.a.pem)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await call(EUI.a, pki.leaves.a.pem);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('10');
    expect(limited.json()).toMatchObject({
      code: 'rate_limited',
      message: expect.stringContaining(`gateway ${EUI.a} called more than 6 times a minute`),
    });
    expect((await call(EUI.b, pki.leaves.bViaIntermediate.pem + pki.intB.pem)).status).toBe(200);
    const line = server.log().find((l) => l.reason === 'rate_limited');
    expect(line).toMatchObject({ eui: EUI.a, peer: '198.51.100.1' });
  });

  it('counts a client address as the trusted proxy forwards it, even for calls without a certificate', async () => {
    const from = (address: string) => post(server.port, { headers: { 'X-Forwarded-For': address }, body: routerBody(EUI.a) });
    const statuses = [];
    for (let i = 0; i < 9; i++) statuses.push((await from('192.0.2.7')).status);
    expect(statuses).toEqual([...Array(8).fill(401), 429]);
    expect((await from('192.0.2.8')).status).toBe(401);
  });

  it('an untrusted peer cannot choose the address it is counted as', async () => {
    const statuses = [];
    for (let i = 0; i < 9; i++)
      statuses.push(
        (await post(untrustingServer.port, { headers: { 'X-Forwarded-For': `192.0.2.${i}` }, body: routerBody(EUI.a) })).status,
      );
    expect(statuses).toEqual([...Array(8).fill(401), 429]);
  });

  it("another tenant's certificate cannot spend a gateway's calls: it is counted only once proven to speak for it", async () => {
    const fresh = await startTestServer(pki, {
      tlsCert: undefined,
      tlsKey: undefined,
      clientCertHeader: 'X-SSL-Client-Cert',
      rateLimitEui: { perMinute: 6, burst: 3 },
      rateLimitPeer: null,
    });
    try {
      const call = (pem: string, from: string) =>
        post(fresh.port, { headers: { ...header(pem), 'X-Forwarded-For': from }, body: routerBody(EUI.a) });
      // Tenant B's certificate naming A's gateway, from many addresses: refused, never counted against A.
      for (let i = 0; i < 10; i++) expect((await call(pki.leaves.bClaimsA.pem, `203.0.113.${i}`)).status).toBe(404);
      expect((await call(pki.leaves.a.pem, '203.0.113.200')).status).toBe(200);
    } finally {
      await fresh.server.close();
    }
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address, and one IPv6 /64 as one client', async () => {
    const from = (address: string) => post(server.port, { headers: { 'X-Forwarded-For': address }, body: routerBody(EUI.a) });
    const mapped = [];
    for (let i = 0; i < 9; i++) mapped.push((await from(i % 2 ? '192.0.2.50' : '::ffff:192.0.2.50')).status);
    expect(mapped).toEqual([...Array(8).fill(401), 429]);
    const prefix = [];
    for (let i = 0; i < 9; i++) prefix.push((await from(`2001:db8:0:7::${i + 1}`)).status);
    expect(prefix).toEqual([...Array(8).fill(401), 429]);
    expect((await from('2001:db8:0:8::1')).status).toBe(401);
  });
});
