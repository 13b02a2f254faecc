import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  CupsProtocolError,
  encodeUpdateInfoResponseHead,
  formatEuiHex,
  formatId6,
  MAX_REQUEST_BYTES,
  parseUpdateInfoRequest,
  type UpdateInfoRequest,
} from '../../protocol/index.ts';
import type { AuditEvent } from '../audit/audit-trail.ts';
import {
  CertificateNotPinned,
  CertificateRevoked,
  CertificateUntrusted,
  CnNotEui,
  CnRouterMismatch,
  Failure,
  GatewayNotFound,
  InvalidRequest,
  MethodNotAllowed,
  RegistryUnavailable,
} from '../errors.ts';
import type { ServiceObserver } from '../metrics/service-metrics.ts';
import { isRevokedFor } from '../provisioning/revoke-certificate.ts';
import type { Gateway, GatewayRegistry, PresentedCertificate } from '../registry/gateway-registry.ts';
import type { CupsRenewals, RenewalAnswer } from '../renewal/renew-over-cups.ts';
import type { CertificateFacts } from '../trust/certificate-facts.ts';
import { scopeAllows } from '../trust/verify-chain.ts';
import { decideAnswer, decideEnrolment, handedOver, NOTHING_CHANGES } from './decide-answer.ts';
import { type FirmwareSource, firmwareAnswerStream, offerFirmware } from './firmware-offer.ts';
import { type ClientCertificateOptions, clientCertificatePlugin } from './plugins/client-certificate.ts';
import { contactRecordingPlugin } from './plugins/contact-recording.ts';
import { type RateLimit, RateLimiter } from './rate-limiter.ts';
import { RecentRecords } from './recent-records.ts';

/**
 * The answer of a fleet's steady state as text: 14 zero bytes, every one ASCII, so its UTF-8 is
 * the same bytes. Node writes a text body with the head in one write; a Buffer body goes out as a
 * second chunk of a writev.
 */
const NOTHING_CHANGES_TEXT = NOTHING_CHANGES.bytes.toString('latin1');

/** A verified leaf as a contact records it, made once per certificate (a fleet presents the same ones again and again). */
const presentedCertificates = new WeakMap<CertificateFacts, PresentedCertificate>();
function presented(leaf: CertificateFacts): PresentedCertificate {
  let known = presentedCertificates.get(leaf);
  if (!known) {
    known = { sha256: leaf.fingerprint, serial: leaf.serialNumber, notAfter: leaf.notAfter.toISOString() };
    presentedCertificates.set(leaf, known);
  }
  return known;
}

/** Levels at which the steady-state "nothing changes" answers are logged. */
const VERBOSE_LEVELS = new Set(['debug', 'trace']);

export interface UpdateInfoOptions extends ClientCertificateOptions {
  /** Only what answering needs; the registry may be opened after the app is built. */
  registry: Pick<GatewayRegistry, 'get' | 'recordContacts'>;
  firmware?: FirmwareSource;
  /** Calls allowed per gateway (by the EUI its certificate proves) and per client address (every route); absent: unlimited. */
  rateLimits?: { perEui?: RateLimit; perPeer?: RateLimit };
  /**
   * While the registry cannot be reached, a gateway whose record was read this recently (ms) is
   * answered from that record; 0 or absent: every gateway gets 503 registry_unavailable.
   */
  staleAnswersMs?: number;
  /** Told of every answer (its code and time), what it handed over, and stale answers: the metrics. */
  observer?: ServiceObserver;
  /** Each answer that hands something over, as an audit event. */
  auditHandover?: (event: AuditEvent) => void;
  /** Renews gateway certificates over CUPS, for tenants with an issuing CA. */
  renewals?: Pick<CupsRenewals, 'forAnswer'>;
}

/**
 * POST /update-info. The checks run in a fixed order: certificate present and chain trusted (the
 * client-certificate plugin, in onRequest, before the body is read), body valid (while parsing),
 * then, in the handler, the gateway's authorization (CN, router, registry and tenant, pins, its
 * rate) and the answer.
 */
