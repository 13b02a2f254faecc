import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IssuedCertificate } from '../../src/pki/create-certificate.ts';
import { runCliInProcess } from './run-cli.ts';

/** A station home holding `leaf` as its CUPS credentials, pointed at the server on `port`, trusting `serverCaPem`. */
export function stationHome(port: number, serverCaPem: string, leaf: IssuedCertificate): string {
  const home = mkdtempSync(join(tmpdir(), 'station-'));
  writeFileSync(join(home, 'cups.uri'), `https://localhost:${port}`);
  writeFileSync(join(home, 'cups.trust'), serverCaPem);
  writeFileSync(join(home, 'cups.crt'), leaf.pem);
  writeFileSync(join(home, 'cups.key'), leaf.keyPem);
  return home;
}

/** What the station emulator is answered, writing nothing: `ok` for 200, else the refusal's code. */
export async function stationVerdict(port: number, serverCaPem: string, leaf: IssuedCertificate): Promise<string> {
  const result = await runCliInProcess(['update-info', '--home', stationHome(port, serverCaPem, leaf), '--dry-run']);
  if (result.status === 0) return 'ok';
  return /CUPS answered \d+ \((\w+):/.exec(result.stderr)?.[1] ?? result.stderr;
}
