import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCertificate, OID } from '../../../src/pki/create-certificate.ts';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { runCli } from '../../helpers/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'cups-gateway-cli-'));
const at = (name: string) => join(dir, name);
const db = `sqlite:${at('cups.db')}`;
const EUI = '58A0CBFFFE800019';

beforeAll(async () => {
  const ca = await createCertificate({ subject: 'LNS CA', ca: true });
  const client = await createCertificate({ subject: EUI, issuer: ca, extKeyUsage: [OID.clientAuth] });
  const other = await createCertificate({ subject: 'other', issuer: ca });
  writeFileSync(at('lns-ca.pem'), ca.pem);
  writeFileSync(at('client.crt'), client.pem);
  writeFileSync(at('client.key'), client.keyPem);
  writeFileSync(at('other.key'), other.keyPem);
});

const gatewayCli = (...args: string[]) => runCli(['gateway', ...args, '--db', db, '--secret-key-file', at('secret.key')]);
const registered = async () => JSON.parse((await gatewayCli('list', '--json')).stdout) as { eui: string }[];

describe('cups gateway add refuses bad input and writes nothing', () => {
  it.each([
    ['wss:// without a trust', ['--lns-uri', 'wss://lns:8887'], /needs --lns-trust/],
    [
      'a certificate without its key',
      ['--lns-uri', 'wss://lns:8887', '--lns-trust', '@lns-ca.pem', '--lns-cert', '@client.crt'],
      /go together/,
    ],
    [
      'a key of another certificate',
      ['--lns-uri', 'wss://lns:8887', '--lns-trust', '@lns-ca.pem', '--lns-cert', '@client.crt', '--lns-key', '@other.key'],
      /does not belong/,
    ],
    [
      'a certificate and a token',
      [
        '--lns-uri',
        'wss://lns:8887',
        '--lns-trust',
        '@lns-ca.pem',
        '--lns-cert',
        '@client.crt',
        '--lns-key',
        '@client.key',
        '--lns-token',
        't',
      ],
      /not both/,
    ],
    ['an http:// LNS URI', ['--lns-uri', 'http://lns:8887'], /ws:\/\/ or wss:\/\//],
    ['a missing trust file', ['--lns-uri', 'wss://lns:8887', '--lns-trust', '@missing.pem'], /cannot read/],
    ['a key as the trust', ['--lns-uri', 'wss://lns:8887', '--lns-trust', '@client.key'], /exactly one CERTIFICATE block/],
    ['CUPS credentials without a CUPS URI', ['--lns-uri', 'ws://lns:8887', '--cups-trust', '@lns-ca.pem'], /need --cups-uri/],
    [
      "the tenant common (every tenant's trust)",
      ['--tenant', 'common', '--lns-uri', 'ws://lns:8887'],
      /"common" is the trust every tenant shares/,
    ],
    ['a tenant id in capitals (a case variant)', ['--tenant', 'Acme', '--lns-uri', 'ws://lns:8887'], /lowercase/],
    [
      'a token with a colon that is no header line',
      ['--lns-uri', 'wss://lns:8887', '--lns-trust', '@lns-ca.pem', '--lns-token', 'abc:def'],
      /e\.g\. "Authorization: abc:def"/,
    ],
  ])('%s', async (_name, args, reason) => {
    const result = await gatewayCli('add', '--tenant', 'acme', '--eui', EUI, ...args.map((a) => (a.startsWith('@') ? at(a.slice(1)) : a)));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error \[invalid_gateway\]: /);
    expect(result.stderr).toMatch(reason);
    expect(await registered()).toEqual([]);
  });

  it.each([
    ['a malformed EUI', ['--eui', '1:2:3'], /invalid_eui/],
    ['a bad tenant id', ['--eui', EUI, '--tenant', '../etc'], /not a tenant id/],
  ])('%s', async (_name, args, reason) => {
    const result = await gatewayCli('add', '--tenant', 'acme', '--lns-uri', 'ws://lns:1', ...args);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(reason);
    expect(await registered()).toEqual([]);
  });
});