export const updateInfoRoute: FastifyPluginAsync<UpdateInfoOptions> = async (app: FastifyInstance, options) => {
  await app.register(clientCertificatePlugin, options);
  await app.register(contactRecordingPlugin, options);
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

  const { observer } = options;
  const perEui = options.rateLimits?.perEui && new RateLimiter(options.rateLimits.perEui);
  const recent = options.staleAnswersMs ? new RecentRecords(options.staleAnswersMs) : undefined;
  /** Answers given from a remembered record while the registry was unavailable. */
  let staleAnswers = 0;

  // Content-Type is not read at all: an empty or malformed one must not stop the body being read.
  // (Emptied rather than deleted: deleting a key would slow every later read of the headers.)
  const ignoreContentType = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    request.headers['content-type'] = undefined;
    done();
  };

  // The body is what the content-type parser above returns (absent when nothing was sent).
  app.post<{ Body: UpdateInfoRequest | undefined }>(
    '/update-info',
    {
      onRequest: [ignoreContentType, app.authenticateClient],
      // Refusals are counted as they are made; answers, as they are sent (below): no hook per answer.
      ...(observer
        ? {
            onError: (_request: FastifyRequest, reply: FastifyReply, error: Error, done: () => void) => {
              observer.answered(error instanceof Failure ? error.code : 'internal_error', reply.elapsedTime / 1000);
              done();
            },
          }
        : {}),
    },
    async (request, reply) => {
      const body = request.body;
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
        throw new GatewayNotFound(`gateway ${eui} is not registered to a tenant whose CAs issued this certificate`, {
          logDetail: gateway
            ? { registeredTo: gateway.tenant, certificateTenants: chain.scope === 'all' ? 'all' : [...chain.scope] }
            : { registered: false },
        });
      }
      // A self-signed certificate speaks only for the gateway registered with it.
      if (chain.selfSigned && gateway.selfSignedCertificate !== chain.leaf.fingerprint) {
        throw new GatewayNotFound(`gateway ${eui} is not registered with this self-signed certificate`, {
          logDetail: { registeredTo: gateway.tenant, selfSigned: chain.leaf.fingerprint },
        });
      }
      // Pinned certificates ("dynamic mTLS"): only after every chain check has passed.
      if (gateway.pinnedCertificates.length > 0 && !gateway.pinnedCertificates.includes(chain.leaf.fingerprint)) {
        throw new CertificateNotPinned(`gateway ${eui} accepts only its pinned certificates; this one is ${chain.leaf.fingerprint}`);
      }
      if (isRevokedFor(gateway, chain.leaf)) {
        throw new CertificateRevoked(
          `the certificate ${chain.leaf.fingerprint} (serial ${chain.leaf.serialNumber}) was revoked for gateway ${eui} by its operator`,
        );
      }
      // Counted only now that the certificate is proven to speak for this gateway: nobody else can
      // spend a gateway's calls.
      perEui?.enforce(eui, 'gateway');
      // A certificate from the tenant's bootstrap CA only enrols: its answer is the operational certificate.
      const enrolling = chain.bootstrapFor?.has(gateway.tenant) ?? false;
      // From a remembered record, nothing is renewed: that would need the registry.
      const renewal = staleMs === undefined ? await renew(gateway, chain.leaf, enrolling, request) : undefined;
      if (enrolling && !renewal?.cupsCredentials) {
        throw new CertificateUntrusted(
          `a certificate from a bootstrap CA only enrols, and no operational certificate can be issued for tenant ${gateway.tenant} now ` +
            '(it needs an issuing CA: cups tenant set-issuer)',
        );
      }
      const served = renewal?.gateway ?? gateway;
      const decided = enrolling
        ? decideEnrolment(body, renewal!.cupsCredentials!)
        : decideAnswer(body, renewal?.cupsCredentials ? { ...served, cupsCredentials: renewal.cupsCredentials } : served);
      // From a remembered record, nothing that needs the registry: no firmware offer; none while enrolling.
      const update =
        staleMs === undefined && !enrolling && options.firmware
          ? await offerFirmware(options.firmware, body, gateway, request.log)
          : undefined;
      // request.ip is worked out from the forwarding headers at each read: once here.
      const peer = request.ip;
      app.recordContact(eui, { station: body.station, model: body.model, package: body.package, peer, certificate: presented(chain.leaf) });
      reply.code(200).type('application/octet-stream');
      observer?.answered('ok', reply.elapsedTime / 1000);
      // What the answer hands over, for the metrics, the audit trail and the log line.
      const handed = update ? handedOver(decided.response, 'update') : decided.handed;
      if (handed) {
        observer?.handedOver(handed.sent);
        options.auditHandover?.({
          actor: 'station',
          action: 'update-info.handover',
          tenant: gateway.tenant,
          eui,
          // Written out, as below: an object made by spreading takes V8's slow path when serialized.
          detail: { sent: handed.sent, tcCredCrc: handed.tcCredCrc, cupsCredCrc: handed.cupsCredCrc, firmware: update?.version, peer },
        });
      }
      if (!update) {
        const bytes = handed ? decided.bytes : NOTHING_CHANGES_TEXT;
        // An answer that hands something over is an audit event, logged; "nothing changes" is the
        // steady state of a fleet, logged only when asked for.
        const level = handed ? 'info' : 'debug';
        if (level === 'info' || VERBOSE_LEVELS.has(request.log.level)) {
          request.log[level](
            {
              eui,
              tenant: gateway.tenant,
              peer,
              sent: handed?.sent ?? [],
              tcCredCrc: handed?.tcCredCrc,
              cupsCredCrc: handed?.cupsCredCrc,
              bytes: bytes.length,
            },
            'update-info answered',
          );
        }
        return reply.send(bytes);
      }
      const head = encodeUpdateInfoResponseHead(
        { ...decided.response, ...(update.signature ? { signature: update.signature } : {}) },
        update.size,
      );
      request.log.info(
        {
          eui,
          tenant: gateway.tenant,
          peer,
          ...handed,
          firmware: update.version,
          keyCrc: update.signature?.keyCrc,
          bytes: head.length + update.size,
        },
        'update-info answered with a firmware update',
      );
      reply.header('content-length', head.length + update.size);
      return reply.send(firmwareAnswerStream(head, options.firmware!.images, update.sha256));
    },
  );

  /** A renewal's part of the answer; a renewal that cannot be made now is logged and the answer goes without it (the old certificate still works). */
  async function renew(
    gateway: Gateway,
    leaf: CertificateFacts,
    enrolling: boolean,
    request: FastifyRequest,
  ): Promise<RenewalAnswer | undefined> {
    if (!options.renewals) return undefined;
    try {
      return await options.renewals.forAnswer(gateway, leaf, enrolling);
    } catch (error) {
      request.log.error(
        { eui: gateway.eui, err: error },
        'could not renew the gateway certificate now; answered without it, asked again next time',
      );
      return undefined;
    }
  }

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
      observer?.registryError('read');
      const kept = error instanceof RegistryUnavailable ? recent?.recall(eui) : undefined;
      if (!kept) throw error;
      staleAnswers++;
      observer?.staleAnswer();
      request.log.warn(
        { eui, readSecondsAgo: Math.round(kept.ageMs / 1000), staleAnswers, err: error },
        'registry unavailable: answered from the record read before',
      );
      return { gateway: kept.gateway, staleMs: kept.ageMs };
    }
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
