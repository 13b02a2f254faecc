import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../../fixtures/test-pki.ts';
import { createCertificate, type IssuedCertificate, OID } from '../../../src/pki/create-certificate.ts';
import { createCrl } from '../../../src/pki/create-crl.ts';
import { parseCertificate } from '../../../src/trust/certificate-facts.ts';
import { CrlFacts } from '../../../src/trust/crl-facts.ts';
import { runCliInProcess } from '../../helpers/run-cli.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { stationVerdict } from '../../helpers/station-home.ts';
import { within } from '../../helpers/within.ts';

let pki: TestPki;
const servers: TestServer[] = [];
beforeAll(async () => {
  pki = await createTestPki();
}, 60_000);
afterAll(async () => {
  for (const server of servers) await server.server.close();
});

const serialOf = (cert: IssuedCertificate) => parseCertificate(cert.der).serialNumber;
const DAY = 86_400_000;

describe('CRLs as parsed', () => {
  it('reads the serials and dates OpenSSL reads, and knows which CA signed it', async () => {
    const crl = await createCrl({ issuer: pki.intA, revoked: [serialOf(pki.leaves.a), '0A'], number: 7 });
    const file = join(mkdtempSync(join(tmpdir(), 'crl-')), 'a.crl');
    writeFileSync(file, crl.der);
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
    const facts = new CrlFacts(crl.der);
    const opensslSerials = [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]!);
    expect([...facts.revoked].sort()).toEqual(opensslSerials.sort());
    expect(facts.crlNumber).toBe(7n);
    const nextUpdate = /Next Update: (.+)/.exec(text)![1]!;
    expect(facts.nextUpdate!.getTime()).toBe(new Date(nextUpdate).getTime());
    expect(facts.signedBy(parseCertificate(pki.intA.der))).toBe(true);
    expect(facts.signedBy(parseCertificate(pki.rootA.der))).toBe(false);
    expect(facts.signedBy(parseCertificate(pki.rootB.der))).toBe(false);
  });

  it('refuses what is not a CRL, and a CRL with bytes after it', async () => {
    const crl = await createCrl({ issuer: pki.intA, revoked: [] });
    expect(() => new CrlFacts(pki.intA.der)).toThrow(/not a certificate revocation list/);
    expect(() => new CrlFacts(Buffer.concat([crl.der, Buffer.from([0])]))).toThrow(/bytes follow/);
  });
});

/** What the station emulator gets from `server`: 200, or the refusal's code. */
const station = (server: TestServer, leaf: IssuedCertificate) => stationVerdict(server.port, pki.serverCa.pem, leaf);

async function server(options: Parameters<typeof startTestServer>[1] = {}): Promise<TestServer> {
  const started = await startTestServer(pki, options);
  servers.push(started);
  return started;
}

describe('CRLs in the tenants folder, with the station emulator', () => {
  it("a CRL of the intermediate revokes that leaf within 2 s; the gateway's other certificates still work", async () => {
    const running = await server();
    expect(await station(running, pki.leaves.a)).toBe('ok');
    const crl = await createCrl({ issuer: pki.intA, revoked: [serialOf(pki.leaves.a)] });
    writeFileSync(join(running.tenants, 'tenant-a', 'intermediate.crl'), crl.pem);
    await within(2000, async () => (await station(running, pki.leaves.a)) === 'certificate_revoked');
    expect(await station(running, pki.leaves.aLowercase)).toBe('ok');
    expect(await station(running, pki.leaves.aDirectNoEku)).toBe('ok');
  });

  it('a CRL of the root revoking the intermediate refuses every leaf under it, and none the root signed directly', async () => {
    const running = await server();
    const crl = await createCrl({ issuer: pki.rootA, revoked: [serialOf(pki.intA)] });
    writeFileSync(join(running.tenants, 'tenant-a', 'root.crl'), crl.der);
    await within(2000, async () => (await station(running, pki.leaves.a)) === 'certificate_revoked');
    expect(await station(running, pki.leaves.aLowercase)).toBe('certificate_revoked');
    expect(await station(running, pki.leaves.aDirectNoEku)).toBe('ok');
  });

  it("an expired CRL refuses its issuer's certificates, as OpenSSL and nginx do, unless --crl-grace covers it", async () => {
    const lapsed = await createCrl({
      issuer: pki.intA,
      revoked: [],
      thisUpdate: new Date(Date.now() - 10 * DAY),
      nextUpdate: new Date(Date.now() - DAY),
    });
    const strict = await server();
    writeFileSync(join(strict.tenants, 'tenant-a', 'intermediate.crl'), lapsed.pem);
    await within(2000, async () => (await station(strict, pki.leaves.a)) === 'crl_expired');
    expect(await station(strict, pki.leaves.aDirectNoEku)).toBe('ok');
    expect(strict.log().some((line) => String(line.msg).includes('past its nextUpdate'))).toBe(true);
    const lenient = await server({ crlGraceMs: 2 * DAY });
    writeFileSync(join(lenient.tenants, 'tenant-a', 'intermediate.crl'), lapsed.pem);
    await within(2000, async () => lenient.server.trust.current.crls.length === 1);
    expect(await station(lenient, pki.leaves.a)).toBe('ok');
  });

  it('a CRL no CA of the tenant signed revokes nothing, and the log says so', async () => {
    const running = await server();
    const stranger = await createCrl({ issuer: pki.stranger, revoked: [serialOf(pki.leaves.a)] });
    writeFileSync(join(running.tenants, 'tenant-a', 'stranger.crl'), stranger.pem);
    // B's root signed it, but B's root is not tenant A's: its CRL in A's folder counts for nothing.
    const otherTenant = await createCrl({ issuer: pki.rootB, revoked: [serialOf(pki.leaves.b)] });
    writeFileSync(join(running.tenants, 'tenant-a', 'other-tenant.crl'), otherTenant.pem);
    await within(2000, async () => running.server.trust.current.crlProblems.length === 2);
    expect(await station(running, pki.leaves.a)).toBe('ok');
    expect(await station(running, pki.leaves.b)).toBe('ok');
    expect(running.log().filter((line) => String(line.msg).includes('no CA trusted for tenant-a signed this CRL'))).toHaveLength(2);
  });
});

