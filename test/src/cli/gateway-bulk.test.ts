import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificate } from '../../../src/pki/create-certificate.ts';
import { CUPS_BIN } from '../../helpers/paths.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';
import { runCli } from '../../helpers/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'cups-bulk-'));
const at = (name: string) => join(dir, name);
const FLEET = 10_000;
const euiOf = (i: number) => (0xb827eb0000000000n + BigInt(i)).toString(16).toUpperCase();
let trustPem: string;
let postgres: PostgresServer;

beforeAll(async () => {
  trustPem = (await createCertificate({ subject: 'LNS CA', ca: true })).pem;
  const rows = Array.from({ length: FLEET }, (_, i) => ({
    eui: euiOf(i),
    tenant: `tenant-${i % 7}`,
    name: `gw ${i}`,
    lns_uri: 'wss://lns.example:8887',
    lns_trust: trustPem,
    lns_token: `Bearer NNSXS.FLEET-SECRET-${i}`,
  }));
  writeFileSync(at('fleet.csv'), stringify(rows, { header: true }));
  writeFileSync(at('fleet.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
  postgres = await startPostgres();
}, 120_000);
afterAll(() => postgres?.destroy());

const cli = (db: string, ...args: string[]) => runCli(['gateway', ...args, '--db', db, '--secret-key-file', at('secret.key')]);
const count = async (db: string) => (await cli(db, 'export', '--format', 'jsonl')).stdout.split('\n').filter(Boolean).length;

describe.each([
  ['SQLite', () => `sqlite:${at(`fleet-${Math.random().toString(36).slice(2)}.db`)}`],
  ['PostgreSQL', () => postgres.createDatabase(`fleet_${Math.random().toString(36).slice(2, 8)}`)],
])('cups gateway import on %s', (_backend, makeDb) => {
  it(`imports ${FLEET} gateways in one transaction, and export without --with-secrets shows no token`, async () => {
    const db = await makeDb();
    const result = await cli(db, 'import', at('fleet.csv'));
    expect([result.status, result.stdout]).toEqual([0, `imported ${FLEET} gateways from ${at('fleet.csv')}\n`]);
    const exported = await cli(db, 'export');
    expect(exported.stdout.split('\n')[0]).toBe(
      'eui,tenant,name,lns_uri,lns_trust,lns_cert,lns_key,lns_token,cups_uri,cups_trust,cups_cert,cups_key,cups_token,pinned_sha256',
    );
    expect(exported.stdout).toContain(euiOf(FLEET - 1));
    expect(exported.stdout).not.toContain('FLEET-SECRET');
  }, 120_000);

  it('one bad row names its line and reason, and nothing is written', async () => {
    const db = await makeDb();
    const lines = readFileSync(at('fleet.jsonl'), 'utf8').split('\n');
    lines[4999] = lines[4999]!.replace(euiOf(4999), '1:2:3');
    writeFileSync(at('bad.jsonl'), lines.join('\n'));
    const result = await cli(db, 'import', at('bad.jsonl'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error \[invalid_import_row\]: line 5000: .*exactly 4 groups/);
    expect(await count(db)).toBe(0);
  }, 120_000);

  it('a gateway already registered, or twice in the file, is refused with its line and nothing is written', async () => {
    const db = await makeDb();
    const records = (n: number[]) => n.map((i) => JSON.stringify({ eui: euiOf(i), tenant: 'acme', lns_uri: 'ws://lns:1' })).join('\n');
    writeFileSync(at('first.jsonl'), records([1, 2]));
    expect((await cli(db, 'import', at('first.jsonl'))).status).toBe(0);
    writeFileSync(at('clash.jsonl'), records([3, 4, 2, 5]));
    const clash = await cli(db, 'import', at('clash.jsonl'));
    expect(clash.stderr).toMatch(/line 3: gateway B827EB0000000002 is already registered; nothing was imported/);
    writeFileSync(at('twice.jsonl'), records([7, 8, 7]));
    expect((await cli(db, 'import', at('twice.jsonl'))).stderr).toMatch(/line 3: gateway B827EB0000000007 is already on line 1/);
    expect(await count(db)).toBe(2);
  }, 60_000);
});

describe('export --with-secrets', () => {
  it('round-trips through import into another registry', async () => {
    const source = `sqlite:${at('source.db')}`;
    writeFileSync(at('few.jsonl'), readFileSync(at('fleet.jsonl'), 'utf8').split('\n').slice(0, 20).join('\n'));
    await cli(source, 'import', at('few.jsonl'));
    const out = at('export.csv');
    // A file already there, readable by all: the secrets replace it as a file only its owner reads.
    writeFileSync(out, 'old', { mode: 0o644 });
    expect((await cli(source, 'export', '--with-secrets', '--out', out)).status).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toContain('Bearer NNSXS.FLEET-SECRET-19');
    const copy = `sqlite:${at('copy.db')}`;
    expect((await cli(copy, 'import', out)).status).toBe(0);
    const [a, b] = await Promise.all([cli(source, 'export', '--with-secrets'), cli(copy, 'export', '--with-secrets')]);
    expect(b.stdout).toBe(a.stdout);
  });
});

describe('on a terminal', () => {
  it('shows a progress bar', () => {
    const db = `sqlite:${at('tty.db')}`;
    const command = [process.execPath, CUPS_BIN, 'gateway', 'import', at('fleet.jsonl'), '--db', db, '--secret-key-file', at('secret.key')]
      .map((a) => `'${a}'`)
      .join(' ');
    const screen = execFileSync('script', ['-qec', command, '/dev/null'], { env: { ...process.env, COLUMNS: '120' } }).toString();
    expect(screen).toMatch(/checking\s+\[.*\] 100% 10000\/10000/);
    expect(screen).toMatch(/writing\s+\[.*\] 100% 10000\/10000/);
    expect(screen).toContain(`imported ${FLEET} gateways`);
  }, 120_000);
});
