import { readFileSync } from 'node:fs';
import { formatId6, parseEui } from '../protocol/index.ts';
import type { StationRequest } from './load-generator.ts';

/** The request a real Basics Station 2.0.6 wrote (fixtures/vectors), its head and its JSON body. */
const CAPTURED = readFileSync(new URL('../fixtures/vectors/basicstation-requests/station-2.0.6.http', import.meta.url), 'latin1');
const [HEAD, BODY] = CAPTURED.split('\r\n\r\n') as [string, string];
const CAPTURED_HEADERS = Object.fromEntries(
  HEAD.split('\r\n')
    .slice(1)
    .map((line) => line.split(/:\s*/, 2) as [string, string])
    .filter(([name]) => name.toLowerCase() !== 'content-length'),
);

/**
 * The captured station's request for one gateway behind a TLS proxy: its headers and its body's
 * fields and order, with the router set to the gateway's ID6 and the forwarded certificate added.
 * `holds` says what the station already has: nothing from the LNS (first contact: the captured
 * body, `tcUri` null) or the LNS URI and the CRC of the credentials the server holds (steady state).
 */
export function stationRequest(eui: string, certificatePem: string, holds?: { tcUri: string; tcCredCrc: number }): StationRequest {
  const body = { ...(JSON.parse(BODY) as Record<string, unknown>), router: formatId6(parseEui(eui)), ...holds };
  return {
    headers: { ...CAPTURED_HEADERS, 'x-ssl-client-cert': encodeURIComponent(certificatePem) },
    body: JSON.stringify(body),
  };
}
