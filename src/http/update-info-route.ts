import { hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  CupsProtocolError,
  encodeUpdateInfoResponse,
  encodeUpdateInfoResponseHead,
  formatEuiHex,
  formatId6,
  MAX_REQUEST_BYTES,
  parseUpdateInfoRequest,
  type UpdateInfoRequest,
} from '../../protocol/index.ts';
import { type ForwardedCertificateSettings, readForwardedHeaders, resolvePresentedCertificate } from '../client-cert/resolve-presented.ts';
import {
  CertificateNotPinned,
  CnNotEui,
  CnRouterMismatch,
  GatewayNotFound,
  InvalidRequest,
  MethodNotAllowed,
  NoClientCertificate,
  type Refusal,
  RegistryUnavailable,
} from '../errors.ts';
import { DEFAULT_CHANNEL, type FirmwareCatalog } from '../firmware/catalog.ts';
import { decideUpdate } from '../firmware/decide-update.ts';
import { imagePath } from '../firmware/image-store.ts';
import { ContactThrottle, ContactWriter } from '../registry/contact-recorder.ts';
import type { Gateway, GatewayRegistry } from '../registry/gateway.ts';
import type { TrustStore } from '../trust/trust-store.ts';
import type { VerificationCache } from '../trust/verification-cache.ts';
import { certificateEui, parseClientCertificate, scopeAllows, type VerifiedChain, verifyClientChain } from '../trust/verify-chain.ts';
import { clientAddressKey } from './client-address.ts';
import { decideAnswer } from './decide-answer.ts';
import { DEFAULT_FAIR_QUEUE_LIMITS, FairQueue, type FairQueueLimits } from './fair-queue.ts';
import { type RateLimit, RateLimiter } from './rate-limiter.ts';
import { RecentRecords } from './recent-records.ts';

/** The answer of a fleet's steady state, encoded once. */
const NOTHING_CHANGES = encodeUpdateInfoResponse({});

/** Levels at which the steady-state "nothing changes" answers are logged. */
const VERBOSE_LEVELS = new Set(['debug', 'trace']);

declare module 'fastify' {
  interface FastifyRequest {
    verifiedChain: VerifiedChain | null;
    /** The EUI the request is about, as soon as it is known, for log lines. */
    gatewayEui: string | null;
  }
}

export interface UpdateInfoOptions {
  /** Only what answering needs; the registry may be opened after the app is built. */
  registry: Pick<GatewayRegistry, 'get' | 'recordContacts'>;
  /** Firmware updates: the catalog (in the registry database) and the folder holding the images. */
  firmware?: { catalog: FirmwareCatalog; dir: string };
  trustStore: () => TrustStore;
  /** Verified chains by what was presented; the owner clears it when the trust store changes. */
  verificationCache?: VerificationCache;
  forwarded?: ForwardedCertificateSettings;
  /** Calls allowed per gateway (by the EUI its certificate proves) and per client address (every route); absent: unlimited. */
  rateLimits?: { perEui?: RateLimit; perPeer?: RateLimit };
  /** IPv6 prefix length counted as one client by the per-address limit and the verification queue. */
  ipv6Prefix?: number;
  /** How many new chains are verified at once and how many may wait (see FairQueue). */
  verificationQueue?: FairQueueLimits;
  /**
   * Native TLS with --tls-reject-unauthorized: a client whose certificate is missing or refused
   * gets no HTTP answer; its connection is closed, as a refused handshake would be.
   */
  closeUnauthenticated?: boolean;
  /**
   * While the registry cannot be reached, a gateway whose record was read this recently (ms) is
   * answered from that record; 0 or absent: every gateway gets 503 registry_unavailable.
   */
  staleAnswersMs?: number;
}

/** Refusals of the certificate itself: with closeUnauthenticated, the connection closes instead. */
const CERTIFICATE_REFUSALS = new Set([401, 403]);

/**
 * POST /update-info. The checks run in a fixed order: certificate present, chain trusted (in
 * onRequest, before the body is read), body valid (while parsing), then CN, router, registry and
 * tenant in the handler.
 */
