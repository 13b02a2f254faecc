import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificate, createServerCertificate, OID } from '../../src/pki/create-certificate.ts';
import { PROXIES, type ShippedDeployment, startBehindShippedProxy } from '../helpers/proxy.ts';
import { runCli } from '../helpers/run-cli.ts';
import { freePort } from '../helpers/spawn-server.ts';
import { within } from '../helpers/within.ts';

const EUI = 'B827EBFFFE400001';
const dir = mkdtempSync(join(tmpdir(), 'cups-vendor-'));
const at = (...parts: string[]) => join(dir, ...parts);
const registry = ['--db', `sqlite:${at('cups.db')}`, '--secret-key-file', at('secret.key')];
const tenants = ['--tenants', at('tenants')];

describe('cups ca add and remove', () => {
  beforeAll(async () => {
    expect((await runCli(['pki', 'init-ca', '--out', at('checks-ca'), '--cn', 'Checks CA', '--intermediate'])).status).toBe(0);
  });

  it('refuses a gateway certificate, and an intermediate whose root is nowhere, writing nothing', async () => {
    const root = await createCertificate({ subject: 'Loose root', ca: true });
    const intermediate = await createCertificate({ subject: 'Loose intermediate', issuer: root, ca: true });
    const leaf = await createCertificate({ subject: EUI, issuer: intermediate, extKeyUsage: [OID.clientAuth] });
    writeFileSync(at('leaf.pem'), leaf.pem);
    writeFileSync(at('intermediate.pem'), intermediate.pem);
    const asLeaf = await runCli(['ca', 'add', '--tenant', 'loose', ...tenants, at('leaf.pem')]);
    expect([asLeaf.status, asLeaf.stderr]).toEqual([
      1,
      expect.stringMatching(/^error \[ca_refused\]: .*is not a CA certificate.*nothing was added/),
    ]);
    const orphan = await runCli(['ca', 'add', '--tenant', 'loose', ...tenants, at('intermediate.pem')]);
    expect(orphan.stderr).toMatch(
      /the issuer of CN=Loose intermediate \(CN=Loose root\) is neither among the certificates given nor trusted for the tenant: add it too; nothing was added/,
    );
    const capitals = await runCli(['ca', 'add', '--tenant', 'Loose', ...tenants, at('intermediate.pem')]);
    expect(capitals.stderr).toMatch(/invalid_tenant/);
    expect(existsSync(at('tenants', 'loose'))).toBe(false);
  });

  it('takes a pki init-ca folder whole (root and intermediate, keys passed over), once', async () => {
    const first = await runCli(['ca', 'add', '--tenant', 'checks', ...tenants, at('checks-ca')]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout.match(/^added: /gm)).toHaveLength(2);
    expect(readdirSync(at('tenants', 'checks'))).toHaveLength(2);
    const again = await runCli(['ca', 'add', '--tenant', 'checks', ...tenants, at('checks-ca', 'root.pem')]);
    expect(again.stdout).toMatch(/^already trusted: CN=Checks CA/);
    const listed = await runCli(['ca', 'list', ...tenants]);
    expect(listed.stdout).toMatch(/checks\s+CN=Checks CA\s+root/);
  });
});

