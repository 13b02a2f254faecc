import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCertificate, OID } from '../../../src/pki/create-certificate.ts';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { runCli, runCliInProcess } from '../../helpers/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'cups-run-cli-'));
const at = (name: string) => join(dir, name);
const registryFlags = ['--db', `sqlite:${at('cups.db')}`, '--secret-key-file', at('secret.key')];
const EUI = '58A0CBFFFE800019';
let caPem: string;
let clientPem: string;
let clientKeyPem: string;

beforeAll(async () => {
  const ca = await createCertificate({ subject: 'LNS CA', ca: true });
  const client = await createCertificate({ subject: EUI, issuer: ca, extKeyUsage: [OID.clientAuth] });
  [caPem, clientPem, clientKeyPem] = [ca.pem, client.pem, client.keyPem];
  writeFileSync(at('lns-ca.pem'), caPem);
  writeFileSync(at('client.crt'), clientPem);
  writeFileSync(at('client.key'), clientKeyPem);
});

describe('the command line in-process', () => {
  it('prints the version as the binary does', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const inProcess = await runCliInProcess(['--version']);
    expect(inProcess).toMatchObject({ status: 0, stdout: `${version}\n` });
    expect((await runCli(['--version'])).stdout).toBe(inProcess.stdout);
  });

  it('a usage error is status 2, with the help on standard error', async () => {
    const result = await runCliInProcess(['gateway', 'add', '--tenant', 'acme', '--eui', EUI, '--bogus']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown option '--bogus'/);
    expect(result.stdout).toBe('');
  });

  it('registers, lists, changes, shows and removes a gateway; every answer through the one printer', async () => {
    const add = await runCliInProcess([
      'gateway',
      'add',
      '--tenant',
      'acme',
      '--eui',
      '58-a0-cb-ff-fe-80-00-19',
      '--lns-uri',
      'ws://lns:1',
      ...registryFlags,
    ]);
    expect(add.status).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ eui: EUI, tenant: 'acme', lnsUri: 'ws://lns:1' });
    // The first write made the master key, and said so on standard error.
    expect(add.stderr).toMatch(/created a new master key in .*secret\.key/);

    const table = await runCliInProcess(['gateway', 'list', ...registryFlags]);
    expect(table.stdout.split('\n')[0]).toMatch(/^EUI\s+TENANT\s+LNS URI\s+LAST CONTACT\s+NAME$/);
    expect(table.stdout).toMatch(new RegExp(`^${EUI}\\s+acme\\s+ws://lns:1\\s+never$`, 'm'));

    const update = await runCliInProcess([
      'gateway',
      'update',
      '--eui',
      EUI,
      '--lns-uri',
      'wss://lns:2',
      '--lns-trust',
      at('lns-ca.pem'),
      '--pin-cert',
      at('client.crt'),
      ...registryFlags,
    ]);
    expect(update.status).toBe(0);
    const updated = JSON.parse(update.stdout) as { lnsUri: string; pinnedCertificates: string[]; lnsCredentials: { trust: unknown } };
    expect(updated.lnsUri).toBe('wss://lns:2');
    expect(updated.pinnedCertificates).toHaveLength(1);
    expect(updated.lnsCredentials.trust).toBeTruthy();

    const shown = await runCliInProcess(['gateway', 'show', '--eui', EUI.toLowerCase(), ...registryFlags]);
    expect(JSON.parse(shown.stdout)).toEqual(updated);

    expect(await runCliInProcess(['gateway', 'remove', '--eui', EUI, ...registryFlags])).toMatchObject({
      status: 0,
      stdout: `removed ${EUI}\n`,
    });
    const again = await runCliInProcess(['gateway', 'remove', '--eui', EUI, ...registryFlags]);
    expect(again).toMatchObject({ status: 1, stdout: '', stderr: `error [gateway_not_found]: gateway ${EUI} is not registered\n` });
  });
});

/**
 * The flags of `gateway add` and the rows of `gateway import` are checked by one validator:
 * the same input is refused for the same reason, each naming its own field.
 */
describe('one validator for flags and import rows', () => {
  const cases: [name: string, flags: string[], row: Record<string, string>, reason: RegExp][] = [
    ['no LNS URI', [], {}, /^(line 1: )?(--lns-uri|lns_uri) is required$/],
    [
      'wss:// without a trust',
      ['--lns-uri', 'wss://lns:8887'],
      { lns_uri: 'wss://lns:8887' },
      /^(line 1: )?a wss:\/\/ LNS URI needs (--lns-trust|lns_trust)$/,
    ],
    [
      'CUPS credentials without a CUPS URI',
      ['--lns-uri', 'ws://lns:1', '--cups-token', 't'],
      { lns_uri: 'ws://lns:1', cups_token: 't' },
      /^(line 1: )?(--cups-trust\/--cups-cert\/--cups-key\/--cups-token need --cups-uri|cups_trust\/cups_cert\/cups_key\/cups_token need cups_uri)$/,
    ],
    [
      'the tenant common',
      ['--tenant', 'common', '--lns-uri', 'ws://lns:1'],
      { tenant: 'common', lns_uri: 'ws://lns:1' },
      /^(line 1: )?(--tenant|tenant) "common" is/,
    ],
    [
      'a certificate without its key',
      ['--lns-uri', 'wss://lns:1', '--lns-trust', '@lns-ca.pem', '--lns-cert', '@client.crt'],
      { lns_uri: 'wss://lns:1', lns_trust: '@lns-ca.pem', lns_cert: '@client.crt' },
      /^(line 1: )?(--lns-cert and --lns-key|lns_cert and lns_key) go together$/,
    ],
  ];

  it.each(cases)('%s', async (_name, flags, row, reason) => {
    const file = (value: string) => (value.startsWith('@') ? at(value.slice(1)) : value);
    const inline = (value: string) => (value.startsWith('@') ? readFileSync(at(value.slice(1)), 'utf8') : value);
    const hasTenant = flags.includes('--tenant');
    const added = await runCliInProcess([
      'gateway',
      'add',
      '--eui',
      EUI,
      ...(hasTenant ? [] : ['--tenant', 'acme']),
      ...flags.map(file),
      ...registryFlags,
    ]);
    const rowFile = at(`row-${Math.random().toString(36).slice(2)}.jsonl`);
    writeFileSync(
      rowFile,
      `${JSON.stringify({ eui: EUI, tenant: 'acme', ...Object.fromEntries(Object.entries(row).map(([k, v]) => [k, inline(v)])) })}\n`,
    );
    const imported = await runCliInProcess(['gateway', 'import', rowFile, ...registryFlags]);
    expect(added.status).toBe(1);
    expect(imported.status).toBe(1);
    const [, addMessage] = /^error \[invalid_gateway\]: (.*)\n$/.exec(added.stderr) ?? [];
    const [, importMessage] = /^error \[invalid_import_row\]: (.*)\n$/.exec(imported.stderr) ?? [];
    expect(addMessage).toMatch(reason);
    expect(importMessage).toMatch(reason);
    expect(importMessage).toMatch(/^line 1: /);
    // Apart from the line and the field names, the same words.
    const words = (message: string) =>
      message
        .replace(/^line \d+: /, '')
        .replace(/(^|\W)--/g, '$1')
        .replace(/[_-]/g, ' ');
    expect(words(importMessage!)).toBe(words(addMessage!));
  });
});
