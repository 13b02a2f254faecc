import { hash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  type ForwardedCertificateSettings,
  readForwardedHeaders,
  resolvePresentedCertificate,
} from '../../client-cert/resolve-presented.ts';
import { type ErrorCode, Failure, NoClientCertificate } from '../../errors.ts';
import type { ServiceObserver } from '../../metrics/service-metrics.ts';
import type { TrustStore } from '../../trust/trust-store.ts';
import type { VerificationCache } from '../../trust/verification-cache.ts';
import { certificateEui, parseClientCertificate, type VerifiedChain, verifyClientChain } from '../../trust/verify-chain.ts';
import { clientAddressKey } from '../client-address.ts';
import { DEFAULT_FAIR_QUEUE_LIMITS, FairQueue, type FairQueueLimits } from '../fair-queue.ts';

export interface ClientCertificateOptions {
  trustStore: () => TrustStore;
  /** Verified chains by what was presented; the owner clears it when the trust store changes. */
  verificationCache?: VerificationCache;
  forwarded?: ForwardedCertificateSettings;
  /** IPv6 prefix length counted as one client by the verification queue. */
  ipv6Prefix?: number;
  /** How many new chains are verified at once and how many may wait (see FairQueue). */
  verificationQueue?: FairQueueLimits;
  /** Told of each cache hit and miss (the metrics). */
  observer?: Pick<ServiceObserver, 'verificationCache' | 'verificationQueue'>;
  /** How long past its nextUpdate a CRL still counts. */
  crlGraceMs?: number;
  /** The tenant of a gateway registered with this self-signed certificate (by SHA-256), where its tenant allows that. */
  selfSignedTenant?: (sha256: string) => Promise<string | undefined>;
  /**
   * Native TLS with --tls-reject-unauthorized: a client whose certificate is missing or refused
   * gets no HTTP answer; its connection is closed, as a refused handshake would be.
   */
  closeUnauthenticated?: boolean;
}

type OnRequest = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

declare module 'fastify' {
  interface FastifyRequest {
    verifiedChain: VerifiedChain | null;
    /** The EUI the request is about, as soon as it is known, for log lines. */
    gatewayEui: string | null;
  }
  interface FastifyInstance {
    /** An onRequest hook: sets request.verifiedChain, or refuses the request for its certificate. */
    authenticateClient: OnRequest;
  }
}

/** Refusals of the certificate itself: with closeUnauthenticated, the connection closes instead. */
const CERTIFICATE_REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'no_client_certificate',
  'certificate_untrusted',
  'certificate_expired',
  'certificate_not_yet_valid',
  'certificate_not_client',
]);

/**
 * Client-certificate authentication: where the certificate comes from (the TLS handshake or a
 * trusted proxy's header), the verification cache, and the fair queue new chains wait in.
 * Decorates each request with its verified chain and the EUI it claims, and the instance with
 * the onRequest hook that routes take.
 */
export const clientCertificatePlugin = fp<ClientCertificateOptions>(
  async (app, options) => {
    app.decorateRequest('verifiedChain', null);
    app.decorateRequest('gatewayEui', null);
    const verifications = new FairQueue(options.verificationQueue ?? DEFAULT_FAIR_QUEUE_LIMITS);

    // With a callback, synchronous unless a chain must be verified: a gateway calling again costs
    // lookups only, and a promise per request costs.
    const authenticate: OnRequest = (request, _reply, done) => {
      const refuse = (error: Error) => {
        if (options.closeUnauthenticated && error instanceof Failure && CERTIFICATE_REFUSALS.has(error.code)) {
          // No answer at all: the connection ends as a refused handshake would; the log says why.
          request.log.warn(
            { eui: request.gatewayEui ?? undefined, reason: error.code, peer: request.ip },
            `connection closed: ${error.message}`,
          );
          request.raw.socket.destroy();
          return;
        }
        done(error);
      };
      let verifying: Promise<void> | undefined;
      try {
        verifying = verify(request);
      } catch (error) {
        refuse(error as Error);
        return;
      }
      if (verifying) verifying.then(() => done(), refuse);
      else done();
    };

    /** Accepts the chain kept under `key`, if one is; says whether it did. */
    const acceptCached = (request: FastifyRequest, key: string | undefined): boolean => {
      const cached = key ? options.verificationCache?.get(key) : undefined;
      if (!cached) return false;
      acceptChain(request, cached);
      options.observer?.verificationCache(true);
      return true;
    };

    /** Sets request.verifiedChain: at once from the cache, or once the chain is verified (the promise). */
    const verify = (request: FastifyRequest): Promise<void> | undefined => {
      const cache = options.verificationCache;
      const headers = readForwardedHeaders(request.raw, options.forwarded);
      // A gateway calling again with the same forwarded header: no PEM parsing, no chain walk.
      // A digest is the key, not the text: a PEM header is over 1 KB, and the cache holds many.
      const headerKey =
        cache && headers && 'value' in headers
          ? `header:${hash('sha256', headers.chainValue === undefined ? headers.value : `${headers.value}\n${headers.chainValue}`, 'base64')}`
          : undefined;
      if (acceptCached(request, headerKey)) return undefined;
      const { presented, ignoredHeaderFrom } = resolvePresentedCertificate(request.raw, headers);
      if (ignoredHeaderFrom) {
        request.log.warn(
          { peer: ignoredHeaderFrom, header: options.forwarded?.header },
          'forwarded certificate header ignored: the peer is not a trusted proxy',
        );
      }
      if (!presented) throw new NoClientCertificate('no client certificate was presented');
      const tlsKey =
        !headerKey && presented.source === 'tls'
          ? `tls:${hash('sha256', Buffer.concat([presented.leaf, ...presented.chain]), 'base64')}`
          : undefined;
      if (acceptCached(request, tlsKey)) return undefined;
      options.observer?.verificationCache(false);
      const leaf = parseClientCertificate(presented.leaf);
      // Logged with any refusal below: the EUI the certificate claims, proven or not.
      request.gatewayEui = certificateEui(leaf) ?? null;
      // A new chain costs signature checks: the client's address waits its turn for them.
      return verifications.run(clientAddressKey(request.ip, options.ipv6Prefix), async () => {
        const store = options.trustStore();
        const chain = await verifyClientChain(leaf, presented.chain, store, new Date(), options.crlGraceMs, options.selfSignedTenant);
        acceptChain(request, chain);
        const key = headerKey ?? tlsKey;
        // Not a chain verified against a trust store that has changed since (and dropped the cache);
        // nor a self-signed certificate, whose registration is the registry's to withdraw.
        if (key && options.trustStore() === store && !chain.selfSigned) cache?.set(key, chain);
      });
    };

    app.decorate('authenticateClient', authenticate);
    options.observer?.verificationQueue(() => verifications.load);
  },
  { name: 'cups-client-certificate', fastify: '5.x' },
);

function acceptChain(request: FastifyRequest, chain: VerifiedChain): void {
  request.gatewayEui = certificateEui(chain.leaf) ?? null;
  request.verifiedChain = chain;
}
