import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificate, createServerCertificate } from '../../src/pki/create-certificate.ts';
import { runCli } from '../helpers/run-cli.ts';
import { freePort, type ServerProcess, spawnServe } from '../helpers/spawn-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'cups-fleet-'));
const at = (...parts: string[]) => join(dir, ...parts);
const registry = ['--db', `sqlite:${at('cups.db')}`, '--secret-key-file', at('secret.key')];
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }).toString();
const FIRST = 0xb827ebfffe100000n;
const euiAt = (i: number) => (FIRST + BigInt(i)).toString(16).toUpperCase();
let port: number;
let server: ServerProcess;

beforeAll(async () => {
  const serverCa = await createCertificate({ subject: 'Fleet test server CA', ca: true });
  const serverCert = await createServerCertificate(serverCa, ['localhost']);
  writeFileSync(at('server-ca.pem'), serverCa.pem);
  writeFileSync(at('server.crt'), serverCert.pem);
  writeFileSync(at('server.key'), serverCert.keyPem);
  port = await freePort();
  expect((await runCli(['pki', 'init-ca', '--out', at('ca'), '--cn', 'Acme Gateways', '--intermediate'])).status).toBe(0);
  mkdirSync(at('tenants', 'acme'), { recursive: true });
  writeFileSync(at('tenants', 'acme', 'root.pem'), readFileSync(at('ca', 'root.pem')));
  // The issuing intermediate too, for stations whose cups.crt holds only their own certificate.
  writeFileSync(at('tenants', 'acme', 'intermediate.pem'), readFileSync(at('ca', 'intermediate.pem')));
  server = await spawnServe([
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--tls-cert',
    at('server.crt'),
    '--tls-key',
    at('server.key'),
    '--tenants',
    at('tenants'),
    ...registry,
  ]);
}, 60_000);
afterAll(() => server?.stop());

describe('cups pki init-ca', () => {
  it('writes a root, an issuing intermediate and chain.pem, keys 0600', () => {
    expect(readdirSync(at('ca')).sort()).toEqual(['chain.pem', 'intermediate.key', 'intermediate.pem', 'root.key', 'root.pem']);
    expect(statSync(at('ca', 'root.key')).mode & 0o777).toBe(0o600);
    expect(statSync(at('ca', 'intermediate.key')).mode & 0o777).toBe(0o600);
    expect(openssl('verify', '-CAfile', at('ca', 'root.pem'), at('ca', 'intermediate.pem'))).toContain('OK');
  });
});

