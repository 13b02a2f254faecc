import { isIP, connect as plainConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { CupsUnreachable, InvalidStationHome } from '../errors.ts';
import { certificatesPem, keyPem, type StationHome } from './station-home.ts';

export interface CupsReply {
  status: number;
  body: Buffer;
}

/** The station versions whose requests differ on the wire: 2.0.4 added Content-Type and SNI. */
export const STATION_VERSIONS = ['2.0.6', '2.0.3'] as const;
export type StationVersion = (typeof STATION_VERSIONS)[number];

const sendsContentType = (version: StationVersion) => version !== '2.0.3';

/**
 * The request bytes a Basics Station writes: `POST /update-info HTTP/1.1`, Host, the token's
 * header lines in token mode, Content-Type (from 2.0.4 on), and Content-Length padded with
 * spaces to five characters; no other header (fixtures/vectors/basicstation-requests).
 */
function stationRequestBytes(host: string, body: string, version: StationVersion, tokenLines: string[] = []): Buffer {
  const length = Buffer.byteLength(body);
  const head = [
    'POST /update-info HTTP/1.1',
    `Host: ${host}`,
    ...tokenLines,
    ...(sendsContentType(version) ? ['Content-Type: application/json'] : []),
    `Content-Length: ${String(length).padStart(5, ' ')}`,
  ];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body)]);
}

/**
 * POSTs /update-info to the station's CUPS URI as the station does: TLS 1.2 only, SNI from 2.0.4
 * on (never for an IP address), the client certificate from cups.crt/cups.key (or, in token
 * mode, the header lines of cups.key), the server checked against cups.trust, and the request
 * bytes of stationRequestBytes.
 */
export function callUpdateInfo(home: StationHome, body: string, version: StationVersion = '2.0.6'): Promise<CupsReply> {
  if (!home.cupsUri) throw new InvalidStationHome(`no cups.uri in ${home.dir}: where is the CUPS server?`);
  const url = new URL(home.cupsUri);
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let tokenLines: string[] = [];
  let socket: Socket;
  if (secure) {
    if (!home.cups.trust) throw new InvalidStationHome(`no cups.trust in ${home.dir}: cannot check the server`);
    const key = home.cups.key && keyPem(home.cups.key);
    const client = home.cups.crt && key ? { cert: certificatesPem(home.cups.crt), key } : {};
    if (!key && home.cups.key?.length) tokenLines = home.cups.key.toString('latin1').split(/\r?\n/).filter(Boolean);
    const sni = sendsContentType(version) && !isIP(host);
    socket = tlsConnect({
      host,
      port,
      ca: certificatesPem(home.cups.trust),
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      ...client,
      ...(sni ? { servername: host } : {}),
    });
  } else {
    socket = plainConnect({ host, port });
  }
  const request = stationRequestBytes(url.host, body, version, tokenLines);
  return readReply(socket, request);
}

/** Writes the request once connected and reads one HTTP/1.1 answer: by Content-Length, or to the end. */
function readReply(socket: Socket, request: Buffer): Promise<CupsReply> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    let settled = false;
    const finish = (error: Error | undefined, reply?: CupsReply) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error) reject(error);
      else resolve(reply!);
    };
    const parse = (ended: boolean) => {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return ended ? finish(new CupsUnreachable('CUPS closed the connection without an HTTP answer')) : undefined;
      const head = data.subarray(0, end).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
      const body = data.subarray(end + 4);
      if (length !== undefined && body.length >= Number(length))
        return finish(undefined, { status, body: body.subarray(0, Number(length)) });
      if (ended) finish(undefined, { status, body });
    };
    // Both kinds of socket hold what is written until they are connected (TLS: until the handshake is done).
    socket.write(request);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      parse(false);
    });
    socket.on('end', () => parse(true));
    socket.on('error', (error) => finish(error));
    socket.setTimeout(30_000, () => finish(new CupsUnreachable('no answer from CUPS within 30 seconds')));
  });
}
