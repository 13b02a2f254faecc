import { X509Certificate } from 'node:crypto';
import { derElementLength } from '../../protocol/lib/der.ts';

/**
 * What the checks need to know about one certificate, read once: Node's X509Certificate (OpenSSL)
 * for signatures and issuer matching, pkijs for the fields Node does not expose exactly.
 */
export interface CertificateFacts {
  der: Buffer;
  x509: X509Certificate;
  fingerprint: string;
  /** The subject and issuer names as OpenSSL prints them: the keys of the trust store's index (issuer matching itself is OpenSSL's). */
  subjectKey: string;
  issuerKey: string;
  /** Every CN attribute value, as text, in order. */
  commonNames: string[];
  isCa: boolean;
  pathLength: number | undefined;
  /** Extended key usage OIDs, or undefined when the extension is absent. */
  extKeyUsage: string[] | undefined;
  notBefore: Date;
  notAfter: Date;
  selfIssued: boolean;
}

export class CertificateParseError extends Error {
  readonly code = 'certificate_malformed';
}

const CACHE_LIMIT = 20_000;
const parsed = new Map<string, CertificateFacts>();

/**
 * Parses DER into facts; throws CertificateParseError for anything that is not one X.509
 * certificate. Node's X509Certificate (OpenSSL, about 0.2 ms) gives every field the checks use
 * but a CA's path length, read by a short walk of its DER; a pkijs parse would cost about 1 ms.
 * Results are kept in a bounded cache, so an intermediate that many gateways present is parsed
 * once.
 */
export function certificateFacts(der: Uint8Array): CertificateFacts {
  const bytes = Buffer.from(der);
  const key = bytes.toString('base64');
  const known = parsed.get(key);
  if (known) return known;
  let x509: X509Certificate;
  try {
    if (derElementLength(bytes) !== bytes.length) throw new Error('not a single DER element');
    x509 = new X509Certificate(bytes);
  } catch (error) {
    throw new CertificateParseError(`not an X.509 certificate: ${(error as Error).message}`);
  }
  // OpenSSL's multi-line form: one RDN a line, attributes of one RDN joined by " + ", separators escaped.
  const attributes = x509.subject.split('\n').flatMap((line) => line.split(/(?<!\\) \+ /));
  const facts: CertificateFacts = {
    der: bytes,
    x509,
    fingerprint: x509.fingerprint256.replace(/:/g, '').toLowerCase(),
    subjectKey: x509.subject,
    issuerKey: x509.issuer,
    commonNames: attributes.filter((a) => a.startsWith('CN=')).map((a) => a.slice(3)),
    isCa: x509.ca,
    pathLength: x509.ca ? pathLengthOf(bytes) : undefined,
    extKeyUsage: x509.keyUsage,
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    selfIssued: x509.subject === x509.issuer,
  };
  if (parsed.size >= CACHE_LIMIT) parsed.delete(parsed.keys().next().value!);
  parsed.set(key, facts);
  return facts;
}

/** Drops every parsed certificate (the benchmark measures with every cache off). */
export function forgetParsedCertificates(): void {
  parsed.clear();
}

interface DerElement {
  tag: number;
  content: number;
  end: number;
}

function element(der: Buffer, at: number, limit: number): DerElement {
  const total = derElementLength(der, at);
  const lengthByte = der[at + 1]!;
  const header = lengthByte < 0x80 ? 2 : 2 + (lengthByte & 0x7f);
  if (total === undefined || at + total > limit) throw new CertificateParseError('not an X.509 certificate: a DER length runs past its parent');
  return { tag: der[at]!, content: at + header, end: at + total };
}

function childrenOf(der: Buffer, parent: DerElement): DerElement[] {
  const children: DerElement[] = [];
  for (let at = parent.content; at < parent.end; at = children.at(-1)!.end) children.push(element(der, at, parent.end));
  return children;
}

const BASIC_CONSTRAINTS = Buffer.from([0x55, 0x1d, 0x13]);

/**
 * The pathLenConstraint of a CA certificate, read by walking Certificate > TBSCertificate >
 * [3] extensions > basicConstraints (OpenSSL has already checked the encoding).
 */
function pathLengthOf(der: Buffer): number | undefined {
  const certificate = element(der, 0, der.length);
  const tbs = element(der, certificate.content, certificate.end);
  const wrapper = childrenOf(der, tbs).find((e) => e.tag === 0xa3);
  if (!wrapper) return undefined;
  for (const extension of childrenOf(der, element(der, wrapper.content, wrapper.end))) {
    const [oid, ...rest] = childrenOf(der, extension);
    if (oid?.tag !== 0x06 || !der.subarray(oid.content, oid.end).equals(BASIC_CONSTRAINTS)) continue;
    const value = rest.find((e) => e.tag === 0x04);
    if (!value) return undefined;
    const constraints = element(der, value.content, value.end);
    const pathLen = childrenOf(der, constraints).find((e) => e.tag === 0x02);
    if (!pathLen) return undefined;
    if (pathLen.end - pathLen.content > 4) throw new CertificateParseError('not an X.509 certificate: an absurd pathLenConstraint');
    return der.subarray(pathLen.content, pathLen.end).reduce((n, byte) => n * 256 + byte, 0);
  }
  return undefined;
}
