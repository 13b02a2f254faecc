import { createPublicKey } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../../fixtures/test-pki.ts';
import { certificateDer, credentialsCrc, splitCredentials } from '../../../protocol/index.ts';
import { AuditTrail } from '../../../src/audit/audit-trail.ts';
import { issuerOf, readIssuingCa } from '../../../src/pki/ca-folder.ts';
import { createCertificate, type IssuedCertificate, OID } from '../../../src/pki/create-certificate.ts';
import { openRegistry, openStore } from '../../../src/registry/open-registry.ts';
import { issuerKeyOwner } from '../../../src/registry/sealed-registry.ts';
import { TenantIssuers } from '../../../src/renewal/tenant-issuers.ts';
import { loadKeyring } from '../../../src/secrets/load-keyring.ts';
import { parseCertificate } from '../../../src/trust/certificate-facts.ts';
import { runCliInProcess } from '../../helpers/run-cli.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { freePort } from '../../helpers/spawn-server.ts';
import { stationHome as stationHomeFor, stationVerdict } from '../../helpers/station-home.ts';
import { within } from '../../helpers/within.ts';

const EUI = '0016C001FF00AA01';
const DAY = 86_400_000;
let pki: TestPki;
let server: TestServer;
let adminPort: number;
let caDir: string;
let old: IssuedCertificate;
/** `cups tenant set-issuer` for tenant-r with the renewal CA and the server's CA as CUPS trust, and these flags. */
const setIssuer = (...flags: string[]) =>
  cli('tenant', 'set-issuer', '--tenant', 'tenant-r', '--ca', caDir, '--cups-trust', join(server.dir, 'server-ca.pem'), ...flags);
const cli = (...args: string[]) => runCliInProcess([...args, '--db', server.db, '--secret-key-file', server.secretKeyFile]);

const stationHome = (leaf: IssuedCertificate) => stationHomeFor(server.port, pki.serverCa.pem, leaf);
const station = (home: string) => runCliInProcess(['update-info', '--home', home]);

/** Waits for the audit trail to hold these actions for the gateway: answers' events are written a second behind them. */
async function auditHolds(eui: string, actions: string[]): Promise<void> {
  const store = openStore(server.db);
  try {
    await within(3000, async () => {
      const recorded = (await new AuditTrail(store.directSql).list({ eui, limit: 1000 })).map((e) => e.action);
      return actions.every((action) => recorded.includes(action));
    });
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  pki = await createTestPki();
  adminPort = await freePort();
  server = await startTestServer(pki, { adminPort, adminHost: '127.0.0.1' });
  caDir = join(server.dir, 'renewal-ca');
  expect((await runCliInProcess(['pki', 'init-ca', '--out', caDir, '--cn', 'Renewal CA', '--intermediate'])).status).toBe(0);
  // Through the CLI with the server's registry: the folder change is in its audit trail.
  expect((await cli('ca', 'add', '--tenant', 'tenant-r', '--tenants', server.tenants, caDir)).status).toBe(0);
  expect(
    (await cli('gateway', 'add', '--tenant', 'tenant-r', '--eui', EUI, '--lns-uri', 'ws://lns-r:1', '--tenants', server.tenants)).status,
  ).toBe(0);
  // The gateway's certificate as the factory issued it, from the same CA: ten days left.
  const issuer = await issuerOf(readIssuingCa(caDir));
  old = await createCertificate({ subject: EUI, issuer, extKeyUsage: [OID.clientAuth], days: 10 });
  writeFileSync(join(server.dir, 'server-ca.pem'), pki.serverCa.pem);
  await within(2000, async () => server.server.trust.current.certificates.some((c) => c.tenants.has('tenant-r')));
}, 60_000);
afterAll(() => server?.server.close());

