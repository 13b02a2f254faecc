import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ClientCertificateAmbiguous, ClientCertificateMalformed } from '../errors.ts';
import { certificateFromTls } from './from-tls.ts';
import { parseForwardedCertificates } from './parse-forwarded.ts';
import type { PresentedCertificate } from './presented.ts';

export interface ForwardedCertificateSettings {
  /** The one header a trusted proxy puts the client certificate (and maybe its chain) in. */
  header: string;
  /** An optional second header with the intermediates only (HAProxy ssl_c_chain_der, RFC 9440 Client-Cert-Chain). */
  chainHeader?: string;
  isTrustedProxy: (address: string | undefined) => boolean;
}

export interface Resolution {
  presented?: PresentedCertificate;
  /** Set when a forwarded header came from a peer that may not send one, so it was ignored. */
  ignoredHeaderFrom?: string;
}

/** A request's forwarded certificate headers: their text when a trusted proxy sent them, or who sent them when it may not. */
export type ForwardedHeaders = { value: string; chainValue: string | undefined } | { ignoredFrom: string };

/**
 * Reads the configured headers, and only those: undefined when the request has none. Each may
 * come once; the text is what the verification cache is keyed by, before anything is parsed.
 */
export function readForwardedHeaders(
  raw: IncomingMessage,
  forwarded: ForwardedCertificateSettings | undefined,
): ForwardedHeaders | undefined {
  if (!forwarded) return undefined;
  const value = singleHeader(raw, forwarded.header);
  if (value === undefined) return undefined;
  const peer = raw.socket.remoteAddress;
  if (!forwarded.isTrustedProxy(peer)) return { ignoredFrom: peer ?? 'unknown' };
  return { value, chainValue: forwarded.chainHeader ? singleHeader(raw, forwarded.chainHeader) : undefined };
}

/**
 * Where the client certificate of a request comes from: the forwarded headers when a trusted
 * proxy sent them (see readForwardedHeaders), otherwise the TLS handshake.
 */
export function resolvePresentedCertificate(raw: IncomingMessage, headers: ForwardedHeaders | undefined): Resolution {
  const socket = raw.socket as TLSSocket;
  const fromTls = (): PresentedCertificate | undefined =>
    typeof socket.getPeerCertificate === 'function' ? certificateFromTls(socket) : undefined;
  if (!headers) return { presented: fromTls() };
  if ('ignoredFrom' in headers) return { presented: fromTls(), ignoredHeaderFrom: headers.ignoredFrom };
  const certificates = parseForwardedCertificates(headers.value);
  if (certificates.length === 0) return {};
  const chain = [...certificates.slice(1), ...(headers.chainValue ? parseForwardedCertificates(headers.chainValue) : [])];
  return { presented: { leaf: certificates[0]!, chain, source: 'header' } };
}

/** The header's one value; two copies are refused rather than guessed between. */
function singleHeader(raw: IncomingMessage, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  const headers = raw.rawHeaders;
  for (let i = 0; i < headers.length; i += 2) {
    // Names of another length are passed over without lowering their case: read on every request.
    const header = headers[i]!;
    if (header.length === wanted.length && header.toLowerCase() === wanted) values.push(headers[i + 1]!);
  }
  if (values.length > 1) throw new ClientCertificateAmbiguous(`the ${name} header was sent ${values.length} times; exactly one is allowed`);
  if (values.length === 1 && values[0]!.length > 64 * 1024) throw new ClientCertificateMalformed(`the ${name} header is over 64 KiB`);
  return values[0];
}
