import { constants } from 'node:crypto';
import { createServer } from 'node:https';

/**
 * A bare Node https server asking for client certificates: the native TLS baseline. With `verify`,
 * OpenSSL also verifies each client's chain against `ca` in the handshake (the storm's floor).
 */
const [cert, key, ca, verify] = JSON.parse(process.argv[2]!) as [string, string, string, boolean?];
const NOTHING = Buffer.alloc(14);
const server = createServer(
  { cert, key, ca, requestCert: true, rejectUnauthorized: !!verify, minVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_TICKET },
  (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 14 }).end(NOTHING));
  },
);
server.listen({ port: 0, host: '127.0.0.1', backlog: 511 }, () =>
  process.send?.({ listening: (server.address() as { port: number }).port }),
);
process.on('SIGTERM', () => process.exit(0));
