import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../../fixtures/test-pki.ts';
import { VECTORS } from '../../helpers/paths.ts';
import { runCli } from '../../helpers/run-cli.ts';

interface Recorded {
  bytes: Buffer;
  protocol: string | null;
  servername: string | false;
}

/** A TLS server that records the first request it gets and answers the 14-byte "nothing changes". */
function recordingServer(pki: TestPki): Promise<{ port: number; recorded: Promise<Recorded>; close: () => void }> {
  let record!: (value: Recorded) => void;
  const recorded = new Promise<Recorded>((resolve) => (record = resolve));
  const server = createServer(
    { cert: pki.server.pem, key: pki.server.keyPem, requestCert: true, rejectUnauthorized: false },
    (socket: TLSSocket) => {
      let data = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        const end = data.indexOf('\r\n\r\n');
        const length = Number(/Content-Length:\s*(\d+)/.exec(data.toString('latin1'))?.[1]);
        if (end < 0 || data.length < end + 4 + length) return;
        record({
          bytes: data,
          protocol: socket.getProtocol(),
          servername: (socket as TLSSocket & { servername: string | false }).servername,
        });
        socket.end(
          Buffer.concat([
            Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 14\r\n\r\n'),
            Buffer.alloc(14),
          ]),
        );
      });
    },
  );
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as { port: number }).port, recorded, close: () => server.close() }),
    ),
  );
}

/** A request's header lines with Host's value left out, whether Content-Length is padded to five, and its body's field names in order. */
function shape(bytes: Buffer) {
  const [head, body] = bytes.toString('latin1').split('\r\n\r\n') as [string, string];
  return {
    lines: head.split('\r\n').map((line) => line.replace(/^Host: .*/, 'Host:').replace(/^Content-Length: .*/, 'Content-Length:')),
    lengthPaddedToFive: /\r\nContent-Length: [ \d]{5}$/.test(head),
    fields: Object.keys(JSON.parse(body) as object),
  };
}

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
});

describe('cups update-info sends what a real station sends (fixtures/vectors/basicstation-requests)', () => {
  it.each([
    ['2.0.6', 'localhost'],
    ['2.0.3', false],
  ] as const)('station %s: the captured request shape, over TLS 1.2, SNI %s', async (version, servername) => {
    const server = await recordingServer(pki);
    try {
      const home = mkdtempSync(join(tmpdir(), 'cups-wire-'));
      writeFileSync(join(home, 'cups.uri'), `https://localhost:${server.port}`);
      writeFileSync(join(home, 'cups.trust'), pki.serverCa.pem);
      writeFileSync(join(home, 'cups.crt'), pki.leaves.a.pem);
      writeFileSync(join(home, 'cups.key'), pki.leaves.a.keyPem);
      const result = await runCli(['update-info', '--home', home, '--station-version', version]);
      expect(result.stderr).toBe('');
      const sent = await server.recorded;
      const captured = readFileSync(join(VECTORS, 'basicstation-requests', `station-${version}.http`));
      expect(shape(sent.bytes)).toEqual(shape(captured));
      expect(shape(captured).lengthPaddedToFive).toBe(true);
      expect(sent.bytes.toString('latin1')).toContain(`\r\nHost: localhost:${server.port}\r\n`);
      expect(sent.protocol).toBe('TLSv1.2');
      expect(sent.servername).toBe(servername);
      const body = JSON.parse(sent.bytes.toString().split('\r\n\r\n')[1]!) as Record<string, unknown>;
      expect(body).toMatchObject({
        router: 'b827:ebff:fe12:3456',
        tcUri: null,
        station: expect.stringMatching(new RegExp(`^${version.replace(/\./g, '\\.')}\\(`)),
      });
    } finally {
      server.close();
    }
  });
});
