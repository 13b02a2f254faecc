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

/**
 * Where the client certificate of a request comes from: the configured header when a trusted
 * proxy sent it, otherwise the TLS handshake. Headers of other names are never read.
 */
export function resolvePresentedCertificate(raw: IncomingMessage, forwarded: ForwardedCertificateSettings | undefined): Resolution {
  const socket = raw.socket as TLSSocket;
  const fromTls = (): PresentedCertificate | undefined => (typeof socket.getPeerCertificate === 'function' ? certificateFromTls(socket) : undefined);
  if (!forwarded) return { presented: fromTls() };
  const value = singleHeader(raw, forwarded.header);
  if (value === undefined) return { presented: fromTls() };
  const peer = socket.remoteAddress;
  if (!forwarded.isTrustedProxy(peer)) return { presented: fromTls(), ignoredHeaderFrom: peer ?? 'unknown' };
  const certificates = parseForwardedCertificates(value);
  if (certificates.length === 0) return {};
  const chainValue = forwarded.chainHeader ? singleHeader(raw, forwarded.chainHeader) : undefined;
  const chain = [...certificates.slice(1), ...(chainValue ? parseForwardedCertificates(chainValue) : [])];
  return { presented: { leaf: certificates[0]!, chain, source: 'header' } };
}

/** The header's one value; two copies are refused rather than guessed between. */
export function singleHeader(raw: IncomingMessage, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (let i = 0; i < raw.rawHeaders.length; i += 2) {
    if (raw.rawHeaders[i]!.toLowerCase() === wanted) values.push(raw.rawHeaders[i + 1]!);
  }
  if (values.length > 1) throw new ClientCertificateAmbiguous(`the ${name} header was sent ${values.length} times; exactly one is allowed`);
  if (values.length === 1 && values[0]!.length > 64 * 1024) throw new ClientCertificateMalformed(`the ${name} header is over 64 KiB`);
  return values[0];
}
