import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaExists, CaUnreadable } from '../errors.ts';
import { createCertificate, type IssuedCertificate } from './create-certificate.ts';
import type { KeyType } from './keys.ts';
import { loadIssuer } from './load-issuer.ts';

/**
 * A CA folder as `cups pki init-ca` writes it: `root.pem`/`root.key`, and with an intermediate
 * `intermediate.pem`/`intermediate.key` plus `chain.pem` (intermediate then root). The issuing
 * CA is the intermediate when there is one. Keys are written 0600.
 */
export const CA_FILES = {
  root: 'root.pem',
  rootKey: 'root.key',
  intermediate: 'intermediate.pem',
  intermediateKey: 'intermediate.key',
  chain: 'chain.pem',
} as const;

export interface CaOptions {
  cn: string;
  keyType: KeyType;
  days: number;
  intermediate: boolean;
}

export async function initCa(dir: string, options: CaOptions): Promise<{ root: IssuedCertificate; intermediate?: IssuedCertificate }> {
  if (existsSync(join(dir, CA_FILES.rootKey))) throw new CaExists(`${dir} already holds a CA; choose another --out`);
  const root = await createCertificate({ subject: options.cn, ca: true, keyType: options.keyType, days: options.days });
  const intermediate = options.intermediate
    ? await createCertificate({
        subject: `${options.cn} Issuing CA`,
        issuer: root,
        ca: true,
        pathLength: 0,
        keyType: options.keyType,
        days: options.days,
      })
    : undefined;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, CA_FILES.root), root.pem);
  writeFileSync(join(dir, CA_FILES.rootKey), root.keyPem, { mode: 0o600 });
  if (intermediate) {
    writeFileSync(join(dir, CA_FILES.intermediate), intermediate.pem);
    writeFileSync(join(dir, CA_FILES.intermediateKey), intermediate.keyPem, { mode: 0o600 });
    writeFileSync(join(dir, CA_FILES.chain), intermediate.pem + root.pem);
  }
  return { root, ...(intermediate ? { intermediate } : {}) };
}

export interface IssuingCa {
  certPem: string;
  keyPem: string;
  /** Certificates to append to each gateway's cups.crt so the server gets the chain. */
  chainPem: string;
}

/** The issuing CA of a folder made by initCa. */
export function readIssuingCa(dir: string): IssuingCa {
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch {
      throw new CaUnreadable(`${join(dir, name)} cannot be read: is --ca a folder made by "cups pki init-ca"?`);
    }
  };
  if (existsSync(join(dir, CA_FILES.intermediateKey))) {
    const certPem = read(CA_FILES.intermediate);
    return { certPem, keyPem: read(CA_FILES.intermediateKey), chainPem: certPem };
  }
  return { certPem: read(CA_FILES.root), keyPem: read(CA_FILES.rootKey), chainPem: '' };
}

export async function issuerOf(ca: IssuingCa): Promise<IssuedCertificate> {
  return loadIssuer(ca.certPem, ca.keyPem);
}
