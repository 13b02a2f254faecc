import { hash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pemBlocks } from '../../protocol/lib/der.ts';
import { toPem } from '../pki/keys.ts';
import { CaRefused } from './add-tenant-cas.ts';

/**
 * Takes the certificate of this SHA-256 fingerprint out of a tenant's folder: a file holding only
 * it is deleted, a bundle is written again without it. Returns the files changed; throws CaRefused
 * when the tenant's folder holds no such certificate.
 */
export function removeTenantCa(tenantsDir: string, tenant: string, fingerprint: string): string[] {
  const folder = join(tenantsDir, tenant);
  const wanted = fingerprint.toLowerCase().replace(/:/g, '');
  const changed: string[] = [];
  let files: string[];
  try {
    files = readdirSync(folder).filter((name) => name.endsWith('.pem'));
  } catch {
    throw new CaRefused(`there is no tenant folder ${folder}`);
  }
  for (const name of files) {
    const file = join(folder, name);
    const blocks = pemBlocks(readFileSync(file, 'latin1')).filter((block) => block.label === 'CERTIFICATE');
    const kept = blocks.filter((block) => hash('sha256', block.der, 'hex') !== wanted);
    if (kept.length === blocks.length) continue;
    if (kept.length === 0) rmSync(file);
    else {
      writeFileSync(`${file}.${process.pid}.tmp`, kept.map((block) => toPem('CERTIFICATE', block.der)).join(''));
      renameSync(`${file}.${process.pid}.tmp`, file);
    }
    changed.push(file);
  }
  if (changed.length === 0) throw new CaRefused(`tenant ${tenant} trusts no certificate of SHA-256 ${wanted} (see cups ca list)`);
  return changed;
}
