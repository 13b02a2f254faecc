import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../../fixtures/test-pki.ts';
import { certificateFromTls } from '../../../src/client-cert/from-tls.ts';

let pki: TestPki;
let server: Server;
let port: number;
const seen: { authorized: boolean; hasCertificate: boolean; reused: boolean }[] = [];

// A plain Node TLS server with session tickets on: the setting in which nodejs/node#35317 bites.
beforeAll(async () => {
  pki = await createTestPki();
  server = createServer(
    { key: pki.server.keyPem, cert: pki.server.pem, ca: [pki.rootA.pem, pki.intA.pem], requestCert: true, rejectUnauthorized: false },
    (socket: TLSSocket) => {
      seen.push({
        authorized: socket.authorized,
        hasCertificate: certificateFromTls(socket) !== undefined,
        reused: socket.isSessionReused(),
      });
      // Let the TLS 1.3 session ticket reach the client before closing.
      socket.write('bye');
      setTimeout(() => socket.end(), 30);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function handshake(options: Record<string, unknown>): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    let session: Buffer | undefined;
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: pki.serverCa.pem,
      maxVersion: 'TLSv1.3',
      minVersion: 'TLSv1.3',
      ...options,
    });
    socket.on('session', (s: Buffer) => (session = s));
    socket.on('data', () => {});
    socket.on('end', () => resolve(session));
    socket.on('error', reject);
  });
}

describe('certificateFromTls', () => {
  it('returns the leaf and the presented chain, walking past the self-referencing root', async () => {
    seen.length = 0;
    await handshake({ cert: pki.leaves.a.pem + pki.intA.pem, key: pki.leaves.a.keyPem });
    expect(seen[0]).toMatchObject({ authorized: true, hasCertificate: true });
  });

  it('a TLS 1.3 session resumed after a handshake without a certificate has none, although Node says authorized', async () => {
    seen.length = 0;
    const session = await handshake({});
    await handshake({ session });
    expect(seen[0]).toMatchObject({ hasCertificate: false, reused: false });
    expect(seen[1]).toEqual({ reused: true, authorized: true, hasCertificate: false });
  });
});
