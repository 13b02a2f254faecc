import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { CsrfRefused, GatewayNotFound, OperatorOnly, RateLimited, TenantNotFound, Unauthorized } from '../../errors.ts';
import { clientAddressKey } from '../../http/client-address.ts';
import { RateLimiter } from '../../http/rate-limiter.ts';
import { throttledWarning } from '../../lib/throttled-log.ts';
import type { AdminToken, AdminTokens } from '../admin-tokens.ts';
import { type ConsoleSessions, csrfMatches } from '../console-sessions.ts';

/** Failed authentications an address may make: a token is 256 random bits, guessing is hopeless, flooding is not. */
const FAILURES_PER_MINUTE = { perMinute: 10, burst: 10 };

declare module 'fastify' {
  interface FastifyRequest {
    /** The token the request came with, once authenticated. */
    adminToken: AdminToken | null;
  }
  interface FastifyInstance {
    /** An onRequest hook: a live token in `Authorization: Bearer` (or a console session), or 401. */
    requireToken(request: FastifyRequest, reply: FastifyReply): Promise<void>;
    /** The live token this text is, or a refusal counted against the request's address. */
    checkToken(request: FastifyRequest, token: string | undefined): Promise<AdminToken>;
  }
}

export interface AdminAuthOptions {
  tokens: AdminTokens;
  /** The console's sessions, read from their cookie: they stand for the token they were opened with. */
  sessions?: { store: ConsoleSessions; cookie: string };
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Bearer tokens on the admin API, and the console's sessions, which stand for the token they were
 * opened with (a change sent with a session must carry its CSRF token in `x-csrf-token`). Failed
 * attempts are counted per address (then 429) and logged, throttled. A token speaks for every
 * tenant (operator) or one: `tenantAllowed` is how routes ask.
 */
export const bearerAuthPlugin = fp<AdminAuthOptions>(
  async (app, { tokens, sessions }) => {
    app.decorateRequest('adminToken', null);
    const failures = new RateLimiter(FAILURES_PER_MINUTE);
    const warn = throttledWarning((fields, message) => app.log.warn(fields, message), 'admin API authentications failed');
    app.decorate('checkToken', async (request: FastifyRequest, token: string | undefined) => {
      const found = token ? await tokens.authenticate(token) : undefined;
      if (found) return found;
      warn({ peer: request.ip, reason: token ? 'unknown or revoked token' : 'no bearer token' }, 'admin API: authentication failed');
      try {
        failures.enforce(clientAddressKey(request.ip), 'the address');
      } catch (error) {
        throw error instanceof RateLimited ? error : new Unauthorized('authentication failed');
      }
      throw new Unauthorized(token ? 'the token is unknown or revoked' : 'send Authorization: Bearer <token> (cups admin token create)');
    });
    app.decorate('requireToken', async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      const sessionId = sessions && request.cookies[sessions.cookie];
      if (header === undefined && sessionId) {
        const session = await sessions.store.find(sessionId);
        if (session) {
          if (!SAFE_METHODS.has(request.method) && !csrfMatches(request.headers['x-csrf-token'], session))
            throw new CsrfRefused('a change made with a console session must carry its CSRF token (x-csrf-token)');
          request.adminToken = session.token;
          return;
        }
      }
      request.adminToken = await app.checkToken(request, header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined);
    });
  },
  { name: 'cups-admin-bearer-auth', fastify: '5.x', dependencies: ['@fastify/cookie'] },
);

/** Whether the request's token may act for `tenant`: an operator token for all, a tenant token for its own. */
export function tenantAllowed(request: FastifyRequest, tenant: string): boolean {
  const token = request.adminToken;
  return !!token && (token.tenant === null || token.tenant === tenant);
}

/** The same refusal as for a tenant that does not exist: a tenant token learns nothing of another. */
export function requireTenant(request: FastifyRequest, tenant: string): void {
  if (!tenantAllowed(request, tenant)) throw new TenantNotFound(`there is no tenant ${tenant}`);
}

/** The same refusal as for a gateway that does not exist. */
export function requireGatewayTenant(request: FastifyRequest, eui: string, tenant: string | undefined): void {
  if (tenant === undefined || !tenantAllowed(request, tenant)) throw new GatewayNotFound(`gateway ${eui} is not registered`);
}

/** Operations on what every tenant shares (tenants themselves, firmware): operator tokens only. */
export function requireOperator(request: FastifyRequest, what: string): void {
  if (request.adminToken?.tenant !== null) throw new OperatorOnly(`only an operator token ${what}`);
}
