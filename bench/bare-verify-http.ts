import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:http';

/**
 * The floor of a storm behind a proxy: a bare Node http server that reads the forwarded
 * certificate and verifies its signature by the tenant CA (node:crypto), answering 14 bytes.
 */
const [caPem, header] = JSON.parse(process.argv[2]!) as [string, string];
const caKey = new X509Certificate(caPem).publicKey;
const NOTHING = Buffer.alloc(14);
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const pem = decodeURIComponent(String(req.headers[header] ?? ''));
    const verified = new X509Certificate(pem).verify(caKey);
    res.writeHead(verified ? 200 : 403, { 'content-type': 'application/octet-stream', 'content-length': 14 }).end(NOTHING);
  });
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 511 }, () =>
  process.send?.({ listening: (server.address() as { port: number }).port }),
);
process.on('SIGTERM', () => process.exit(0));
