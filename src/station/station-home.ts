import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, formatId6, loadPrivateKey, parseEui, stationCredentialsCrc } from '../../protocol/index.ts';
import { pemBlocks } from '../../protocol/lib/der.ts';
import { InvalidStationHome } from '../errors.ts';

/** One credential set's files as the station keeps them: `<set>.trust`, `.crt`, `.key`, raw bytes. */
export interface CredentialFiles {
  trust: Buffer | null;
  crt: Buffer | null;
  key: Buffer | null;
}

/** A station's home folder: what a Basics Station reads before it calls CUPS. */
export interface StationHome {
  dir: string;
  cupsUri: string | null;
  tcUri: string | null;
  cups: CredentialFiles;
  tc: CredentialFiles;
  /** The raw 64-byte `sig-N.key` files, N = 0, 1, … until one is missing. */
  sigKeys: Buffer[];
  version: string | null;
  /** `station_conf.routerid` of station.conf, where a station takes its EUI from. */
  routerId: string | null;
}

const read = (dir: string, name: string): Buffer | null => (existsSync(join(dir, name)) ? readFileSync(join(dir, name)) : null);
const text = (file: Buffer | null) => (file?.length ? file.toString('utf8').trim() : null);
const credentialFiles = (dir: string, set: string): CredentialFiles => ({
  trust: read(dir, `${set}.trust`),
  crt: read(dir, `${set}.crt`),
  key: read(dir, `${set}.key`),
});

export function readStationHome(dir: string): StationHome {
  if (!existsSync(dir)) throw new InvalidStationHome(`the station folder ${dir} does not exist`);
  const sigKeys: Buffer[] = [];
  for (let n = 0; existsSync(join(dir, `sig-${n}.key`)); n++) sigKeys.push(readFileSync(join(dir, `sig-${n}.key`)));
  return {
    dir,
    cupsUri: text(read(dir, 'cups.uri')),
    tcUri: text(read(dir, 'tc.uri')),
    cups: credentialFiles(dir, 'cups'),
    tc: credentialFiles(dir, 'tc'),
    sigKeys,
    version: text(read(dir, 'version.txt')),
    routerId: routerIdOf(dir),
  };
}

/** PEM of every certificate in a PEM or DER file. */
export function certificatesPem(file: Buffer): string {
  if (file.includes('-----BEGIN'))
    return pemBlocks(file.toString('latin1'))
      .filter((b) => b.label === 'CERTIFICATE')
      .map((b) => new X509Certificate(b.der).toString())
      .join('');
  return new X509Certificate(file).toString();
}

/** A private key file (PEM or DER) as PEM, or undefined when it is not a key (a token file). */
export function keyPem(file: Buffer): string | undefined {
  try {
    return loadPrivateKey(file).export({ type: 'pkcs8', format: 'pem' }) as string;
  } catch {
    return undefined;
  }
}

function routerIdOf(dir: string): string | null {
  const file = read(dir, 'station.conf');
  if (!file) return null;
  let conf: { station_conf?: { routerid?: unknown } };
  try {
    conf = JSON.parse(file.toString('utf8')) as typeof conf;
  } catch (error) {
    throw new InvalidStationHome(`${join(dir, 'station.conf')} is not valid JSON: ${(error as Error).message}`);
  }
  const routerId = conf.station_conf?.routerid;
  if (routerId === undefined) return null;
  if (typeof routerId !== 'string') throw new InvalidStationHome(`station_conf.routerid in ${join(dir, 'station.conf')} must be a string`);
  return routerId;
}

/**
 * The router id to send: --router when given, else station.conf's routerid, as a station takes
 * it; a folder without either (the emulator's convenience) uses its certificate's CN.
 */
export function routerOf(home: StationHome, override?: string): string {
  if (override) return formatId6(parseEui(override));
  if (home.routerId) return formatId6(parseEui(home.routerId));
  if (!home.cups.crt) throw new InvalidStationHome(`no cups.crt in ${home.dir}: give --router`);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(new X509Certificate(certificatesPem(home.cups.crt)).subject)?.[1];
  if (!cn) throw new InvalidStationHome('cups.crt has no CN: give --router');
  return formatId6(parseEui(cn));
}

/** The request body exactly as the station writes it, field order and nulls included. */
export function stationRequestBody(home: StationHome, router: string, version = '2.0.6'): string {
  const crc = (files: CredentialFiles) => stationCredentialsCrc([files.trust, files.crt, files.key]);
  return JSON.stringify({
    router,
    cupsUri: home.cupsUri,
    tcUri: home.tcUri,
    cupsCredCrc: crc(home.cups),
    tcCredCrc: crc(home.tc),
    station: `${version}(cups-emulator) LoRa Basics Station ${version} behaviour`,
    model: 'linux',
    package: home.version,
    keys: home.sigKeys.map((key) => crc32(key)),
  });
}