describe('one certificate of one gateway, revoked by its operator', () => {
  it('cups gateway revoke-cert is refused on a second instance within 1 s; the same gateway with another certificate still works', async () => {
    const one = await server();
    const two = await server({ db: one.db, secretKeyFile: one.secretKeyFile, registerGateways: false });
    const cli = (...args: string[]) => runCliInProcess([...args, '--db', one.db, '--secret-key-file', one.secretKeyFile]);
    expect(await station(two, pki.leaves.a)).toBe('ok');
    const certFile = join(one.dir, 'lost.pem');
    writeFileSync(certFile, pki.leaves.a.pem);
    const revoked = await cli('gateway', 'revoke-cert', '--eui', EUI.a, '--cert', certFile);
    expect(revoked.stdout).toMatch(/^revoked sha256:[0-9a-f]{64} for B827EBFFFE123456/);
    await within(1000, async () => (await station(two, pki.leaves.a)) === 'certificate_revoked');
    expect(await station(one, pki.leaves.a)).toBe('certificate_revoked');
    expect(await station(two, pki.leaves.aLowercase)).toBe('ok');
    // By serial: any certificate of that serial the gateway presents.
    await cli('gateway', 'revoke-cert', '--eui', EUI.a, '--serial', serialOf(pki.leaves.aLowercase));
    await within(1000, async () => (await station(two, pki.leaves.aLowercase)) === 'certificate_revoked');
    expect((await cli('gateway', 'revoke-cert', '--eui', EUI.a, '--serial', 'zz')).stderr).toContain('invalid_gateway');
    expect((await cli('gateway', 'revoke-cert', '--eui', EUI.a)).stderr).toContain('give exactly one of --cert, --serial, --sha256');
  });
});

describe('expiry you can see', () => {
  it('the last contact records the certificate, and gateway list --expiring lists it, soonest first', async () => {
    const running = await server();
    const soon = await createCertificate({ subject: EUI.a, issuer: pki.intA, extKeyUsage: [OID.clientAuth], days: 5 });
    const later = await createCertificate({ subject: EUI.b, issuer: pki.rootB, extKeyUsage: [OID.clientAuth], days: 20 });
    expect(await station(running, soon)).toBe('ok');
    expect(await station(running, later)).toBe('ok');
    const cli = (...args: string[]) => runCliInProcess([...args, '--db', running.db, '--secret-key-file', running.secretKeyFile]);
    await within(3000, async () => (await cli('gateway', 'list', '--expiring', '30d')).stdout.split('\n').length >= 4);
    const listed = (await cli('gateway', 'list', '--expiring', '30d')).stdout.trim().split('\n');
    expect(listed[0]).toMatch(/^EUI\s+TENANT\s+CERTIFICATE EXPIRES\s+SERIAL/);
    expect(listed.slice(1).map((line) => line.split(/\s+/)[0])).toEqual([EUI.a, EUI.b]);
    expect(listed[1]).toContain(serialOf(soon));
    expect(
      (await cli('gateway', 'list', '--expiring', '10d')).stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual([EUI.a]);
    expect((await cli('gateway', 'list', '--expiring', 'soon')).stderr).toContain('--expiring must be a whole number with a unit');
  });
});

describe('a tenant folder holding a CRL file that is not one', () => {
  it('is reported and skipped; the rest of the store loads', async () => {
    const running = await server();
    mkdirSync(join(running.tenants, 'tenant-a'), { recursive: true });
    writeFileSync(join(running.tenants, 'tenant-a', 'broken.crl'), 'not a CRL');
    await within(2000, async () => running.server.trust.current.problems.some((p) => p.file.endsWith('broken.crl')));
    expect(await station(running, pki.leaves.a)).toBe('ok');
  });
});
