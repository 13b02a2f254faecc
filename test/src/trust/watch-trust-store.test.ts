import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCertificate, type IssuedCertificate } from '../../../src/pki/create-certificate.ts';
import { TrustStoreWatcher } from '../../../src/trust/watch-trust-store.ts';
import { within } from '../../helpers/within.ts';

let roots: IssuedCertificate[];
beforeAll(async () => {
  roots = await Promise.all(['Root A', 'Root B'].map((subject) => createCertificate({ subject, ca: true })));
});

const watchers: TrustStoreWatcher[] = [];
afterEach(async () => {
  for (const watcher of watchers.splice(0)) await watcher.stop();
});

function setUp(intervalMs: number, fullCheckMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'cups-watch-'));
  const tenants = join(dir, 'tenants');
  mkdirSync(join(tenants, 'acme'), { recursive: true });
  writeFileSync(join(tenants, 'acme', 'a.pem'), roots[0]!.pem);
  const errors: string[] = [];
  const log = { error: (_fields: unknown, message: string) => errors.push(message), info: () => {} } as unknown as FastifyBaseLogger;
  const watcher = new TrustStoreWatcher(tenants, log, intervalMs, fullCheckMs);
  watchers.push(watcher);
  return { tenants, errors, watcher };
}

const subjects = (watcher: TrustStoreWatcher) => watcher.current.certificates.map((c) => c.subjectText).sort();

describe('the trust store watcher', () => {
  it('watches a tenant folder deleted and made again: a CA added to it is seen at once, not at the full check', async () => {
    const { tenants, watcher } = setUp(60_000, 60_000);
    await watcher.start();
    rmSync(join(tenants, 'acme'), { recursive: true });
    await within(2000, () => subjects(watcher).length === 0, 10);
    mkdirSync(join(tenants, 'acme'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    writeFileSync(join(tenants, 'acme', 'b.pem'), roots[1]!.pem);
    await within(2000, () => subjects(watcher).join() === 'CN=Root B', 10);
  });

  it('follows a tenant folder that is a symbolic link, and names a link it cannot follow', async () => {
    const { tenants, errors, watcher } = setUp(60_000, 60_000);
    const elsewhere = mkdtempSync(join(tmpdir(), 'cups-linked-'));
    writeFileSync(join(elsewhere, 'b.pem'), roots[1]!.pem);
    symlinkSync(elsewhere, join(tenants, 'linked'));
    symlinkSync(join(elsewhere, 'missing'), join(tenants, 'dangling'));
    await watcher.start();
    expect(subjects(watcher)).toEqual(['CN=Root A', 'CN=Root B']);
    expect(watcher.current.certificates.find((c) => c.subjectText === 'CN=Root B')!.tenants).toEqual(new Set(['linked']));
    expect(errors).toContainEqual(expect.stringMatching(/^trust store file skipped: a symbolic link that cannot be followed/));
  });

  it('sees a new file, a new tenant folder and a replaced file at once, with no polling at all', async () => {
    const { tenants, watcher } = setUp(60_000, 60_000);
    await watcher.start();
    expect(subjects(watcher)).toEqual(['CN=Root A']);
    writeFileSync(join(tenants, 'acme', 'b.pem'), roots[1]!.pem);
    expect(await within(1000, () => subjects(watcher).length === 2, 10)).toBeLessThan(1000);
    mkdirSync(join(tenants, 'globex'));
    writeFileSync(join(tenants, 'globex', 'a.pem'), roots[0]!.pem);
    await within(1000, () => watcher.current.certificates.some((c) => c.tenants.has('globex')), 10);
    // Replaced by a move, as editors and config tools do.
    writeFileSync(join(tenants, 'acme', '.tmp'), roots[1]!.pem);
    renameSync(join(tenants, 'acme', '.tmp'), join(tenants, 'acme', 'a.pem'));
    await within(1000, () => !watcher.current.certificates.find((c) => c.subjectText === 'CN=Root A')?.tenants.has('acme'), 10);
  });

  it('keeps the last good store while the folder is gone or not a folder, and recovers when it returns', async () => {
    const { tenants, errors, watcher } = setUp(100, 60_000);
    await watcher.start();
    const moved = `${tenants}.away`;
    renameSync(tenants, moved);
    await within(2000, () => errors.some((e) => e.includes('keeping the last good store')), 10);
    expect(subjects(watcher)).toEqual(['CN=Root A']);
    writeFileSync(tenants, 'not a folder');
    await within(2000, () => errors.some((e) => /ENOTDIR/.test(e)), 10);
    expect(subjects(watcher)).toEqual(['CN=Root A']);
    rmSync(tenants);
    writeFileSync(join(moved, 'acme', 'b.pem'), roots[1]!.pem);
    renameSync(moved, tenants);
    await within(2000, () => subjects(watcher).length === 2, 10);
    // Watched again: a later change is seen without waiting for a full check.
    rmSync(join(tenants, 'acme', 'b.pem'));
    await within(1000, () => subjects(watcher).length === 1, 10);
  });
});
