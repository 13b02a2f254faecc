import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IssuedCertificate } from './create-certificate.ts';
import { createGatewayCertificate, describeIssued, type IssuedGateway } from './gateway-certificate.ts';
import type { KeyType } from './keys.ts';
import { stationConf } from './station-conf.ts';

export interface StationFiles {
  /** Appended to cups.crt so that the server receives the intermediates too. */
  chainPem: string;
  cupsUri?: string;
  cupsTrustPem?: string;
  /** The vendor's station.conf template (see stationConf); each folder gets it with its own routerid. */
  stationConfTemplate?: string;
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
  if (options.files.stationConfTemplate) writeFileSync(join(home, 'station.conf'), stationConf(options.files.stationConfTemplate, eui));
  return { ...describeIssued(eui, cert), certPem: cert.pem, keyPem: cert.keyPem };
}