describe('cups pki issue --register, then stations asking CUPS', () => {
  it('issues, registers and writes station folders that openssl accepts, with the fields vendors need', async () => {
    const result = await runCli([
      'pki',
      'issue',
      '--ca',
      at('ca'),
      '--out',
      at('fleet'),
      '--eui-range',
      `${euiAt(0)}:40`,
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
      '--lns-client-cert',
      ...registry,
    ]);
    expect([result.status, result.stdout], result.stderr).toEqual([
      0,
      `issued 40 gateway certificates into ${at('fleet')}, registered for tenant acme\n`,
    ]);
    const manifest = readFileSync(at('fleet', 'manifest.csv'), 'utf8').trim().split('\n');
    expect(manifest[0]).toBe('eui,serial,sha256,not_after');
    expect(manifest).toHaveLength(41);
    const home = at('fleet', euiAt(7));
    expect(readdirSync(home).sort()).toEqual(['cups.crt', 'cups.key', 'cups.trust', 'cups.uri']);
    expect(readFileSync(join(home, 'cups.uri'), 'utf8')).toBe(`https://localhost:${port}`);
    expect(statSync(join(home, 'cups.key')).mode & 0o777).toBe(0o600);
    const cert = join(home, 'cups.crt');
    expect(openssl('verify', '-CAfile', at('ca', 'root.pem'), '-untrusted', cert, '-purpose', 'sslclient', cert)).toContain(': OK');
    const text = openssl('x509', '-in', cert, '-noout', '-text');
    expect(text).toContain(`Subject: CN = ${euiAt(7)}`);
    expect(text).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    const serial = /Serial Number:\n\s+([0-9a-f:]+)/.exec(text)![1]!;
    expect(serial.split(':')).toHaveLength(16);
    const row = manifest.find((line) => line.startsWith(euiAt(7)))!.split(',');
    expect(row[1]).toBe(serial.replace(/:/g, '').replace(/^0+/, '').padStart(row[1]!.length, '0'));
    expect((await runCli(['gateway', 'show', '--eui', euiAt(7), ...registry])).stdout).toContain('"tenant": "acme"');
  }, 120_000);

  it.each([0, 13, 39])(
    'station %i: the first answer brings the LNS URI and credentials and the files appear; the second is 14 zero bytes',
    async (i) => {
      const home = at('fleet', euiAt(i));
      const first = await runCli(['update-info', '--home', home]);
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^router [0-9a-f:]+ asked https:\/\/localhost:\d+: 200, \d+ bytes\n/);
      for (const file of ['tc.uri', 'tc.trust', 'tc.crt', 'tc.key']) expect(first.stdout).toContain(`wrote ${file}`);
      expect(readFileSync(join(home, 'tc.uri'), 'utf8')).toBe('wss://lns.acme.example:8887');
      // The station stores DER; the LNS client certificate is the gateway's own.
      const tcCrt = readFileSync(join(home, 'tc.crt'));
      expect(tcCrt[0]).toBe(0x30);
      expect(openssl('x509', '-inform', 'DER', '-in', join(home, 'tc.crt'), '-noout', '-subject').trim()).toBe(`subject=CN = ${euiAt(i)}`);
      const second = await runCli(['update-info', '--home', home]);
      expect(second.stdout).toMatch(/: 200, 14 bytes\nnothing to change\n$/);
    },
  );

  it('new CUPS credentials are stored as DER, used on the next call, and then not sent again', async () => {
    const home = at('fleet', euiAt(13));
    const leafPem = readFileSync(join(home, 'cups.crt'), 'utf8').split(/(?<=-----END CERTIFICATE-----\n)/)[0]!;
    writeFileSync(at('leaf13.pem'), leafPem);
    const updated = await runCli([
      'gateway',
      'update',
      '--eui',
      euiAt(13),
      '--cups-uri',
      `https://localhost:${port}`,
      '--cups-trust',
      at('server-ca.pem'),
      '--cups-cert',
      at('leaf13.pem'),
      '--cups-key',
      join(home, 'cups.key'),
      '--tenants',
      at('tenants'),
      ...registry,
    ]);
    expect(updated.status, updated.stderr).toBe(0);
    const handover = await runCli(['update-info', '--home', home]);
    expect(handover.stdout).toMatch(/wrote cups\.trust[\s\S]*wrote cups\.crt[\s\S]*wrote cups\.key/);
    expect(handover.stdout).not.toContain('cups.uri');
    expect(readFileSync(join(home, 'cups.crt'))[0]).toBe(0x30);
    // The station now presents the DER files it stored; the CRC over them matches: nothing to send.
    expect((await runCli(['update-info', '--home', home])).stdout).toMatch(/: 200, 14 bytes\nnothing to change\n$/);
  });

  it('--dry-run writes nothing', async () => {
    const home = at('fleet', euiAt(20));
    const dry = await runCli(['update-info', '--home', home, '--dry-run']);
    expect(dry.stdout).toContain('would write tc.uri');
    expect(existsSync(join(home, 'tc.uri'))).toBe(false);
  });

  it('a refusal prints the server code and message', async () => {
    const other = await runCli([
      'pki',
      'issue',
      '--ca',
      at('ca'),
      '--out',
      at('loose'),
      '--eui',
      'B827EBFFFE999999',
      '--cups-uri',
      `https://localhost:${port}`,
      '--cups-trust',
      at('server-ca.pem'),
    ]);
    expect(other.status).toBe(0);
    const refused = await runCli(['update-info', '--home', at('loose', 'B827EBFFFE999999')]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        '^error \\[cups_refused\\]: CUPS answered 404 ' +
          '\\(gateway_not_found: gateway B827EBFFFE999999 is not registered to a tenant whose CAs issued this certificate\\)',
      ),
    );
  });
});

describe('cups pki issue --station-conf', () => {
  const template =
    '{\n  "SX1301_conf": { "lorawan_public": true, "radio_0": { "type": "SX1257", "freq": 867500000, "tx_enable": true } },\n' +
    '  "station_conf": { "log_level": "DEBUG", "routerid": "::0" }\n}\n';

  it("writes each gateway's station.conf: the template's radio settings as they are, routerid its EUI, which the emulator sends", async () => {
    writeFileSync(at('station.conf.template'), template);
    const result = await runCli([
      'pki',
      'issue',
      '--ca',
      at('ca'),
      '--out',
      at('confs'),
      '--eui-range',
      `${euiAt(60)}:3`,
      '--cups-uri',
      `https://localhost:${port}`,
      '--cups-trust',
      at('server-ca.pem'),
      '--station-conf',
      at('station.conf.template'),
    ]);
    expect(result.status, result.stderr).toBe(0);
    const conf = JSON.parse(readFileSync(at('confs', euiAt(61), 'station.conf'), 'utf8'));
    expect(conf).toEqual({ ...JSON.parse(template), station_conf: { log_level: 'DEBUG', routerid: 'b827:ebff:fe10:3d' } });
    // The station's EUI comes from station.conf, not from its certificate: another routerid is refused by the server.
    writeFileSync(at('confs', euiAt(61), 'station.conf'), JSON.stringify({ ...conf, station_conf: { routerid: euiAt(62) } }));
    const refused = await runCli(['update-info', '--home', at('confs', euiAt(61))]);
    expect(refused.stderr).toContain('cn_router_mismatch');
  });

  it('refuses a template that names a key twice, and writes nothing', async () => {
    writeFileSync(at('twice.template'), '{"station_conf":{"routerid":"::1","routerid":"::2"}}');
    const result = await runCli([
      'pki',
      'issue',
      '--ca',
      at('ca'),
      '--out',
      at('twice'),
      '--eui',
      euiAt(70),
      '--station-conf',
      at('twice.template'),
    ]);
    expect([result.status, result.stderr]).toEqual([
      1,
      expect.stringMatching(
        /invalid_gateway.*--station-conf: the station.conf template is not valid JSON: Duplicate key 'routerid'.*nothing was issued/,
      ),
    ]);
    expect(existsSync(at('twice'))).toBe(false);
  });
});

