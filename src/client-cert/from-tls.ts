import type { TLSSocket } from 'node:tls';
import type { PresentedCertificate } from './presented.ts';

/**
 * The client certificate and chain a TLS peer sent. `authorized` is never consulted: after a TLS
 * 1.3 resumption without a certificate Node reports it true (nodejs/node#35317), so only a real
 * leaf counts.
 */
export function certificateFromTls(socket: TLSSocket): PresentedCertificate | undefined {
  const peer = socket.getPeerCertificate(true);
  if (!peer?.raw) return undefined;
  const chain: Buffer[] = [];
  const seen = new Set([peer.fingerprint256]);
  // The root's issuerCertificate points to itself: walk with a guard.
  for (let issuer = peer.issuerCertificate; issuer?.raw && !seen.has(issuer.fingerprint256); issuer = issuer.issuerCertificate) {
    seen.add(issuer.fingerprint256);
    chain.push(issuer.raw);
  }
  return { leaf: peer.raw, chain, source: 'tls' };
}
