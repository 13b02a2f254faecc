import type { SecureContextOptions } from 'node:tls';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { ShuttingDown } from '../errors.ts';
import { answerFailures } from './answer-failures.ts';
import { clientErrorHandler } from './client-errors.ts';
import { addressRateLimitPlugin } from './plugins/address-rate-limit.ts';
import { type UpdateInfoOptions, updateInfoRoute } from './update-info-route.ts';

export interface AppOptions extends UpdateInfoOptions {
  /** Native TLS; absent for plain HTTP behind a TLS proxy. */
  https?: SecureContextOptions;
  logger?: FastifyServerOptions['logger'];
  /** Readiness: resolves when the registry answers. */
  isReady: () => Promise<boolean>;
  /** Longest a request may take to arrive, headers and body. */
  requestTimeoutMs: number;
  /** Releases what the app serves from (the registry, the trust-store watcher) when it closes, after its plugins' own closing. */
  release?: () => Promise<void>;
  /** While true (shutting down), every new request is answered 503 and its connection closed. */
  isDraining?: () => boolean;
}

/** How long a ready answer is reused. */
const READINESS_TTL_MS = 1000;

/** How often Node looks for requests over their time (its default, 30 s, would let one linger 40 s). */
const TIMEOUT_CHECK_MS = 1000;

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { requestTimeoutMs } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    // The service writes one line per answer itself; no request bodies or headers are logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Requests that dribble in, headers or body, are cut off (408) rather than holding sockets open.
    requestTimeout: requestTimeoutMs,
    clientErrorHandler: clientErrorHandler(requestTimeoutMs),
    // Given to Node when the server is made: Node 20 ignores a requestTimeout set on the server
    // afterwards (as fastify sets it) for requests already handed over, whose body never comes.
    http: { connectionsCheckingInterval: TIMEOUT_CHECK_MS, requestTimeout: requestTimeoutMs },
    // Behind a trusted proxy, request.ip is the client it forwards (X-Forwarded-For): the address
    // that logs, contact records and the per-address rate limit use.
    ...(options.forwarded ? { trustProxy: (address: string) => options.forwarded!.isTrustedProxy(address) } : {}),
    ...(options.https
      ? {
          https: {
            ...options.https,
            connectionsCheckingInterval: TIMEOUT_CHECK_MS,
            requestTimeout: requestTimeoutMs,
            // Every client is asked for a certificate and the handshake finishes whatever it sends:
            // the service verifies it, and answers (or closes, with closeUnauthenticated) why not.
            requestCert: true,
            rejectUnauthorized: false,
            minVersion: 'TLSv1.2' as const,
          },
        }
      : {}),
  });

  answerFailures(app, 'the body is over 8 KiB; an update-info request is about 250 bytes');

  const isDraining = options.isDraining;
  if (isDraining) {
    app.addHook('onRequest', (_request, reply, done) => {
      if (!isDraining()) return done();
      reply.header('connection', 'close');
      done(new ShuttingDown('the server is shutting down; retry in a few seconds'));
    });
  }

  await app.register(addressRateLimitPlugin, {
    ...(options.rateLimits?.perPeer ? { perPeer: options.rateLimits.perPeer } : {}),
    ...(options.ipv6Prefix !== undefined ? { ipv6Prefix: options.ipv6Prefix } : {}),
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  // Probes (or a flood) share one registry check while it runs, and a ready answer for a second.
  let readiness: { at: number; ready: Promise<boolean> } | undefined;
  app.get('/readyz', async (_request, reply) => {
    const now = Date.now();
    if (!readiness || now - readiness.at >= READINESS_TTL_MS) {
      const check = { at: now, ready: options.isReady().catch(() => false) };
      readiness = check;
      // A failure is not kept: the next probe checks again, so recovery shows at once.
      void check.ready.then((ready) => {
        if (!ready && readiness === check) readiness = undefined;
      });
    }
    const ready = await readiness.ready;
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  // Added before the route: fastify runs onClose hooks last-added first, so this runs after the
  // plugins' own (the contact writer's last batch needs the registry).
  const release = options.release;
  if (release) app.addHook('onClose', () => release());
  await app.register(updateInfoRoute, options);
  return app;
}
