/** A client certificate as it reached the service, before any check. */
export interface PresentedCertificate {
  leaf: Buffer;
  /** Intermediates the client (or its proxy) sent, leaf excluded, in any order. */
  chain: Buffer[];
  source: 'tls' | 'header';
}
