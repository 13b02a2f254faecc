import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IssuedCertificate } from './create-certificate.ts';
import { createGatewayCertificate, describeIssued, type IssuedGateway } from './gateway-certificate.ts';
import type { KeyType } from './keys.ts';

export interface StationFiles {
  /** Appended to cups.crt so that the server receives the intermediates too. */
  chainPem: string;
  cupsUri?: string;
  cupsTrustPem?: string;
}

export interface IssuedIntoFolder extends IssuedGateway {
  certPem: string;
  keyPem: string;
}

/** Issues one gateway's certificate and writes its station home folder `dir/<EUI>/`. */
export async function issueIntoFolder(
  issuer: IssuedCertificate,
  dir: string,
  eui: string,
  options: { keyType: KeyType; days: number; files: StationFiles },
): Promise<IssuedIntoFolder> {
  const cert = await createGatewayCertificate(issuer, eui, { keyType: options.keyType, days: options.days });
  const home = join(dir, eui);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'cups.crt'), cert.pem + options.files.chainPem);
  writeFileSync(join(home, 'cups.key'), cert.keyPem, { mode: 0o600 });
  // The station reads cups.uri as it is: no trailing newline.
  if (options.files.cupsUri) writeFileSync(join(home, 'cups.uri'), options.files.cupsUri);
  if (options.files.cupsTrustPem) writeFileSync(join(home, 'cups.trust'), options.files.cupsTrustPem);
  return { ...describeIssued(eui, cert), certPem: cert.pem, keyPem: cert.keyPem };
}
