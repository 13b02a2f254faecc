import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import { InvalidStationHome } from '../errors.ts';
import { certificatesPem, keyPem, type StationHome } from './station-home.ts';

export interface CupsReply {
  status: number;
  body: Buffer;
}

/**
 * POSTs /update-info to the station's CUPS URI as the station does: only Host, Content-Type and
 * Content-Length, the client certificate from cups.crt/cups.key (or, in token mode, the header
 * lines of cups.key), and the server checked against cups.trust.
 */
export function callUpdateInfo(home: StationHome, body: string): Promise<CupsReply> {
  if (!home.cupsUri) throw new InvalidStationHome(`no cups.uri in ${home.dir}: where is the CUPS server?`);
  const url = new URL('/update-info', home.cupsUri);
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
  const tls: Record<string, unknown> = {};
  if (url.protocol === 'https:') {
    if (!home.cups.trust) throw new InvalidStationHome(`no cups.trust in ${home.dir}: cannot check the server`);
    tls.ca = certificatesPem(home.cups.trust);
    tls.servername = url.hostname;
    const key = home.cups.key && keyPem(home.cups.key);
    if (home.cups.crt && key) {
      tls.cert = certificatesPem(home.cups.crt);
      tls.key = key;
    } else if (home.cups.key?.length) {
      for (const line of home.cups.key.toString('latin1').split(/\r?\n/).filter(Boolean)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      }
    }
  }
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? request : plainRequest;
    const req = send(url, { method: 'POST', headers, agent: false, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('no answer from CUPS within 30 seconds')));
    req.end(body);
  });
}
