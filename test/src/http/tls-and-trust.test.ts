import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConnectionOptions, connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../../fixtures/test-pki.ts';
import { sClientHandshake } from '../../helpers/openssl.ts';
import { post, routerBody, startTestServer, type TestServer } from '../../helpers/server.ts';
import { within } from '../../helpers/within.ts';

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
});

describe.each([
  ['native TLS', {}],
  ['native TLS with --tls-reject-unauthorized', { tlsRejectUnauthorized: true }],
  ['proxy header', { tlsCert: undefined, tlsKey: undefined, clientCertHeader: 'X-SSL-Client-Cert' }],
] as const)('trust store hot reload, without a restart: %s', (mode, serve) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(pki, serve);
  });
  afterAll(() => server.server.close());

  const asStranger = async () => {
    const cert = pki.leaves.stranger;
    const how =
      mode === 'proxy header'
        ? { headers: { 'X-SSL-Client-Cert': encodeURIComponent(cert.pem) } }
        : { tls: { ca: pki.serverCa.pem, cert: cert.pem, key: cert.keyPem } };
    // A handshake refused outright (--tls-reject-unauthorized) counts as a 403.
    return post(server.port, { ...how, body: routerBody(EUI.a) }).catch(() => ({
      status: 403,
      json: () => ({ code: 'handshake_refused', message: '' }),
    }));
  };

  it('adding a CA file to a tenant takes effect within 2 s, deleting it revokes within 2 s', async () => {
    expect((await asStranger()).status).toBe(403);
    const file = join(server.tenants, 'tenant-a', 'stranger.pem');
    writeFileSync(file, pki.stranger.pem);
    await within(2000, async () => (await asStranger()).status === 200);
    rmSync(file);
    await within(2000, async () => (await asStranger()).status === 403);
  });

  it('a broken file is skipped and everything else keeps serving', async () => {
    const file = join(server.tenants, 'tenant-a', 'broken.pem');
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n');
    mkdirSync(join(server.tenants, 'tenant-c'));
    writeFileSync(join(server.tenants, 'tenant-c', 'ca.pem'), pki.stranger.pem);
    await within(2000, async () => server.server.trust.current.problems.some((p) => p.file === file));
    expect(server.log()).toContainEqual(
      expect.objectContaining({ level: 50, file, msg: expect.stringMatching(/^trust store file skipped: /) }),
    );
    const asA =
      mode === 'proxy header'
        ? await post(server.port, { headers: { 'X-SSL-Client-Cert': encodeURIComponent(pki.leaves.a.pem) }, body: routerBody(EUI.a) })
        : await post(server.port, {
            tls: { ca: pki.serverCa.pem, cert: pki.leaves.a.pem, key: pki.leaves.a.keyPem },
            body: routerBody(EUI.a),
          });
    expect(asA.status).toBe(200);
    // The stranger's CA now belongs to tenant C only: tenant A's gateway is refused for its tenant.
    await within(2000, async () => (await asStranger()).json().code === 'gateway_not_found');
  });
});

