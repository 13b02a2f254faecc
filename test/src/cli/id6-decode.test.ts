import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  certificateDer,
  credentialsCrc,
  encodeCredentials,
  encodeUpdateInfoResponse,
  privateKeyDer,
  tokenHeaderLines,
} from '../../../protocol/index.ts';
import { VECTORS } from '../../helpers/paths.ts';
import { runCli } from '../../helpers/run-cli.ts';

describe('cups id6', () => {
  it('prints ID6 and 16 hex digits', async () => {
    expect((await runCli(['id6', '58A0CBFFFE800019'])).stdout).toBe('58a0:cbff:fe80:19\n58A0CBFFFE800019\n');
    const reverse = await runCli(['id6', '80::fd46']);
    expect(reverse.status).toBe(0);
    expect(reverse.stdout.split('\n')[1]).toBe('008000000000FD46');
  });

  it('exits non-zero with the reason for a malformed EUI', async () => {
    const result = await runCli(['id6', '1:2:3']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/invalid_eui.*exactly 4 groups/);
    expect(result.stdout).toBe('');
  });
});

describe('cups decode', () => {
  const pem = (name: string) => readFileSync(join(VECTORS, 'proxy-headers', name), 'utf8');

  it('prints 14 zero bytes as an empty response', async () => {
    const result = await runCli(['decode'], { input: Buffer.alloc(14) });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ cupsUri: null, tcUri: null, cupsCred: null, tcCred: null, signature: null, update: null });
  });

  it('exits non-zero on 13 bytes, naming the offset', async () => {
    const result = await runCli(['decode'], { input: Buffer.alloc(13) });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('byte offset 10');
  });

  it('shows certificates, key type, token header names and CRCs, but no key or token', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const trust = certificateDer(pem('rsa-root.pem'));
    const key = privateKeyDer(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const tcCred = encodeCredentials({ mode: 'certificate', trust, cert: certificateDer(pem('rsa-leaf.pem')), key });
    const cupsCred = encodeCredentials({ mode: 'token', trust, token: tokenHeaderLines('Bearer SECRET-TOKEN-VALUE') });
    const sigDir = join(VECTORS, 'basicstation-test4-cups');
    const response = encodeUpdateInfoResponse({
      cupsUri: 'https://cups.example:443',
      tcUri: 'wss://lns.example:8887',
      cupsCred,
      tcCred,
      signature: { keyCrc: 0x1d1e9f14, der: readFileSync(join(sigDir, 'v1.bin.sig-0')) },
      update: readFileSync(join(sigDir, 'v1.bin')),
    });
    const file = join(mkdtempSync(join(tmpdir(), 'cups-decode-')), 'answer.bin');
    writeFileSync(file, response);
    const result = await runCli(['decode', file]);
    expect(result.status).toBe(0);
    const shown = JSON.parse(result.stdout);
    expect(shown.cupsUri).toBe('https://cups.example:443');
    expect(shown.tcUri).toBe('wss://lns.example:8887');
    expect(shown.tcCred).toMatchObject({
      mode: 'certificate',
      crc32: credentialsCrc(tcCred),
      trust: { subject: 'CN=Tenant A Root rsa' },
      certificate: { subject: 'CN=b827ebfffe123456', issuer: 'CN=Tenant A Intermediate rsa', notAfter: '2027-11-23T12:11:43.000Z' },
      keyType: 'ec prime256v1',
    });
    expect(shown.tcCred.certificate.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(shown.cupsCred).toMatchObject({ mode: 'token', tokenHeaders: ['Authorization'], crc32: credentialsCrc(cupsCred) });
    expect(shown.signature).toEqual({ keyCrc: '0x1D1E9F14', bytes: 72 });
    expect(shown.update).toMatchObject({ bytes: 136 });
    expect(result.stdout).not.toContain('SECRET-TOKEN-VALUE');
    expect(result.stdout).not.toContain(key.toString('base64').slice(0, 40));
    expect(result.stdout).not.toContain(key.toString('hex').slice(0, 40));
  });

  it('says so when the file cannot be read', async () => {
    const result = await runCli(['decode', '/nonexistent/answer.bin']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/file_unreadable.*cannot read \/nonexistent/);
  });
});

describe('npx cups', () => {
  it('runs in a checkout after npm ci', async () => {
    const { execFileSync } = await import('node:child_process');
    const { REPO_ROOT } = await import('../../helpers/paths.ts');
    expect(execFileSync('npx', ['--no-install', 'cups', 'id6', '58A0CBFFFE800019'], { cwd: REPO_ROOT }).toString()).toBe(
      '58a0:cbff:fe80:19\n58A0CBFFFE800019\n',
    );
  });
});
