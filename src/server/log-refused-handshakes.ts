import type { Server as TlsServer } from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';
import { throttledWarning } from '../lib/throttled-log.ts';

/**
 * Logs TLS handshakes the server refused (a protocol version, cipher or certificate it does
 * not accept, a client that hung up mid-handshake), with the peer and OpenSSL's reason: a
 * station logs only an EOF, so the server's log is where an operator learns why. Throttled.
 */
export function logRefusedHandshakes(server: TlsServer, log: FastifyBaseLogger): void {
  const warn = throttledWarning((fields, message) => log.warn(fields, message), 'TLS handshakes refused');
  server.on('tlsClientError', (error: Error & { code?: string }, socket) => {
    warn({ peer: socket.remoteAddress, reason: error.code ?? 'tls_error' }, `TLS handshake refused: ${error.message}`);
  });
}
