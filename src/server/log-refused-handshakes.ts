import type { Server as TlsServer } from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';

/** Refused handshakes logged one by one in each window; past that, one line counts the rest. */
const LINES_PER_WINDOW = 20;
const WINDOW_MS = 60_000;

/**
 * Logs TLS handshakes the server refused (a protocol version, cipher or certificate it does
 * not accept, a client that hung up mid-handshake), with the peer and OpenSSL's reason: a
 * station logs only an EOF, so the server's log is where an operator learns why. Rate-limited:
 * a scan or flood costs a line a minute beyond the first few.
 */
export function logRefusedHandshakes(server: TlsServer, log: FastifyBaseLogger): void {
  let windowStart = 0;
  let logged = 0;
  let suppressed = 0;
  server.on('tlsClientError', (error: Error & { code?: string }, socket) => {
    const now = Date.now();
    if (now - windowStart >= WINDOW_MS) {
      if (suppressed > 0)
        log.warn({ refused: suppressed, windowMs: WINDOW_MS }, `${suppressed} more TLS handshakes refused (not logged one by one)`);
      windowStart = now;
      logged = 0;
      suppressed = 0;
    }
    if (logged >= LINES_PER_WINDOW) {
      suppressed++;
      return;
    }
    logged++;
    log.warn({ peer: socket.remoteAddress, reason: error.code ?? 'tls_error' }, `TLS handshake refused: ${error.message}`);
  });
}
