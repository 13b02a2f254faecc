import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server as TlsServer, SecureContextOptions } from 'node:tls';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { trustedProxyMatcher } from '../client-cert/trusted-proxies.ts';
import type { ServeOptions } from '../config/serve-options.ts';
import { buildApp } from '../http/build-app.ts';
import { openRegistry } from '../registry/open-registry.ts';
import { TrustStoreWatcher } from '../trust/watch-trust-store.ts';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  watcher: TrustStoreWatcher;
  close(): Promise<void>;
}

/** Starts `cups serve`: trust store watcher, registry, and the HTTP(S) listener. */
export async function startServer(options: ServeOptions, logDestination?: NodeJS.WritableStream): Promise<RunningServer> {
  const registry = openRegistry(options.db);
  const tls = options.tlsCert && options.tlsKey
    ? { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) }
    : undefined;
  if (!!options.tlsCert !== !!options.tlsKey) throw new Error('--tls-cert and --tls-key go together');
  // No session tickets: a resumed session carries no chain, and none may stand in for a certificate.
  const context = (ca: string[]): SecureContextOptions => ({ ...tls, ca, minVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_TICKET });
  let watcher!: TrustStoreWatcher;
  const app = await buildApp({
    registry,
    trustStore: () => watcher.current,
    isReady: async () => (await registry.get('0000000000000000'), true),
    logger: { level: options.logLevel, ...(logDestination ? { stream: logDestination } : {}) },
    ...(tls ? { https: { ...context([]), rejectUnauthorized: options.tlsRejectUnauthorized } } : {}),
    ...(options.clientCertHeader
      ? {
          forwarded: {
            header: options.clientCertHeader,
            ...(options.clientChainHeader ? { chainHeader: options.clientChainHeader } : {}),
            isTrustedProxy: trustedProxyMatcher(options.trustProxy),
          },
        }
      : {}),
  });
  watcher = new TrustStoreWatcher(resolve(options.tenants), app.log);
  if (tls) {
    // The CA list asks clients for certificates of known CAs and, with --tls-reject-unauthorized,
    // lets the handshake refuse the others; new connections see a changed store without a restart.
    watcher.onChange((store) => (app.server as unknown as TlsServer).setSecureContext(context(store.pem)));
  }
  await watcher.start();
  const address = await app.listen({ port: options.port, host: options.host });
  return {
    app,
    url: address,
    watcher,
    async close() {
      await app.close();
      await watcher.stop();
      await registry.close();
    },
  };
}
