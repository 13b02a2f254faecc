import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { freePort, type ServerProcess, spawnServe } from '../helpers/spawn-server.ts';

// The operator flow of the issue, step by step, with the tools an operator has: openssl, curl, cups.
const dir = mkdtempSync(join(tmpdir(), 'cups-operator-'));
const at = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
const TOKEN = 'Bearer NNSXS.OPERATOR-SECRET-TOKEN';
const db = `sqlite:${at('cups.db')}`;
let port: number;
let server: ServerProcess;

function curl(args: string[]): { status: number; body: Buffer } {
  const out = at(`answer-${Math.random().toString(36).slice(2)}.bin`);
  const status = execFileSync(
    'curl',
    [
      '-s',
      '-o',
      out,
      '-w',
      '%{http_code}',
      '--cacert',
      at('server.crt'),
      ...args,
      `https://localhost:${port}/update-info`,
      '-H',
      'Content-Type: application/json',
    ],
    { cwd: dir },
  ).toString();
  return { status: Number(status), body: readFileSync(out) };
}
const asGateway = (cert: string, key: string, body: object) => curl(['--cert', at(cert), '--key', at(key), '-d', JSON.stringify(body)]);

beforeAll(async () => {
  // A root CA and a gateway certificate with CN = EUI, as vendors make them today.
  openssl(
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=Acme Gateways Root',
    '-days',
    '30',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl('req', ...EC, '-keyout', 'gw.key', '-out', 'gw.csr', '-subj', '/CN=58A0CBFFFE800019');
  writeFileSync(at('client.ext'), 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'gw.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'gw.crt',
    '-days',
    '30',
    '-extfile',
    'client.ext',
  );
  // A second CA nobody trusts, with a certificate for the same EUI.
  openssl(
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'rogue-ca.key',
    '-out',
    'rogue-ca.crt',
    '-subj',
    '/CN=Rogue',
    '-days',
    '30',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
  );
  openssl('req', ...EC, '-keyout', 'rogue.key', '-out', 'rogue.csr', '-subj', '/CN=58A0CBFFFE800019');
  openssl(
    'x509',
    '-req',
    '-in',
    'rogue.csr',
    '-CA',
    'rogue-ca.crt',
    '-CAkey',
    'rogue-ca.key',
    '-CAcreateserial',
    '-out',
    'rogue.crt',
    '-days',
    '30',
  );
  // The server's own certificate.
  openssl(
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'server.key',
    '-out',
    'server.crt',
    '-subj',
    '/CN=localhost',
    '-days',
    '30',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  );
  mkdirSync(at('tenants/acme'), { recursive: true });
  writeFileSync(at('tenants/acme/acme-root.pem'), readFileSync(at('ca.crt')));

  const added = await runCli([
    'gateway',
    'add',
    '--tenant',
    'acme',
    '--eui',
    '58-A0-CB-FF-FE-80-00-19',
    '--lns-uri',
    'wss://lns.acme.example:8887',
    '--lns-trust',
    at('server.crt'),
    '--lns-token',
    TOKEN,
    '--db',
    db,
    '--secret-key-file',
    at('secret.key'),
  ]);
  expect(added.status, added.stderr).toBe(0);
  expect(added.stdout).not.toContain('OPERATOR-SECRET');
  port = await freePort();
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
    '--db',
    db,
    '--secret-key-file',
    at('secret.key'),
  ]);
}, 60_000);

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

describe('the documented operator flow', () => {
  let firstAnswer: { tcUri: string; tcCred: { crc32: number; mode: string; tokenHeaders: string[]; trust: { subject: string } } };

  it('curl with the gateway certificate gets 200 and bytes that cups decode shows with the LNS URI and credentials', async () => {
    const answer = asGateway('gw.crt', 'gw.key', { router: '58a0:cbff:fe80:19', tcUri: null, tcCredCrc: 0x7bd5c66f });
    expect(answer.status).toBe(200);
    const decoded = await runCli(['decode'], { input: answer.body });
    expect(decoded.status).toBe(0);
    firstAnswer = JSON.parse(decoded.stdout);
    expect(firstAnswer.tcUri).toBe('wss://lns.acme.example:8887');
    expect(firstAnswer.tcCred).toMatchObject({ mode: 'token', tokenHeaders: ['Authorization'], trust: { subject: 'CN=localhost' } });
    expect(decoded.stdout).not.toContain('OPERATOR-SECRET');
  });

  it('a second request with the new CRCs gets 14 zero bytes', () => {
    const answer = asGateway('gw.crt', 'gw.key', {
      router: '58a0:cbff:fe80:19',
      tcUri: firstAnswer.tcUri,
      tcCredCrc: firstAnswer.tcCred.crc32,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(Buffer.alloc(14));
  });

  it('without a certificate: 401; with a certificate from an unknown CA: 403', () => {
    const none = curl(['-d', JSON.stringify({ router: '58a0:cbff:fe80:19' })]);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body.toString()).code).toBe('no_client_certificate');
    const rogue = asGateway('rogue.crt', 'rogue.key', { router: '58a0:cbff:fe80:19' });
    expect(rogue.status).toBe(403);
    expect(JSON.parse(rogue.body.toString()).code).toBe('certificate_untrusted');
  });

  it('cups ca list and cups verify show what the server will decide', async () => {
    const list = await runCli(['ca', 'list', '--tenants', at('tenants')]);
    expect(list.stdout).toMatch(/acme\s+CN=Acme Gateways Root\s+root/);
    expect((await runCli(['verify', '--tenants', at('tenants'), '--tenant', 'acme', at('gw.crt')])).stdout).toMatch(
      /^OK: 58A0CBFFFE800019 for tenant acme/,
    );
    const wrongTenant = await runCli(['verify', '--tenants', at('tenants'), '--tenant', 'other', at('gw.crt')]);
    expect([wrongTenant.status, wrongTenant.stderr]).toEqual([1, expect.stringContaining('tenant_mismatch')]);
    const rogue = await runCli(['verify', '--tenants', at('tenants'), '--tenant', 'acme', at('rogue.crt')]);
    expect(rogue.stderr).toContain('certificate_untrusted');
  });

  it('after the CA file is deleted, with no restart, the gateway gets 403 within 2 seconds', async () => {
    rmSync(at('tenants/acme/acme-root.pem'));
    const start = Date.now();
    let status = 0;
    while (Date.now() - start < 2000) {
      status = asGateway('gw.crt', 'gw.key', { router: '58a0:cbff:fe80:19' }).status;
      if (status === 403) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(403);
  });

  it('the log has a line per refusal with EUI, reason and peer, and no token, key or certificate body', () => {
    const log = server.output();
    const refusals = log.split('\n').filter((line) => line.includes('"reason":"certificate_untrusted"'));
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals[0]).toMatch(/"eui":"58A0CBFFFE800019".*"reason":"certificate_untrusted".*"peer":"127\.0\.0\.1"/);
    // Each answer that hands credentials over is an audit line: what was sent and its CRC, not its bytes.
    const answered = log
      .split('\n')
      .filter((line) => line.includes('"msg":"update-info answered"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(answered[0]).toMatchObject({
      eui: '58A0CBFFFE800019',
      sent: expect.arrayContaining(['tcUri', 'tcCred']),
      tcCredCrc: expect.any(Number),
    });
    expect(log).not.toContain('OPERATOR-SECRET');
    for (const file of ['gw.key', 'server.key', 'gw.crt']) {
      const body = readFileSync(at(file), 'utf8').split('\n')[1]!;
      expect(log).not.toContain(body);
    }
  });
});
