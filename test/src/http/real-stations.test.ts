import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../../fixtures/test-pki.ts';
import { decodeUpdateInfoResponse } from '../../../protocol/index.ts';
import { createCertificate, type IssuedCertificate, OID } from '../../../src/pki/create-certificate.ts';
import { VECTORS } from '../../helpers/paths.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';

/** The gateway the captured stations were: router "16:c001:ff00:1". */
const STATION_EUI = '0016C001FF000001';
const capture = (version: string) => readFileSync(join(VECTORS, 'basicstation-requests', `station-${version}.http`));

let pki: TestPki;
let server: TestServer;
let station: IssuedCertificate;
beforeAll(async () => {
  pki = await createTestPki();
  station = await createCertificate({ subject: STATION_EUI, issuer: pki.intA, extKeyUsage: [OID.clientAuth] });
  server = await startTestServer(pki, { extraGateways: [[STATION_EUI, 'tenant-a']] });
});
afterAll(() => server.server.close());

/** The exact bytes over TLS 1.2, as the station sends them (SNI only from 2.0.4 on); the status and body of the answer. */
function replay(bytes: Buffer, sni: boolean): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port: server.port,
        ca: pki.serverCa.pem,
        cert: station.pem + pki.intA.pem,
        key: station.keyPem,
        minVersion: 'TLSv1.2',
        maxVersion: 'TLSv1.2',
        ...(sni ? { servername: 'localhost' } : { checkServerIdentity: () => undefined }),
      },
      () => socket.write(bytes),
    );
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = data.subarray(0, end).toString('latin1');
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
      if (data.length < end + 4 + length) return;
      socket.end();
      resolve({ status: Number(head.slice(9, 12)), body: data.subarray(end + 4, end + 4 + length) });
    });
    socket.on('error', reject);
  });
}

describe('what real Basics Station builds send, byte for byte (fixtures/vectors/basicstation-requests)', () => {
  it.each([
    ['2.0.6', true],
    ['2.0.3 (no Content-Type, no SNI)', false],
  ])('station %s gets 200 with its LNS', async (version, sni) => {
    const answer = await replay(capture(version.split(' ')[0]!), sni);
    expect(answer.status, answer.body.toString()).toBe(200);
    expect(decodeUpdateInfoResponse(answer.body).tcUri).toBe('wss://lns-tenant-a.example:8887');
  });

  it("The Things Stack's documented curl command, word for word (a form Content-Type), gets 200 with the LNS", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cups-curl-doc-'));
    writeFileSync(join(dir, 'gateway.crt'), station.pem + pki.intA.pem);
    writeFileSync(join(dir, 'gateway.key'), station.keyPem);
    writeFileSync(join(dir, 'ca.crt'), pki.serverCa.pem);
    const { stdout } = await promisify(execFile)(
      'curl',
      [
        '--cert',
        join(dir, 'gateway.crt'),
        '--key',
        join(dir, 'gateway.key'),
        '--cacert',
        join(dir, 'ca.crt'),
        `https://localhost:${server.port}/update-info`,
        '-d',
        '{"router":"16:c001:ff00:1"}',
      ],
      { encoding: 'buffer' },
    );
    expect(decodeUpdateInfoResponse(stdout).tcUri).toBe('wss://lns-tenant-a.example:8887');
  });
});
