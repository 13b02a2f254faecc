import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Failure, InvalidRequest } from '../../errors.ts';
import { httpStatus } from '../../http/http-status.ts';
import { html } from '../html.ts';
import { page, refusal } from '../layout.ts';

interface SignInOptions {
  /** Opens a session for a live token and sets its cookie. */
  signIn: (request: FastifyRequest, reply: FastifyReply, token: string) => Promise<void>;
  /** Ends the request's session and clears its cookie. */
  signOut: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/** Where to go after signing in: a console page of this server, nothing else (no open redirect). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/console(\/[A-Za-z0-9._~%/?=&+-]*)?$/.test(next) && !next.includes('//') ? next : '/console/';
}

const signInForm = (next: string, problem?: { code: string; message: string }) =>
  page(
    'Sign in',
    html`${refusal(problem)}
<form method="post" action="/console/sign-in" class="card narrow">
  <input type="hidden" name="next" value="${next}">
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required maxlength="128" aria-describedby="token-help">
  <p id="token-help" class="help">A token made by <code>cups admin token create</code>. It stays on the server; the browser keeps only a session cookie.</p>
  <button type="submit">Sign in</button>
</form>`,
  );

/** A token and where to go next: anything larger is not a sign-in, and is not read for one who has not signed in. */
const SIGN_IN_LIMIT = 4096;
const FORM_TYPE = 'application/x-www-form-urlencoded';
const bodySchema = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', maxLength: 128 }, next: { type: 'string', maxLength: 512 } },
} as const;

/** Sign-in with an admin token (counted and throttled like the API's), and sign-out. */
export const signInPages: FastifyPluginAsync<SignInOptions> = async (app, { signIn, signOut }) => {
  app.get<{ Querystring: { next?: string } }>('/sign-in', { schema: { hide: true } }, async (request, reply) =>
    reply.type('text/html; charset=utf-8').send(signInForm(safeNext(request.query.next))),
  );

  app.post<{ Body: { token: string; next?: string } }>(
    '/sign-in',
    {
      bodyLimit: SIGN_IN_LIMIT,
      // The form's own encoding only: a multipart body would be read, files and all, before any check.
      onRequest: async (request) => {
        if (!request.headers['content-type']?.startsWith(FORM_TYPE)) throw new InvalidRequest(`sign in with the form (${FORM_TYPE})`);
      },
      schema: { hide: true, body: bodySchema },
    },
    async (request, reply) => {
      const next = safeNext(request.body.next);
      const token = request.body.token.trim();
      try {
        await app.checkToken(request, token);
      } catch (error) {
        if (!(error instanceof Failure)) throw error;
        if (error.retryAfterSeconds) reply.header('retry-after', error.retryAfterSeconds);
        return reply
          .code(httpStatus(error) ?? 401)
          .type('text/html; charset=utf-8')
          .send(signInForm(next, error));
      }
      await signIn(request, reply, token);
      return reply.redirect(next, 303);
    },
  );

  app.post('/sign-out', { schema: { hide: true } }, async (request, reply) => {
    await signOut(request, reply);
    return reply.redirect('/console/sign-in', 303);
  });
};