export const updateInfoRoute: FastifyPluginAsync<UpdateInfoOptions> = async (app: FastifyInstance, options) => {
  app.decorateRequest('verifiedChain', null);
  app.decorateRequest('gatewayEui', null);
  app.removeAllContentTypeParsers();
  // The body is read as the update-info JSON whatever Content-Type says, or when there is none:
  // stations before 2.0.4 send none, and curl -d sends a form type. Size, JSON and the schema decide.
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_REQUEST_BYTES }, (_request, body, done) => {
    try {
      done(null, parseUpdateInfoRequest(body as string));
    } catch (error) {
      done(error instanceof CupsProtocolError ? new InvalidRequest(error.message) : (error as Error), undefined);
    }
  });

  const contacts = new ContactThrottle();
  const contactWriter = new ContactWriter(options.registry, (error, euis) =>
    app.log.error({ gateways: euis.length, euis: euis.slice(0, 20), err: error }, 'could not record the gateway contact'),
  );
  app.addHook('onClose', () => contactWriter.flush());
  const verifications = new FairQueue(options.verificationQueue ?? DEFAULT_FAIR_QUEUE_LIMITS);
  const perEui = options.rateLimits?.perEui && new RateLimiter(options.rateLimits.perEui);
  const clientKey = (request: FastifyRequest) => clientAddressKey(request.ip, options.ipv6Prefix);
  const recent = options.staleAnswersMs ? new RecentRecords(options.staleAnswersMs) : undefined;
  /** Answers given from a remembered record while the registry was unavailable. */
  let staleAnswers = 0;

  // With a callback, synchronous unless a chain must be verified: a gateway calling again costs
  // lookups only, and a promise per request costs.
  const authenticate = (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    const refuse = (error: Error) => {
      if (options.closeUnauthenticated && CERTIFICATE_REFUSALS.has((error as Refusal).status)) {
        // No answer at all: the connection ends as a refused handshake would; the log says why.
        request.log.warn(
          { eui: request.gatewayEui ?? undefined, reason: (error as Refusal).code, peer: request.ip },
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
    const cachedByHeader = headerKey ? cache?.get(headerKey) : undefined;
    if (cachedByHeader) {
      acceptChain(request, cachedByHeader);
      return undefined;
    }
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
    const cachedByTls = tlsKey ? cache?.get(tlsKey) : undefined;
    if (cachedByTls) {
      acceptChain(request, cachedByTls);
      return undefined;
    }
    const leaf = parseClientCertificate(presented.leaf);
    // Logged with any refusal below: the EUI the certificate claims, proven or not.
    request.gatewayEui = certificateEui(leaf) ?? null;
    // A new chain costs signature checks: the client's address waits its turn for them.
    return verifications.run(clientKey(request), async () => {
      const store = options.trustStore();
      const chain = await verifyClientChain(leaf, presented.chain, store);
      acceptChain(request, chain);
      const key = headerKey ?? tlsKey;
      // Not a chain verified against a trust store that has changed since (and dropped the cache).
      if (key && options.trustStore() === store) cache?.set(key, chain);
    });
  };

  // Content-Type is not read at all: an empty or malformed one must not stop the body being read.
  const ignoreContentType = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    delete request.headers['content-type'];
    done();
  };

  app.post('/update-info', { onRequest: [ignoreContentType, authenticate] }, async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body as UpdateInfoRequest | undefined;
    if (!body) throw new InvalidRequest('the body must be a JSON update-info request');
    const chain = request.verifiedChain!;
    const names = chain.leaf.commonNames;
    // Set from the same leaf by authentication.
    const eui = request.gatewayEui;
    if (!eui) {
      throw new CnNotEui(
        names.length === 1
          ? `the certificate CN "${names[0]}" is not 16 hex digits`
          : `the certificate has ${names.length} CN attributes; exactly one, of 16 hex digits, is required`,
      );
    }
    const router = formatEuiHex(body.router);
    if (router !== eui) {
      throw new CnRouterMismatch(`the certificate is for ${eui} but router names ${router} (${formatId6(body.router)})`);
    }
    const { gateway, staleMs } = await readGateway(eui, request);
    // Unregistered, or registered to a tenant this certificate cannot speak for: one answer, so
    // that no tenant learns of another's gateways. The log keeps which for the operator.
    if (!gateway || !scopeAllows(chain.scope, gateway.tenant)) {
      throw new GatewayNotFound(
        `gateway ${eui} is not registered to a tenant whose CAs issued this certificate`,
        gateway
          ? { registeredTo: gateway.tenant, certificateTenants: chain.scope === 'all' ? 'all' : [...chain.scope] }
          : { registered: false },
      );
    }
    // Pinned certificates ("dynamic mTLS"): only after every chain check has passed.
    if (gateway.pinnedCertificates.length > 0 && !gateway.pinnedCertificates.includes(chain.leaf.fingerprint)) {
      throw new CertificateNotPinned(`gateway ${eui} accepts only its pinned certificates; this one is ${chain.leaf.fingerprint}`);
    }
    // Counted only now that the certificate is proven to speak for this gateway: nobody else can
    // spend a gateway's calls.
    perEui?.enforce(eui, 'gateway');
    const answer = decideAnswer(body, gateway);
    // From a remembered record, nothing that needs the registry: no firmware offer.
    const update = staleMs === undefined ? await offerUpdate(body, gateway, request) : undefined;
    const report = { station: body.station, model: body.model, package: body.package, peer: request.ip };
    if (contacts.shouldRecord(eui, report)) contactWriter.record(eui, { at: new Date().toISOString(), ...report });
    reply.code(200).type('application/octet-stream');
    if (!update) {
      const bytes = Object.keys(answer).length === 0 ? NOTHING_CHANGES : encodeUpdateInfoResponse(answer);
      // An answer that changes something is worth a line; "nothing changes" is the steady state of a fleet.
      const level = bytes.length > 14 ? 'info' : 'debug';
      if (level === 'info' || VERBOSE_LEVELS.has(request.log.level)) {
        request.log[level](
          { eui, tenant: gateway.tenant, peer: request.ip, sent: Object.keys(answer), bytes: bytes.length },
          'update-info answered',
        );
      }
      return reply.send(bytes);
    }
    // The image streams from disk after the encoded head: no image is ever held in memory whole.
    const head = encodeUpdateInfoResponseHead({ ...answer, ...(update.signature ? { signature: update.signature } : {}) }, update.size);
    request.log.info(
      {
        eui,
        tenant: gateway.tenant,
        peer: request.ip,
        sent: [...Object.keys(answer), 'update'],
        firmware: update.version,
        keyCrc: update.signature?.keyCrc,
        bytes: head.length + update.size,
      },
      'update-info answered with a firmware update',
    );
    reply.header('content-length', head.length + update.size);
    return reply.send(Readable.from(concatStreams(head, update.path)));
  });

  /**
   * The gateway's record from the registry; when the registry cannot be reached, the record read
   * in the last staleAnswersMs, if any (logged, and counted), with its age.
   */
  async function readGateway(eui: string, request: FastifyRequest): Promise<{ gateway: Gateway | undefined; staleMs?: number }> {
    try {
      const gateway = await options.registry.get(eui);
      if (gateway) recent?.remember(gateway);
      return { gateway };
    } catch (error) {
      const kept = error instanceof RegistryUnavailable ? recent?.recall(eui) : undefined;
      if (!kept) throw error;
      staleAnswers++;
      request.log.warn(
        { eui, readSecondsAgo: Math.round(kept.ageMs / 1000), staleAnswers, err: error },
        'registry unavailable: answered from the record read before',
      );
      return { gateway: kept.gateway, staleMs: kept.ageMs };
    }
  }

  /** The firmware a station should get now, if any; the reason when none is logged. */
  async function offerUpdate(body: UpdateInfoRequest, gateway: Gateway, request: FastifyRequest) {
    if (!options.firmware || !body.model) return undefined;
    const catalog = options.firmware.catalog;
    const channel = await catalog.channel(body.model, gateway.firmwareChannel ?? DEFAULT_CHANNEL);
    const target = gateway.firmwarePin ?? channel?.targetVersion;
    const image = target ? await catalog.image(body.model, target) : undefined;
    const decision = decideUpdate(body, gateway, channel, image);
    if (!decision.send) {
      if (target) request.log.info({ eui: gateway.eui, firmware: target }, `no firmware update: ${decision.reason}`);
      return undefined;
    }
    const path = imagePath(options.firmware.dir, decision.image.sha256);
    const size = await stat(path).then(
      (s) => s.size,
      () => -1,
    );
    if (size !== decision.image.size) {
      request.log.error(
        { eui: gateway.eui, firmware: decision.image.version, path },
        'firmware image missing or altered on disk: no update sent',
      );
      return undefined;
    }
    return {
      path,
      size,
      version: decision.image.version,
      signature: decision.signature && { keyCrc: decision.signature.keyCrc, der: decision.signature.signature },
    };
  }

  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: '/update-info',
    onRequest: ignoreContentType,
    handler: async (request) => {
      throw new MethodNotAllowed(`${request.method} is not allowed on /update-info; stations POST`);
    },
  });
};

function acceptChain(request: FastifyRequest, chain: VerifiedChain): void {
  request.gatewayEui = certificateEui(chain.leaf) ?? null;
  request.verifiedChain = chain;
}

async function* concatStreams(head: Buffer, path: string): AsyncGenerator<Buffer> {
  yield head;
  for await (const chunk of createReadStream(path)) yield chunk as Buffer;
}
