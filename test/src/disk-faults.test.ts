import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../fixtures/test-pki.ts';
import { runCli } from '../helpers/run-cli.ts';
import { post, routerBody, startTestServer } from '../helpers/server.ts';
import { within } from '../helpers/within.ts';

/** Real small file systems (tmpfs, mounted as root, as CI runs): full and read-only are the kernel's, not a mock's. */
const mounts: string[] = [];
function mountTmpfs(size = '1m'): string {
  const dir = mkdtempSync(join(tmpdir(), 'cups-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}
const remountReadOnly = (dir: string) => execFileSync('mount', ['-o', 'remount,ro', dir]);

/** Takes every free byte but `leaveBytes`. */
function fill(dir: string, leaveBytes = 0): string {
  const file = join(dir, `filler-${mounts.length}-${Date.now()}`);
  const fd = openSync(file, 'w');
  try {
    for (const size of [65_536, 4096, 1]) {
      try {
        for (;;) writeSync(fd, Buffer.alloc(size));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  if (leaveBytes > 0) execFileSync('truncate', ['-s', `-${leaveBytes}`, file]);
  return file;
}

let pki: TestPki;
let keyDir: string;
beforeAll(async () => {
  pki = await createTestPki();
  keyDir = mkdtempSync(join(tmpdir(), 'cups-key-'));
});
afterEach(() => {
  for (const dir of mounts.splice(0)) execFileSync('umount', ['-l', dir]);
});
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

const registryFlags = (dir: string) => ['--db', `sqlite:${join(dir, 'cups.db')}`, '--secret-key-file', join(keyDir, 'secret.key')];
const addGateway = (dir: string, eui: string) =>
  runCli(['gateway', 'add', ...registryFlags(dir), '--tenant', 'acme', '--eui', eui, '--lns-uri', 'ws://lns:8887']);

function importFile(rows: number): string {
  const file = join(keyDir, `import-${rows}.csv`);
  const lines = ['eui,tenant,name,lns_uri'];
  for (let i = 0; i < rows; i++)
    lines.push(`${(0xb827eb0000100000n + BigInt(i)).toString(16).toUpperCase()},acme,gateway ${i} ${'x'.repeat(100)},ws://lns:8887`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('a full disk', () => {
  it('fails an import with storage_full and the next step; not one row is written and the file stays sound', async () => {
    const dir = mountTmpfs();
    expect((await addGateway(dir, EUI.a)).status).toBe(0);
    fill(dir, 200 * 1024);
    const result = await runCli(['gateway', 'import', ...registryFlags(dir), importFile(5000)]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error \[storage_full\]: .*is full.*nothing was written: free space there and try again/m);
    const list = await runCli(['gateway', 'list', ...registryFlags(dir), '--json']);
    expect((JSON.parse(list.stdout) as { eui: string }[]).map((g) => g.eui)).toEqual([EUI.a]);
    const db = new Database(join(dir, 'cups.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('says storage_full when the registry cannot even open, rather than "disk I/O error"', async () => {
    const dir = mountTmpfs();
    expect((await addGateway(dir, EUI.a)).status).toBe(0);
    fill(dir);
    const result = await runCli(['gateway', 'list', ...registryFlags(dir)]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error \[storage_full\]: cannot open the SQLite registry .*free space there and try again/m);
  });

  it('keeps a running server answering; the contact it cannot record is logged, and recorded once there is room', async () => {
    const dir = mountTmpfs('2m');
    const server = await startTestServer(pki, { db: `sqlite:${join(dir, 'cups.db')}`, secretKeyFile: join(keyDir, 'server.key') });
    try {
      const call = (station: string) =>
        post(server.port, {
          tls: { ca: pki.serverCa.pem, cert: pki.leaves.a.pem, key: pki.leaves.a.keyPem },
          body: routerBody(EUI.a, { station }),
        });
      const filler = fill(dir);
      expect((await call('full')).status).toBe(200);
      // Contacts are written in batches, a second behind the answers.
      const failure = () => server.log().find((line) => line.msg === 'could not record the gateway contact');
      await within(5000, () => failure() !== undefined);
      expect(failure()).toMatchObject({ gateways: 1, euis: [EUI.a], err: { code: 'storage_full' } });
      rmSync(filler);
      // A new report is worth a write again.
      expect((await call('roomy')).status).toBe(200);
      const db = new Database(join(dir, 'cups.db'), { readonly: true });
      await within(5000, () => db.prepare('SELECT last_station FROM gateways WHERE eui = ?').pluck().get(EUI.a) === 'roomy');
      db.close();
    } finally {
      await server.server.close();
    }
  });

  it('fails a firmware upload with storage_full and leaves no partial image', async () => {
    const dir = mountTmpfs();
    const image = join(keyDir, 'image.bin');
    writeFileSync(image, Buffer.alloc(600 * 1024, 7));
    const images = join(dir, 'firmware');
    mkdirSync(images);
    fill(dir, 100 * 1024);
    const result = await runCli([
      'firmware',
      'add',
      '--model',
      'linux',
      '--version',
      '2.0',
      '--file',
      image,
      '--unsigned',
      '--firmware-dir',
      images,
      '--db',
      `sqlite:${join(keyDir, 'catalog.db')}`,
      '--secret-key-file',
      join(keyDir, 'secret.key'),
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error \[storage_full\]: ENOSPC.*the disk is full; free space there and run the command again/m);
    expect(readdirSync(images)).toEqual([]);
  });

  it('creates no half-written master key', async () => {
    const dir = mountTmpfs();
    fill(dir);
    // The first write to an empty registry makes the key (a reading command never does).
    const result = await runCli([
      'gateway',
      'add',
      '--tenant',
      'acme',
      '--eui',
      EUI.a,
      '--lns-uri',
      'ws://lns:1',
      '--db',
      `sqlite:${join(keyDir, 'other.db')}`,
      '--secret-key-file',
      join(dir, 'secret.key'),
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error \[storage_full\]/m);
    expect(readdirSync(dir).filter((name) => name.startsWith('secret.key'))).toEqual([]);
  });
});

describe('a read-only data folder', () => {
  it('fails writes with storage_read_only and the next step; cups serve says so at start-up', async () => {
    const dir = mountTmpfs();
    expect((await addGateway(dir, EUI.a)).status).toBe(0);
    remountReadOnly(dir);
    const add = await addGateway(dir, EUI.b);
    expect(add.status).toBe(1);
    expect(add.stderr).toMatch(
      /^error \[storage_read_only\]: cannot open the SQLite registry .*not writable.*make it writable and try again/m,
    );
    const serve = await runCli([
      'serve',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      ...registryFlags(dir),
      '--tenants',
      join(keyDir, 'tenants'),
      '--client-cert-header',
      'X-SSL-Client-Cert',
    ]);
    expect(serve.status).toBe(1);
    expect(serve.stderr).toMatch(/^error \[storage_read_only\]/m);
    expect(existsSync(join(dir, 'cups.db'))).toBe(true);
  });
});
