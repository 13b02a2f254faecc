import { constants } from 'node:crypto';
import { createServer } from 'node:https';

/** A bare Node https server asking for client certificates: the native TLS baseline. */
const [cert, key, ca] = JSON.parse(process.argv[2]!) as [string, string, string];
const NOTHING = Buffer.alloc(14);
const server = createServer(
  { cert, key, ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_TICKET },
  (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 14 }).end(NOTHING));
  },
);
server.listen(0, '127.0.0.1', () => process.send?.({ listening: (server.address() as { port: number }).port }));
process.on('SIGTERM', () => process.exit(0));