describe('refused before anything is written', () => {
  it.each([
    ['a duplicate EUI', 'B827EBFFFE200000\n# comment\nb8-27-eb-ff-fe-20-00-00\n', /invalid_eui_list.*listed twice/],
    ['a malformed EUI', 'B827EBFFFE200000\n1:2:3\n', /invalid_eui_list.*line 2/],
  ])('%s', async (_name, list, reason) => {
    writeFileSync(at('euis.txt'), list);
    const result = await runCli(['pki', 'issue', '--ca', at('ca'), '--out', at('refused'), '--eui-file', at('euis.txt')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(reason);
    expect(existsSync(at('refused'))).toBe(false);
  });

  it('--register with an EUI already registered: no certificate, no folder, no gateway', async () => {
    const result = await runCli([
      'pki',
      'issue',
      '--ca',
      at('ca'),
      '--out',
      at('again'),
      '--eui-range',
      `${euiAt(38)}:5`,
      '--register',
      '--tenant',
      'acme',
      '--lns-uri',
      'ws://lns:1',
      ...registry,
    ]);
    expect(result.stderr).toMatch(/gateway_exists.*B827EBFFFE100026 is already registered; nothing was issued/);
    expect(existsSync(at('again'))).toBe(false);
    expect((await runCli(['gateway', 'show', '--eui', euiAt(42), ...registry])).stderr).toContain('gateway_not_found');
  });
});

describe('RSA gateways and cups pki sign-csr', () => {
  it('issues RSA-2048 gateway keys', async () => {
    expect(
      (await runCli(['pki', 'issue', '--ca', at('ca'), '--out', at('rsa'), '--eui', 'B827EBFFFE300000', '--key', 'rsa2048'])).status,
    ).toBe(0);
    const cert = at('rsa', 'B827EBFFFE300000', 'cups.crt');
    expect(openssl('x509', '-in', cert, '-noout', '-text')).toContain('Public-Key: (2048 bit)');
    expect(openssl('verify', '-CAfile', at('ca', 'root.pem'), '-untrusted', cert, cert)).toContain(': OK');
  });

  it('certifies a device key from its CSR, and refuses a CSR whose CN is not an EUI or whose signature fails', async () => {
    openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'device.key',
      '-out',
      'device.csr',
      '-subj',
      '/CN=B827EBFFFE400000',
    );
    openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'named.key',
      '-out',
      'named.csr',
      '-subj',
      '/CN=gateway-7',
    );
    const signed = await runCli(['pki', 'sign-csr', '--ca', at('ca'), '--out', at('csr-out'), at('device.csr')]);
    expect(signed.status, signed.stderr).toBe(0);
    const cert = at('csr-out', 'B827EBFFFE400000', 'cups.crt');
    expect(openssl('verify', '-CAfile', at('ca', 'root.pem'), '-untrusted', cert, '-purpose', 'sslclient', cert)).toContain(': OK');
    // The certificate is for the device's own key.
    expect(openssl('x509', '-in', cert, '-noout', '-pubkey')).toBe(openssl('pkey', '-in', 'device.key', '-pubout'));
    const named = await runCli(['pki', 'sign-csr', '--ca', at('ca'), '--out', at('csr-out'), at('named.csr')]);
    expect(named.stderr).toMatch(/invalid_csr.*exactly one CN of 16 hex digits/);
    const der = Buffer.from(readFileSync(at('device.csr'), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 10]! ^= 0xff;
    writeFileSync(at('tampered.csr'), der);
    const tampered = await runCli(['pki', 'sign-csr', '--ca', at('ca'), '--out', at('csr-out2'), at('tampered.csr')]);
    expect(tampered.stderr).toMatch(/invalid_csr.*signature does not verify/);
    expect(existsSync(at('csr-out2'))).toBe(false);
  });
});
