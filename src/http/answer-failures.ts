import type { FastifyError, FastifyInstance } from 'fastify';
import { Failure, InvalidRequest, RequestTooLarge, RouteNotFound } from '../errors.ts';
import { httpStatus } from './http-status.ts';

/** Fastify errors that are the client's fault, mapped to the service's refusals. */
function asFailure(error: FastifyError, tooLarge: string): Failure | undefined {
  if (error instanceof Failure) return error;
  if (error.statusCode === 413) return new RequestTooLarge(tooLarge);
  // Any other client error fastify finds before the service (a header it cannot read) is the request's fault, never a 500.
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return new InvalidRequest(error.message);
  return undefined;
}

/**
 * Every failure answered one way, in every app of the service: its HTTP status (http-status.ts),
 * `{ code, message }`, and a log line with the reason and peer; anything else is a 500 whose
 * details go to the log only. `tooLarge` says what a body over the app's limit is told.
 */
export function answerFailures(app: FastifyInstance, tooLarge: string): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const failure = asFailure(error, tooLarge);
    const status = failure && httpStatus(failure);
    if (!failure || status === undefined) {
      request.log.error({ err: error, peer: request.ip }, 'request failed');
      return reply.code(500).send({ code: 'internal_error', message: 'the server failed to answer; see its log' });
    }
    const line = { eui: request.gatewayEui ?? undefined, reason: failure.code, peer: request.ip, ...failure.logDetail };
    if (status >= 500) request.log.error(line, failure.message);
    else request.log.warn(line, failure.message);
    if (failure.retryAfterSeconds !== undefined) reply.header('retry-after', String(failure.retryAfterSeconds));
    return reply.code(status).send({ code: failure.code, message: failure.message });
  });
  app.setNotFoundHandler((request, reply) => {
    const failure = new RouteNotFound(`no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(httpStatus(failure)!).send({ code: failure.code, message: failure.message });
  });
}