describe('renewal over CUPS, with the station emulator', () => {
  it('the CA trusted through the CLI is in the audit trail, as made by the CLI', async () => {
    const store = openStore(server.db);
    try {
      const events = await new AuditTrail(store.directSql).list({ tenant: 'tenant-r', limit: 50 });
      expect(events).toContainEqual(
        expect.objectContaining({ actor: 'cli', action: 'ca.add', detail: expect.objectContaining({ folder: true }) }),
      );
    } finally {
      await store.close();
    }
  });

  it('refuses an issuer the tenant does not trust, and says what to do', async () => {
    const stranger = join(server.dir, 'stranger-ca');
    await runCliInProcess(['pki', 'init-ca', '--out', stranger, '--cn', 'Stranger CA']);
    const refused = await cli(
      'tenant',
      'set-issuer',
      '--tenant',
      'tenant-r',
      '--ca',
      stranger,
      '--cups-trust',
      join(server.dir, 'server-ca.pem'),
      '--tenants',
      server.tenants,
    );
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/ca_refused.*does not trust CN=Stranger CA.*npx cups ca add --tenant tenant-r/);
  });

  it('hands a certificate near its end a new one in cupsCred, the same again until it is used, then completes and refuses the old one after the grace', async () => {
    const set = await setIssuer('--renew-before', '30d', '--revoke-old-after', '2s', '--tenants', server.tenants);
    expect(set.status, set.stderr).toBe(0);
    const home = stationHome(old);
    const untouched = stationHome(old);
    const first = await station(home);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('wrote cups.crt');
    expect(first.stdout).toContain('LNS: ws://lns-r:1');
    // The new certificate: for this EUI, clientAuth, from the tenant's issuing CA, an EC key as the old one had.
    const renewed = parseCertificate(readFileSync(join(home, 'cups.crt')));
    const issuingCa = parseCertificate(certificateDer(readIssuingCa(caDir).certPem));
    expect(renewed.commonNames).toEqual([EUI]);
    expect(renewed.extKeyUsage).toEqual([OID.clientAuth]);
    expect(renewed.isIssuedBy(issuingCa)).toBe(true);
    expect(renewed.fingerprint).not.toBe(parseCertificate(old.der).fingerprint);
    expect(readFileSync(join(home, 'cups.trust'))).toEqual(parseCertificate(pki.serverCa.der).der);

    // Asked again with the old certificate (the station did not switch): the same credentials, the same CRC, no new key.
    const again = await station(untouched);
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(join(untouched, 'cups.crt'))).toEqual(readFileSync(join(home, 'cups.crt')));
    expect(readFileSync(join(untouched, 'cups.key'))).toEqual(readFileSync(join(home, 'cups.key')));
    const pending = JSON.parse((await cli('gateway', 'show', '--eui', EUI)).stdout);
    expect(pending.renewal).toMatchObject({ sha256: renewed.fingerprint, replaces: parseCertificate(old.der).fingerprint });
    const blob = Buffer.concat([
      readFileSync(join(home, 'cups.trust')),
      readFileSync(join(home, 'cups.crt')),
      readFileSync(join(home, 'cups.key')),
    ]);
    expect(pending.renewalCredentials).toMatchObject({ mode: 'certificate', crc32: credentialsCrc(blob) });
    expect(JSON.stringify(pending)).not.toContain(readFileSync(join(home, 'cups.key')).toString('base64').slice(0, 40));

    // The station uses its new certificate: 14 bytes, and the renewal is complete.
    const switched = await station(home);
    expect(switched.status, switched.stderr).toBe(0);
    expect(switched.stdout).toMatch(/200, 14 bytes\nnothing to change\n$/);
    const done = JSON.parse((await cli('gateway', 'show', '--eui', EUI)).stdout);
    expect(done.renewal).toBeNull();
    expect(done.cupsCredentials.crc32).toBe(credentialsCrc(blob));
    expect(splitCredentials(blob).cert).toEqual(renewed.der);
    // The old one works until the grace ends, then it is refused.
    expect((await station(stationHome(old))).status).toBe(0);
    await within(4000, async () => (await station(stationHome(old))).stderr.includes('certificate_revoked'));
    expect((await station(home)).stdout).toContain('nothing to change');

    await auditHolds(EUI, ['renewal.issue', 'renewal.complete']);
    const metrics = await new Promise<string>((resolve) =>
      get({ host: '127.0.0.1', port: adminPort, path: '/metrics' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve(text));
      }),
    );
    expect(metrics).toMatch(/^cups_renewals_total\{kind="renewal",stage="issued"\} 1$/m);
    expect(metrics).toMatch(/^cups_renewals_total\{kind="renewal",stage="resent"\} 1$/m);
    expect(metrics).toMatch(/^cups_renewals_total\{kind="renewal",stage="completed"\} 1$/m);
    expect(metrics).toMatch(/^cups_renewals_pending 0$/m);
    // The old certificate, refused after its grace, is one gateway revocation.
    expect(metrics).toMatch(/^cups_gateway_revoked_certificates 1$/m);
  });

  it('a bootstrap certificate gets an operational one and nothing else; the operational one then gets its LNS credentials', async () => {
    const factoryDir = join(server.dir, 'factory-ca');
    expect((await runCliInProcess(['pki', 'init-ca', '--out', factoryDir, '--cn', 'Factory CA'])).status).toBe(0);
    const trusted = await runCliInProcess(['ca', 'add', '--tenant', 'tenant-r', '--bootstrap', '--tenants', server.tenants, factoryDir]);
    expect(trusted.stdout, trusted.stderr).toContain('/tenant-r/bootstrap/');
    const enrolled = '0016C001FF00AA02';
    // The server keeps its registry reads, and sees a change the CLI makes within its next check.
    // It is asked about the gateway before it exists, and keeps that it does not; once it answers
    // for it, it has read past the issuer's change too, made before the registration.
    const probe = await createCertificate({
      subject: enrolled,
      issuer: await issuerOf(readIssuingCa(caDir)),
      extKeyUsage: [OID.clientAuth],
      days: 3650,
    });
    expect(await stationVerdict(server.port, pki.serverCa.pem, probe)).toBe('gateway_not_found');
    // New keys of a type the tenant sets, whatever the factory key was.
    const keyed = await setIssuer('--key', 'rsa2048', '--tenants', server.tenants);
    expect(keyed.status, keyed.stderr).toBe(0);
    const registered = await cli(
      'gateway',
      'add',
      '--tenant',
      'tenant-r',
      '--eui',
      enrolled,
      '--tenants',
      server.tenants,
      '--lns-uri',
      'wss://lns-r:8887',
      '--lns-trust',
      join(server.dir, 'server-ca.pem'),
      '--lns-token',
      'Bearer NNSXS.ENROLLED',
    );
    expect(registered.status, registered.stderr).toBe(0);
    await within(2000, async () => server.server.trust.current.certificates.some((c) => c.bootstrapFor.has('tenant-r')));
    // A certificate far from its end changes nothing: the probe only shows the registration is seen.
    await within(3000, async () => (await stationVerdict(server.port, pki.serverCa.pem, probe)) === 'ok');
    const factory = await createCertificate({
      subject: enrolled,
      issuer: await issuerOf(readIssuingCa(factoryDir)),
      extKeyUsage: [OID.clientAuth],
      days: 3650,
    });
    const home = stationHome(factory);
    const first = await station(home);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('wrote cups.crt');
    expect(first.stdout).not.toContain('LNS:');
    expect(first.stdout).not.toContain('tc.');
    const operational = parseCertificate(readFileSync(join(home, 'cups.crt')));
    expect(operational.commonNames).toEqual([enrolled]);
    expect(operational.issuerText).toContain('Renewal CA');
    expect(createPublicKey(operational.pem).asymmetricKeyType).toBe('rsa');
    const second = await station(home);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('LNS: wss://lns-r:8887');
    expect(second.stdout).toContain('wrote tc.key');
    // The factory certificate still only enrols: it is handed the same operational certificate, no LNS.
    const factoryAgain = stationHome(factory);
    const again = await station(factoryAgain);
    expect(again.stdout).not.toContain('LNS:');
    expect(readFileSync(join(factoryAgain, 'cups.crt'))).toEqual(readFileSync(join(home, 'cups.crt')));
    await auditHolds(enrolled, ['enrolment.issue', 'enrolment.complete']);
  });

  it('leaves a certificate far from its end alone', async () => {
    const other = '0016C001FF00AA03';
    expect(
      (await cli('gateway', 'add', '--tenant', 'tenant-r', '--eui', other, '--lns-uri', 'ws://lns-r:1', '--tenants', server.tenants))
        .status,
    ).toBe(0);
    const issuer = await issuerOf(readIssuingCa(caDir));
    const fresh = await createCertificate({ subject: other, issuer, extKeyUsage: [OID.clientAuth], days: 200 });
    const home = stationHome(fresh);
    cpSync(join(home, 'cups.crt'), join(home, 'before.crt'));
    const answer = await station(home);
    expect(answer.stdout).not.toContain('wrote cups.crt');
    expect(readFileSync(join(home, 'cups.crt'))).toEqual(readFileSync(join(home, 'before.crt')));
    expect(Date.now() + 30 * DAY).toBeLessThan(parseCertificate(fresh.der).notAfter.getTime());
  });

  it('cups secrets rotate re-seals the issuing CA keys too: the new key alone opens them', async () => {
    const oldKey = readFileSync(server.secretKeyFile, 'utf8').trim();
    const newKey = Buffer.alloc(32, 3).toString('base64');
    const both = join(server.dir, 'both.key');
    writeFileSync(both, `${newKey}\n${oldKey}\n`);
    const rotated = await runCliInProcess(['secrets', 'rotate', '--db', server.db, '--secret-key-file', both]);
    expect(rotated.status, rotated.stderr).toBe(0);
    const onlyNew = join(server.dir, 'new.key');
    writeFileSync(onlyNew, `${newKey}\n`);
    const registry = openRegistry(server.db, loadKeyring({ file: onlyNew, createIfMissing: false }).keyring);
    try {
      const [policy] = await new TenantIssuers(registry.store.directSql).all();
      expect(registry.openSecret(policy!.caKeySealed, issuerKeyOwner(policy!.tenant)).toString()).toContain('-----BEGIN PRIVATE KEY-----');
    } finally {
      await registry.close();
    }
  });
});
