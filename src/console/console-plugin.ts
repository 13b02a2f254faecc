import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { type ConsoleSessions, csrfMatches, SESSION_MS } from '../admin/console-sessions.ts';
import { CsrfRefused, Failure, RateLimited } from '../errors.ts';
import { httpStatus } from '../http/http-status.ts';
import { packageRoot } from '../lib/package-root.ts';
import { type ApiCall, ApiRefusal, apiCall } from './api-client.ts';
import { html } from './html.ts';
import { page, type Viewer } from './layout.ts';
import { auditPages } from './pages/audit.ts';
import { firmwarePages } from './pages/firmware.ts';
import { gatewayPages } from './pages/gateways.ts';
import { overviewPage } from './pages/overview.ts';
import { signInPages } from './pages/sign-in.ts';
import { tenantPages } from './pages/tenants.ts';

export interface ConsoleOptions {
  sessions: ConsoleSessions;
  /** The session cookie's name (sessionCookieName). */
  cookie: string;
  /** Whether the browser reaches the console over TLS (here, or at a proxy): the cookie is then Secure. */
  secure: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, on console pages. */
    viewer: Viewer | null;
    /** The admin API, called as the signed-in user. */
    api: ApiCall;
  }
}

/** What pages may load: the console's own files; no inline script or style, no other origin, no framing. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** An uploaded PEM or CRL file, and any pasted one: at most this. */
const UPLOAD_LIMIT = 256 * 1024;
const ASSETS = { 'console.css': 'text/css; charset=utf-8', 'console.js': 'text/javascript; charset=utf-8' } as const;
/** Pages reached without a session: the sign-in form and the files every page loads. */
const OPEN = /^\/console\/(sign-in|assets\/)/;

/**
 * The web console on the admin listener: server-rendered pages over the admin API. A sign-in opens
 * a session (an HttpOnly, SameSite=Strict cookie, Secure over TLS) that stands for the admin token
 * it was opened with; every page reads, and every form changes, through the API as that token.
 * Forms carry the session's CSRF token and are refused from any other site.
 */
export const consolePlugin: FastifyPluginAsync<ConsoleOptions> = async (app, options) => {
  const assets = Object.fromEntries(
    Object.keys(ASSETS).map((name) => [name, readFileSync(join(packageRoot(), 'src', 'console', 'assets', name))]),
  ) as Record<keyof typeof ASSETS, Buffer>;
  await app.register(formbody, { bodyLimit: UPLOAD_LIMIT });
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: UPLOAD_LIMIT, files: 1, fields: 20, fieldSize: UPLOAD_LIMIT, parts: 21 },
  });
  app.decorateRequest('viewer', null);
  app.decorateRequest('api', null as unknown as ApiCall);

  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    if (!reply.getHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  // Before any body is read: who is asking. A change from another site is refused whoever asks.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'POST' && crossSite(request)) throw new CsrfRefused('a change to the console must come from its own pages');
    const path = request.url.split('?')[0]!;
    if (OPEN.test(path)) return;
    const id = request.cookies[options.cookie];
    const session = id ? await options.sessions.find(id) : undefined;
    if (!session || !id) return signInFirst(request, reply);
    request.viewer = session;
    request.api = apiCall(app, { cookie: options.cookie, id, csrf: session.csrf });
  });
  // Every change carries the session's CSRF token, in the form.
  app.addHook('preHandler', async (request) => {
    if (request.method !== 'POST' || !request.viewer) return;
    const given = (request.body as Record<string, unknown> | undefined)?._csrf;
    if (!csrfMatches(given, request.viewer))
      throw new CsrfRefused('the form is not one this console gave you (or the session changed): reload the page');
  });

  app.setErrorHandler(async (error, request, reply) => {
    const failure = failureOf(error);
    if (failure.status >= 500) request.log.error({ err: error }, 'console page failed');
    if (error instanceof RateLimited && error.retryAfterSeconds) reply.header('retry-after', error.retryAfterSeconds);
    return reply
      .code(failure.status)
      .type('text/html; charset=utf-8')
      .send(
        page(
          failure.status === 404 ? 'Not found' : 'Refused',
          html`<p class="error" role="alert"><strong>${failure.code}</strong>: ${failure.message}</p><p><a href="/console/">Back to the overview</a></p>`,
          request.viewer ?? undefined,
        ),
      );
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply
      .code(404)
      .type('text/html; charset=utf-8')
      .send(
        page('Not found', html`<p>There is no such page. <a href="/console/">Back to the overview</a></p>`, request.viewer ?? undefined),
      ),
  );

  app.get<{ Params: { name: string } }>('/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const name = request.params.name as keyof typeof ASSETS;
    if (!Object.hasOwn(ASSETS, name)) return reply.callNotFound();
    return reply.type(ASSETS[name]).header('cache-control', 'public, max-age=300').send(assets[name]);
  });

  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'strict', secure: options.secure } as const;
  await app.register(signInPages, {
    signIn: async (request: FastifyRequest, reply: FastifyReply, token: string) => {
      // A sign-in replaces the session the browser had, if any.
      const previous = request.cookies[options.cookie];
      if (previous) await options.sessions.end(previous);
      reply.setCookie(options.cookie, await options.sessions.open(token), { ...cookieOptions, maxAge: SESSION_MS / 1000 });
    },
    signOut: async (request: FastifyRequest, reply: FastifyReply) => {
      const id = request.cookies[options.cookie];
      if (id) await options.sessions.end(id);
      reply.clearCookie(options.cookie, cookieOptions);
    },
  });
  await app.register(overviewPage);
  await app.register(gatewayPages);
  await app.register(tenantPages);
  await app.register(firmwarePages);
  await app.register(auditPages);
};

/** What a page shows of a failure: the API's refusal as it came, the service's own by its code, a bad request as such. */
function failureOf(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof ApiRefusal) return { status: error.status, code: error.code, message: error.message };
  if (error instanceof Failure) return { status: httpStatus(error) ?? 500, code: error.code, message: error.message };
  // fastify's own: a body or query its schema refuses, a body too large.
  const status = (error as { statusCode?: number }).statusCode;
  if (status !== undefined && status >= 400 && status < 500) return { status, code: 'invalid_request', message: (error as Error).message };
  return { status: 500, code: 'internal_error', message: 'the console failed; the log says why' };
}

/** Whether the browser says the request comes from another site or origin (older browsers say nothing: the CSRF token decides). */
function crossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  return site !== undefined && site !== 'same-origin';
}

/** A page asked for without a session: to the sign-in form, which comes back here afterwards. */
async function signInFirst(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const back = request.method === 'GET' ? request.url : '/console/';
  await reply.redirect(`/console/sign-in?next=${encodeURIComponent(back)}`, 303);
}