describe('a fleet made with --intermediate, trusted with cups ca add, behind the shipped nginx (which forwards only the leaf)', () => {
  let deployment: ShippedDeployment;
  let port: number;

  beforeAll(async () => {
    const serverCa = await createCertificate({ subject: 'Vendor test server CA', ca: true });
    const server = await createServerCertificate(serverCa, ['localhost']);
    writeFileSync(at('server-ca.pem'), serverCa.pem);
    writeFileSync(at('server.crt'), server.pem);
    writeFileSync(at('server.key'), server.keyPem);
    const init = await runCli(['pki', 'init-ca', '--out', at('acme-ca'), '--cn', 'Acme Gateways', '--intermediate']);
    expect(init.stdout).toContain(`next, trust it for a tenant: npx cups ca add --tenant <tenant> ${at('acme-ca')}`);
    expect((await runCli(['ca', 'add', '--tenant', 'acme', ...tenants, at('acme-ca')])).status).toBe(0);
    port = await freePort();
    const issued = await runCli([
      'pki',
      'issue',
      '--ca',
      at('acme-ca'),
      '--out',
      at('fleet'),
      '--eui',
      EUI,
      '--cups-uri',
      `https://localhost:${port}`,
      '--cups-trust',
      at('server-ca.pem'),
      '--register',
      '--tenant',
      'acme',
      '--lns-uri',
      'wss://lns.acme.example:8887',
      '--lns-trust',
      at('server-ca.pem'),
      ...registry,
    ]);
    expect(issued.status, issued.stderr).toBe(0);
    deployment = await startBehindShippedProxy(
      PROXIES['nginx 1.22']!,
      [...tenants, ...registry, '--firmware-dir', at('firmware')],
      {
        CUPS_TLS_CERT: at('server.crt'),
        CUPS_TLS_KEY: at('server.key'),
      },
      port,
    );
  }, 60_000);

  afterAll(() => deployment?.stop());

  const curl = async () => {
    const home = at('fleet', EUI);
    const { stdout } = await promisify(execFile)('curl', [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--cert',
      join(home, 'cups.crt'),
      '--key',
      join(home, 'cups.key'),
      '--cacert',
      at('server-ca.pem'),
      `https://localhost:${port}/update-info`,
      '-d',
      `{"router":"${EUI}"}`,
    ]);
    return Number(stdout);
  };

  it('curl and the station emulator get 200 with the LNS', async () => {
    expect(await curl(), deployment.proxyOutput() + deployment.cups.output()).toBe(200);
    const station = await runCli(['update-info', '--home', at('fleet', EUI)]);
    expect(station.stdout, station.stderr).toContain('LNS: wss://lns.acme.example:8887');
  });

  it('cups ca remove of the intermediate refuses the fleet within 2 s', async () => {
    const removed = await runCli(['ca', 'remove', '--tenant', 'acme', ...tenants, at('acme-ca', 'intermediate.pem')]);
    expect(removed.status, removed.stderr).toBe(0);
    await within(2000, async () => (await curl()) === 403);
    const again = await runCli(['ca', 'remove', '--tenant', 'acme', ...tenants, at('acme-ca', 'intermediate.pem')]);
    expect(again.stderr).toMatch(/^error \[ca_refused\]: tenant acme trusts no certificate of SHA-256 [0-9a-f]{64}/);
  });

  it('gateway update --cups-cert takes the cups.crt pki issue writes (leaf and chain) once the trust store completes the chain', async () => {
    const home = at('fleet', EUI);
    const update = () =>
      runCli([
        'gateway',
        'update',
        '--eui',
        EUI,
        '--cups-uri',
        `https://localhost:${port}`,
        '--cups-trust',
        at('server-ca.pem'),
        '--cups-cert',
        join(home, 'cups.crt'),
        '--cups-key',
        join(home, 'cups.key'),
        ...tenants,
        ...registry,
      ]);
    // The intermediate was removed above: a station presenting its leaf alone would be refused.
    const refused = await update();
    expect([refused.status, refused.stderr]).toEqual([
      1,
      expect.stringMatching(
        /^error \[invalid_gateway\]: --cups-cert: a station keeps only this certificate .* trust its CAs first: npx cups ca add --tenant acme/,
      ),
    ]);
    expect((await runCli(['ca', 'add', '--tenant', 'acme', ...tenants, at('acme-ca')])).status).toBe(0);
    const accepted = await update();
    expect(accepted.status, accepted.stderr).toBe(0);
    expect(JSON.parse(accepted.stdout).cupsCredentials).toMatchObject({ certificate: expect.objectContaining({ subject: `CN=${EUI}` }) });
  });
});
