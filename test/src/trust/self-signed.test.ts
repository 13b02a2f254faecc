import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../../fixtures/test-pki.ts';
import { createCertificate, type IssuedCertificate, KEY_USAGE, OID } from '../../../src/pki/create-certificate.ts';
import { runCliInProcess } from '../../helpers/run-cli.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { stationVerdict } from '../../helpers/station-home.ts';
import { within } from '../../helpers/within.ts';

const EUI = '0016C001FF00BB01';
let pki: TestPki;
let server: TestServer;
const cli = (...args: string[]) => runCliInProcess([...args, '--db', server.db, '--secret-key-file', server.secretKeyFile]);

/** A self-signed gateway certificate, as a gateway that made its own would present it. */
const selfSigned = (extra: Partial<Parameters<typeof createCertificate>[0]> = {}) =>
  createCertificate({ subject: EUI, extKeyUsage: [OID.clientAuth], keyUsage: KEY_USAGE.digitalSignature, ...extra });

function file(cert: IssuedCertificate, name: string): string {
  const path = join(server.dir, name);
  writeFileSync(path, cert.pem);
  return path;
}

const station = (leaf: IssuedCertificate) => stationVerdict(server.port, pki.serverCa.pem, leaf);

beforeAll(async () => {
  pki = await createTestPki();
  server = await startTestServer(pki);
  expect((await cli('tenant', 'add', '--tenant', 'tenant-s')).status).toBe(0);
}, 60_000);
afterAll(() => server?.server.close());

describe('self-signed gateway certificates, pinned', () => {
  it('registers one only where the tenant allows it, and only a self-signed end-entity certificate for the EUI', async () => {
    const own = await selfSigned();
    const add = (cert: string) =>
      cli('gateway', 'add', '--tenant', 'tenant-s', '--eui', EUI, '--lns-uri', 'ws://lns-s:1', '--self-signed-cert', cert);
    expect((await add(file(own, 'own.pem'))).stderr).toContain('tenant tenant-s does not allow self-signed gateway certificates');
    expect((await cli('tenant', 'update', '--tenant', 'tenant-s', '--allow-self-signed')).status).toBe(0);
    expect((await add(file(await selfSigned({ ca: true }), 'ca.pem'))).stderr).toContain('is a CA certificate');
    expect((await add(file(pki.leaves.a, 'issued.pem'))).stderr).toContain('not self-signed: trust its CA instead');
    expect((await add(file(await selfSigned({ subject: '0016C001FF00BB02' }), 'other.pem'))).stderr).toContain('not for gateway');
    const added = await add(file(own, 'own.pem'));
    expect(added.status, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      selfSignedCertificate: expect.stringMatching(/^[0-9a-f]{64}$/),
      pinnedCertificates: [expect.any(String)],
    });
  });

  it('serves the gateway with exactly that certificate, and refuses any other self-signed one for its EUI', async () => {
    const own = await selfSigned();
    await cli('gateway', 'remove', '--eui', EUI);
    expect(
      (
        await cli(
          'gateway',
          'add',
          '--tenant',
          'tenant-s',
          '--eui',
          EUI,
          '--lns-uri',
          'ws://lns-s:1',
          '--self-signed-cert',
          file(own, 'own.pem'),
        )
      ).status,
    ).toBe(0);
    // The server sees another process's write within its change check (200 ms with SQLite).
    await within(2000, async () => (await station(own)) === 'ok');
    expect(await station(await selfSigned())).toBe('certificate_untrusted');
    // The tenant stops allowing them: refused as any certificate no CA issued.
    expect((await cli('tenant', 'update', '--tenant', 'tenant-s', '--no-allow-self-signed')).status).toBe(0);
    expect(await station(own)).toBe('certificate_untrusted');
    expect((await cli('tenant', 'update', '--tenant', 'tenant-s', '--allow-self-signed')).status).toBe(0);
    expect(await station(own)).toBe('ok');
  });
});
