import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { type Failure, InvalidRequest, RequestHeadersTooLarge, RequestTimedOut } from '../errors.ts';
import { throttledWarning } from '../lib/throttled-log.ts';
import { httpStatus } from './http-status.ts';

/**
 * Answers what Node's HTTP parser refuses before any route sees it: a request (headers or body)
 * not arrived within the request timeout, headers over Node's limit, bytes that are no HTTP. The
 * answer is the service's own JSON error (code and message), and the connection is closed.
 * Node's request timeout runs until the whole request, body included, has arrived: no timer per
 * request is needed for bodies that dribble in.
 */
export function clientErrorHandler(
  requestTimeoutMs: number,
): (this: FastifyInstance, error: Error & { code?: string }, socket: Socket) => void {
  let warn: ReturnType<typeof throttledWarning> | undefined;
  // Fastify calls it with the instance as `this`: its logger.
  return function answer(this: FastifyInstance, error, socket) {
    warn ??= throttledWarning((fields, message) => this.log.warn(fields, message), 'requests refused by the HTTP parser');
    // A connection reset has nothing left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    let failure: Failure;
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
      failure = new RequestTimedOut(`the request did not arrive within ${requestTimeoutMs} ms`);
    else if (error.code === 'HPE_HEADER_OVERFLOW') failure = new RequestHeadersTooLarge('the request headers are over 16 KiB');
    else failure = new InvalidRequest(`the request is not valid HTTP/1.1 (${error.code ?? error.message})`);
    warn({ peer: socket.remoteAddress, reason: failure.code }, failure.message);
    const status = httpStatus(failure)!;
    const body = JSON.stringify({ code: failure.code, message: failure.message });
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
