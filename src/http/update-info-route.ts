import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  CupsProtocolError,
  encodeUpdateInfoResponse,
  formatEuiHex,
  formatId6,
  MAX_REQUEST_BYTES,
  parseUpdateInfoRequest,
  type UpdateInfoRequest,
} from '../../protocol/index.ts';
import { resolvePresentedCertificate, type ForwardedCertificateSettings } from '../client-cert/resolve-presented.ts';
import {
  CertificateNotPinned,
  CnNotEui,
  CnRouterMismatch,
  GatewayNotFound,
  InvalidRequest,
  MethodNotAllowed,
  NoClientCertificate,
  TenantMismatch,
} from '../errors.ts';
import type { GatewayRegistry } from '../registry/gateway.ts';
import type { TrustStore } from '../trust/trust-store.ts';
import { certificateEui, parseClientCertificate, scopeAllows, verifyClientChain, type VerifiedChain } from '../trust/verify-chain.ts';
import { decideAnswer } from './decide-answer.ts';

declare module 'fastify' {
  interface FastifyRequest {
    verifiedChain: VerifiedChain | null;
    /** The EUI the request is about, as soon as it is known, for log lines. */
    gatewayEui: string | null;
  }
}

export interface UpdateInfoOptions {
  /** Only what answering needs; the registry may be opened after the app is built. */
  registry: Pick<GatewayRegistry, 'get' | 'recordContact'>;
  trustStore: () => TrustStore;
  forwarded?: ForwardedCertificateSettings;
}

/**
 * POST /update-info. The checks run in a fixed order: certificate present, chain trusted (in
 * onRequest, before the body is read), body valid (while parsing), then CN, router, registry and
 * tenant in the handler.
 */
export const updateInfoRoute: FastifyPluginAsync<UpdateInfoOptions> = async (app: FastifyInstance, options) => {
  app.decorateRequest('verifiedChain', null);
  app.decorateRequest('gatewayEui', null);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: MAX_REQUEST_BYTES }, (_request, body, done) => {
    try {
      done(null, parseUpdateInfoRequest(body as Buffer));
    } catch (error) {
      done(error instanceof CupsProtocolError ? new InvalidRequest(error.message) : (error as Error), undefined);
    }
  });

  const authenticate = async (request: FastifyRequest): Promise<void> => {
    const { presented, ignoredHeaderFrom } = resolvePresentedCertificate(request.raw, options.forwarded);
    if (ignoredHeaderFrom) {
      request.log.warn({ peer: ignoredHeaderFrom, header: options.forwarded?.header }, 'forwarded certificate header ignored: the peer is not a trusted proxy');
    }
    if (!presented) throw new NoClientCertificate('no client certificate was presented');
    const leaf = parseClientCertificate(presented.leaf);
    // Logged with any refusal below: the EUI the certificate claims, proven or not.
    request.gatewayEui = certificateEui(leaf) ?? null;
    request.verifiedChain = verifyClientChain(leaf, presented.chain, options.trustStore());
  };

  app.post('/update-info', { onRequest: authenticate }, async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body as UpdateInfoRequest | undefined;
    if (!body) throw new InvalidRequest('the body must be a JSON update-info request with Content-Type: application/json');
    const chain = request.verifiedChain!;
    const names = chain.leaf.commonNames;
    const eui = certificateEui(chain.leaf);
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
    const gateway = await options.registry.get(eui);
    if (!gateway) throw new GatewayNotFound(`gateway ${eui} is not registered`);
    if (!scopeAllows(chain.scope, gateway.tenant)) {
      throw new TenantMismatch(`the certificate's CA is not trusted for tenant ${gateway.tenant}`);
    }
    // Pinned certificates ("dynamic mTLS"): only after every chain check has passed.
    if (gateway.pinnedCertificates.length > 0 && !gateway.pinnedCertificates.includes(chain.leaf.fingerprint)) {
      throw new CertificateNotPinned(`gateway ${eui} accepts only its pinned certificates; this one is ${chain.leaf.fingerprint}`);
    }
    const answer = decideAnswer(body, gateway);
    const bytes = encodeUpdateInfoResponse(answer);
    await options.registry
      .recordContact(eui, { at: new Date().toISOString(), station: body.station, model: body.model, package: body.package, peer: request.ip })
      .catch((error: unknown) => request.log.error({ eui, err: error }, 'could not record the gateway contact'));
    request.log.info({ eui, tenant: gateway.tenant, peer: request.ip, sent: Object.keys(answer), bytes: bytes.length }, 'update-info answered');
    return reply.code(200).type('application/octet-stream').send(bytes);
  });

  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: '/update-info',
    handler: async (request) => {
      throw new MethodNotAllowed(`${request.method} is not allowed on /update-info; stations POST`);
    },
  });
};