describe('native TLS', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(pki);
  });
  afterAll(() => server.server.close());

  /** One raw request over a given TLS socket, to control sessions. */
  function requestOver(socket: TLSSocket): Promise<string> {
    return new Promise((resolve, reject) => {
      const body = routerBody(EUI.a);
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString('latin1')));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.write(
        `POST /update-info HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  }

  function open(options: ConnectionOptions): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: pki.serverCa.pem, ...options }, () =>
        resolve(socket),
      );
      socket.on('error', reject);
    });
  }

  it.each(['TLSv1.2', 'TLSv1.3'] as const)('speaks %s (real stations speak only TLS 1.2)', async (version) => {
    const socket = await open({ minVersion: version, maxVersion: version, cert: pki.leaves.a.pem, key: pki.leaves.a.keyPem });
    expect(socket.getProtocol()).toBe(version);
    expect(await requestOver(socket)).toMatch(/^HTTP\/1.1 200/);
  });

  it.each(['TLSv1.2', 'TLSv1.3'] as const)('a %s session resumed without a certificate is never authenticated', async (version) => {
    const first = await open({ minVersion: version, maxVersion: version });
    let session: Buffer | undefined;
    first.on('session', (s: Buffer) => (session = s));
    expect(await requestOver(first)).toMatch(/^HTTP\/1.1 401/);
    session ??= first.getSession();
    expect(session).toBeDefined();
    const resumed = await open({ minVersion: version, maxVersion: version, session: session! });
    // The server offers no tickets and keeps no session cache: every connection is a full handshake.
    expect(resumed.isSessionReused()).toBe(false);
    const answer = await requestOver(resumed);
    expect(answer).toMatch(/^HTTP\/1.1 401/);
    expect(answer).toContain('no_client_certificate');
  });

  it('with --tls-reject-unauthorized a missing or unknown certificate gets no answer, and the log says why', async () => {
    const strict = await startTestServer(pki, { tlsRejectUnauthorized: true });
    try {
      const attempt = (cert?: { pem: string; keyPem: string }) =>
        post(strict.port, {
          tls: { ca: pki.serverCa.pem, ...(cert ? { cert: cert.pem, key: cert.keyPem } : {}) },
          body: routerBody(EUI.a),
        });
      await expect(attempt()).rejects.toThrow();
      await expect(attempt(pki.leaves.stranger)).rejects.toThrow();
      expect((await attempt(pki.leaves.a)).status).toBe(200);
      const closed = strict.log().filter((line) => String(line.msg).startsWith('connection closed: '));
      expect(closed.map((line) => line.reason)).toEqual(['no_client_certificate', 'certificate_untrusted']);
      expect(closed[0]).toMatchObject({ level: 40, peer: '127.0.0.1' });
    } finally {
      await strict.server.close();
    }
  });

  it('names no CA in its certificate request: the tenants stay private (openssl s_client)', async () => {
    const output = await sClientHandshake(server.port);
    expect(output).toContain('No client certificate CA names sent');
    expect(output).not.toContain('Tenant A root');
  });

  it('logs a refused handshake with the peer and the reason', async () => {
    await expect(open({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' })).rejects.toThrow();
    await within(2000, async () =>
      server.log().some((line) => line.msg?.toString().startsWith('TLS handshake refused: ') && line.peer === '127.0.0.1'),
    );
  });
});

describe('proxy header mode', () => {
  const header = (pem: string) => ({ 'X-SSL-Client-Cert': encodeURIComponent(pem) });

  it('ignores the header from a peer outside --trust-proxy and logs it', async () => {
    const server = await startTestServer(pki, {
      tlsCert: undefined,
      tlsKey: undefined,
      clientCertHeader: 'X-SSL-Client-Cert',
      trustProxy: ['10.0.0.0/8'],
    });
    try {
      const answer = await post(server.port, { headers: header(pki.leaves.a.pem), body: routerBody(EUI.a) });
      expect([answer.status, answer.json().code]).toEqual([401, 'no_client_certificate']);
      expect(server.log()).toContainEqual(
        expect.objectContaining({
          level: 40,
          peer: '127.0.0.1',
          header: 'X-SSL-Client-Cert',
          msg: expect.stringContaining('not a trusted proxy'),
        }),
      );
    } finally {
      await server.server.close();
    }
  });

  it('never reads headers of other names, refuses two copies, and refuses garbage', async () => {
    const server = await startTestServer(pki, { tlsCert: undefined, tlsKey: undefined, clientCertHeader: 'X-SSL-Client-Cert' });
    try {
      const other = await post(server.port, {
        headers: { 'X-Client-Cert': encodeURIComponent(pki.leaves.a.pem) },
        body: routerBody(EUI.a),
      });
      expect(other.json().code).toBe('no_client_certificate');
      const twice = await post(server.port, {
        headers: { 'X-SSL-Client-Cert': [encodeURIComponent(pki.leaves.a.pem), encodeURIComponent(pki.leaves.b.pem)] },
        body: routerBody(EUI.a),
      });
      expect([twice.status, twice.json().code]).toEqual([400, 'client_certificate_ambiguous']);
      const garbage = await post(server.port, { headers: { 'X-SSL-Client-Cert': 'bm90IGEgY2VydA==' }, body: routerBody(EUI.a) });
      expect([garbage.status, garbage.json().code]).toEqual([400, 'client_certificate_malformed']);
      const placeholder = await post(server.port, {
        headers: { 'X-SSL-Client-Cert': '{http.request.tls.client.certificate_der_base64}' },
        body: routerBody(EUI.a),
      });
      expect(placeholder.json().code).toBe('no_client_certificate');
    } finally {
      await server.server.close();
    }
  });
});
