import { hash, timingSafeEqual } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { parseJsonStrictly } from '../../protocol/lib/strict-json.ts';
import type { AuditTrail } from '../audit/audit-trail.ts';
import { consolePlugin } from '../console/console-plugin.ts';
import { InvalidRequest, Unauthorized } from '../errors.ts';
import { answerFailures } from '../http/answer-failures.ts';
import { packageVersion } from '../lib/package-version.ts';
import type { ServiceMetrics } from '../metrics/service-metrics.ts';
import type { CupsCertificateCheck } from '../provisioning/gateway-input.ts';
import type { GatewayRegistry } from '../registry/gateway-registry.ts';
import type { AdminTokens } from './admin-tokens.ts';
import { type ConsoleSessions, sessionCookieName } from './console-sessions.ts';
import type { FleetCounter } from './fleet-counts.ts';
import { bearerAuthPlugin } from './plugins/bearer-auth.ts';
import { auditRoutes } from './routes/audit.ts';
import { type CaRoutesOptions, caRoutes, crlRoutes } from './routes/cas.ts';
import { type FirmwareRoutesOptions, firmwareRoutes } from './routes/firmware.ts';
import { gatewayRoutes } from './routes/gateways.ts';
import { overviewRoutes } from './routes/overview.ts';
import { tenantRoutes } from './routes/tenants.ts';
import type { TenantDirectory } from './tenant-directory.ts';

export interface AdminAppOptions {
  registry: Pick<GatewayRegistry, 'get' | 'page' | 'add' | 'addMany' | 'update' | 'remove'>;
  tokens: AdminTokens;
  tenants: TenantDirectory;
  audit: AuditTrail;
  checkCupsCertificate: CupsCertificateCheck;
  trust: CaRoutesOptions['trust'];
  databaseTrust: CaRoutesOptions['databaseTrust'];
  firmware: Omit<FirmwareRoutesOptions, 'audit'>;
  fleet: FleetCounter;
  /** The web console's sign-ins. */
  sessions: ConsoleSessions;
  /**
   * Whether browsers reach this listener over TLS (its own, or a proxy's in front): the console's
   * cookie is then Secure.
   */
  secureCookies: boolean;
  metrics?: ServiceMetrics;
  /** When set, GET /metrics asks for `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  https?: SecureContextOptions;
  /** The service's logger (a child of it), shared with the gateways' listener. */
  logger?: FastifyBaseLogger;
}

const BODY_LIMIT = 256 * 1024;
/** What every refusal answers: a machine-readable code and a message saying what to do. */
const FAILURE = {
  type: 'object',
  description: 'a refusal',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
} as const;

/**
 * The operator API, on a listener of its own (never the gateways' port): JSON routes with their
 * schemas, described by the OpenAPI document at /api/openapi.json, behind bearer tokens (or a
 * console session); the web console over it at /console/; and the Prometheus metrics at /metrics.
 */
export async function buildAdminApp(options: AdminAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : {}),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // An unknown key is refused, not dropped: a misspelt field must not pass for an absent one.
    ajv: { customOptions: { removeAdditional: false } },
    ...(options.https ? { https: { ...options.https, minVersion: 'TLSv1.2' as const } } : {}),
  });
  answerFailures(app, `the body is over ${BODY_LIMIT / 1024} KiB`);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonStrictly(body as string));
    } catch (error) {
      done(new InvalidRequest(`the body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'CUPS server admin API', version: packageVersion() },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  // Every operation's refusals, described once: the OpenAPI document lists them with its answers.
  app.addHook('onRoute', (route) => {
    if (!route.schema || route.schema.hide) return;
    route.schema.response = { ...(route.schema.response as object), '4xx': FAILURE, '5xx': FAILURE };
  });
  await app.register(cookie);
  const sessionCookie = sessionCookieName(options.secureCookies);
  await app.register(bearerAuthPlugin, { tokens: options.tokens, sessions: { store: options.sessions, cookie: sessionCookie } });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const { metrics, metricsToken } = options;
  if (metrics) {
    const expected = metricsToken && hash('sha256', metricsToken, 'buffer');
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (expected) {
        const given = request.headers.authorization?.startsWith('Bearer ') ? request.headers.authorization.slice(7) : '';
        if (!timingSafeEqual(hash('sha256', given, 'buffer'), expected))
          throw new Unauthorized('send Authorization: Bearer <the --metrics-token>');
      }
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }

  await app.register(async (api) => {
    api.addHook('onRequest', api.requireToken);
    await api.register(tenantRoutes, { tenants: options.tenants, audit: options.audit });
    await api.register(caRoutes, options);
    await api.register(crlRoutes, options);
    await api.register(gatewayRoutes, options);
    await api.register(firmwareRoutes, { ...options.firmware, audit: options.audit });
    await api.register(auditRoutes, { audit: options.audit });
    await api.register(overviewRoutes, {
      fleet: options.fleet,
      tenants: options.tenants,
      trust: options.trust,
      ...(metrics ? { refusals: metrics.recentRefusals } : {}),
    });
  });
  await app.register(consolePlugin, {
    prefix: '/console',
    sessions: options.sessions,
    cookie: sessionCookie,
    secure: options.secureCookies,
  });
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/', 303));
  app.addHook('onClose', () => options.fleet.close());
  return app;
}