describe('cups gateway add, list, show, update, remove', () => {
  it('manages a gateway with certificate credentials, never printing key bytes', async () => {
    const added = await gatewayCli(
      'add',
      '--tenant',
      'acme',
      '--eui',
      '58a0:cbff:fe80:19',
      '--name',
      'roof',
      '--lns-uri',
      'wss://lns:8887',
      '--lns-trust',
      at('lns-ca.pem'),
      '--lns-cert',
      at('client.crt'),
      '--lns-key',
      at('client.key'),
    );
    expect(added.status, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      eui: EUI,
      tenant: 'acme',
      name: 'roof',
      lnsCredentials: { mode: 'certificate', keyType: 'ec prime256v1' },
    });
    const again = await gatewayCli('add', '--tenant', 'acme', '--eui', EUI, '--lns-uri', 'ws://lns:1');
    expect(again.stderr).toMatch(/gateway_exists/);

    const list = await gatewayCli('list');
    expect(list.stdout).toMatch(new RegExp(`^EUI\\s+TENANT[\\s\\S]*${EUI}\\s+acme\\s+wss://lns:8887\\s+never\\s+roof`, 'm'));

    const updated = await gatewayCli('update', '--eui', EUI, '--lns-uri', 'ws://lns-plain:8887');
    expect(JSON.parse(updated.stdout)).toMatchObject({ lnsUri: 'ws://lns-plain:8887', lnsCredentials: null });
    const token = await gatewayCli(
      'update',
      '--eui',
      EUI,
      '--lns-uri',
      'wss://lns:8887',
      '--lns-trust',
      at('lns-ca.pem'),
      '--lns-token',
      'NNSXS.SECRET',
    );
    expect(JSON.parse(token.stdout).lnsCredentials).toMatchObject({ mode: 'token', tokenHeaders: ['Authorization'] });
    const shown = await gatewayCli('show', '--eui', EUI);
    expect(shown.stdout).not.toContain('NNSXS.SECRET');

    expect((await gatewayCli('remove', '--eui', EUI)).stdout).toBe(`removed ${EUI}\n`);
    const missing = await gatewayCli('show', '--eui', EUI);
    expect([missing.status, missing.stderr]).toEqual([1, expect.stringContaining('gateway_not_found')]);
  });
});

describe('master keys: made only for the first write to an empty registry', () => {
  it('a reading command in another folder makes no key, and names the key a sealed registry needs', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'cups-elsewhere-'));
    // The registry above holds sealed secrets (the certificate test added some).
    const sealed = await runCli(['gateway', 'list', '--db', db], { cwd: elsewhere });
    expect([sealed.status, sealed.stderr]).toEqual([
      1,
      expect.stringMatching(
        new RegExp(
          '^error \\[secret_key_mismatch\\]: .* holds secrets sealed under a master key, and .*data/secret\\.key does not exist: ' +
            'give that key with --secret-key-file FILE or CUPS_SECRET_KEY',
        ),
      ),
    ]);
    const empty = await runCli(['gateway', 'list', '--db', `sqlite:${join(elsewhere, 'empty.db')}`], { cwd: elsewhere });
    expect([empty.status, empty.stderr]).toEqual([0, '']);
    expect(existsSync(join(elsewhere, 'data', 'secret.key'))).toBe(false);
    const firstWrite = await runCli(
      ['gateway', 'add', '--tenant', 'acme', '--eui', EUI, '--lns-uri', 'ws://lns:1', '--db', `sqlite:${join(elsewhere, 'empty.db')}`],
      { cwd: elsewhere },
    );
    expect([firstWrite.status, firstWrite.stderr]).toEqual([0, expect.stringMatching(/^created a new master key in .*data\/secret\.key/)]);
  });

  it('cups --version prints the version', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect((await runCli(['--version'])).stdout).toBe(`${version}\n`);
  });
});
