import { hash, type KeyObject, X509Certificate } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { CertificateParseError } from '../errors.ts';
import { derBytes, derChildren, derElement, derExpect, derOid, derString, derTime } from '../lib/der-reader.ts';
import { ATTRIBUTE_NAMES, KEY_USAGE, OID } from '../lib/oids.ts';
import { publicKeyFromSpki } from './lib/public-key.ts';
import { canonicalRdns, type GeneralName, type NameConstraints, readAltNames, readNameConstraints } from './name-constraints.ts';
import { type SignatureScheme, signatureScheme, verifySignature, verifySignatureNow } from './signature-algorithms.ts';

export { CertificateParseError };

/**
 * Extensions whose meaning the checks apply; any other extension marked critical makes a
 * certificate unusable, as RFC 5280 requires. certificatePolicies restricts nothing here, as in
 * OpenSSL's default verification.
 */
const HANDLED_EXTENSIONS = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.subjectAltName,
  OID.nameConstraints,
  OID.certificatePolicies,
]);

/**
 * What the checks need to know about one certificate, read from its DER in one walk (about 20 µs).
 * OpenSSL (Node's X509Certificate and key objects) costs about 200 µs a certificate, mostly in
 * decoding the public key; a leaf's key is never needed, so it is decoded only for issuers, and
 * the OpenSSL view is built only when a message or the CLI wants the names as text.
 */
export class CertificateFacts {
  /** SHA-256 of the DER, lowercase hex. */
  readonly fingerprint: string;
  /** The serial number, hex (uppercase, no sign byte), as OpenSSL prints it. */
  readonly serialNumber: string;
  /** The DER of the subject and issuer names: the trust store's index, matched byte for byte. */
  readonly subjectKey: string;
  readonly issuerKey: string;
  /** Every CN attribute value, decoded, in order. */
  readonly commonNames: string[];
  readonly isCa: boolean = false;
  readonly pathLength: number | undefined;
  /** Extended key usage OIDs, or undefined when the extension is absent. */
  readonly extKeyUsage: string[] | undefined;
  /** The keyUsage BIT STRING's first byte, or undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  readonly subjectKeyId: string | undefined;
  readonly authorityKeyId: string | undefined;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly selfIssued: boolean;
  /** Critical extensions the checks do not process: such a certificate is never accepted. */
  readonly unhandledCriticalExtensions: string[] = [];
  /** A CA's name constraints, or undefined when it has none. */
  readonly nameConstraints: NameConstraints | undefined;
  /**
   * The DER and the parts of it the checks read, as latin1 text: a verified gateway's facts are
   * kept, and text lives compactly in the heap, where a Buffer each would cost an object and an
   * allocation outside it. Bytes are made again for the moment they are needed.
   */
  readonly #der: string;
  readonly #tbs: string;
  readonly #signatureAlgorithm: string;
  readonly #tbsSignatureAlgorithm: string;
  readonly #signature: string;
  readonly #spki: string;
  #subjectAltName: string | undefined;
  #scheme: SignatureScheme | string | undefined;
  #x509: X509Certificate | undefined;
  #publicKey: KeyObject | undefined;

  constructor(der: Buffer, fingerprint = sha256Hex(der)) {
    this.fingerprint = fingerprint;
    this.#der = der.toString('latin1');
    const certificate = derElement(der, 0, der.length);
    if (certificate.end !== der.length) throw new CertificateParseError('not an X.509 certificate: bytes follow the certificate');
    const [tbs, algorithm, signature, ...extra] = derExpect(der, certificate, 0x30, 'the certificate');
    if (extra.length) throw new CertificateParseError('not an X.509 certificate: the outer SEQUENCE has more than three elements');
    const fields = derExpect(der, tbs, 0x30, 'tbsCertificate');
    if (fields[0]?.tag === 0xa0) fields.shift();
    const [serial, tbsAlgorithm, issuer, validity, subject, spki, ...rest] = fields;
    if (serial?.tag !== 0x02) throw new CertificateParseError('not an X.509 certificate: no serial number');
    const serialBytes = derBytes(der, serial);
    this.serialNumber = (serialBytes.length > 1 && serialBytes[0] === 0 ? serialBytes.subarray(1) : serialBytes)
      .toString('hex')
      .toUpperCase();
    derExpect(der, tbsAlgorithm, 0x30, 'the signature algorithm');
    const [notBefore, notAfter] = derExpect(der, validity, 0x30, 'the validity');
    derExpect(der, spki, 0x30, 'the subject public key info');
    this.#tbs = this.#part(tbs!.start, tbs!.end);
    this.#tbsSignatureAlgorithm = this.#part(tbsAlgorithm!.start, tbsAlgorithm!.end);
    this.#signatureAlgorithm = this.#part(algorithm!.start, algorithm!.end);
    // The algorithm's OID is read here so that a certificate whose algorithm is no OID is malformed, not merely refused.
    derOid(der, derExpect(der, algorithm, 0x30, 'the signature algorithm')[0]!);
    if (signature?.tag !== 0x03 || der[signature.content] !== 0)
      throw new CertificateParseError('not an X.509 certificate: the signature is not a whole-byte BIT STRING');
    this.#signature = this.#part(signature.content + 1, signature.end);
    this.#spki = this.#part(spki!.start, spki!.end);
    this.subjectKey = this.#part(subject!.start, subject!.end);
    this.issuerKey = this.#part(issuer!.start, issuer!.end);
    this.selfIssued = this.subjectKey === this.issuerKey;
    this.notBefore = derTime(der, notBefore);
    this.notAfter = derTime(der, notAfter);
    const commonNames: string[] = [];
    for (const [name, element] of [
      ['subject', subject],
      ['issuer', issuer],
    ] as const) {
      for (const rdn of derExpect(der, element, 0x30, `the ${name}`)) {
        for (const attribute of derExpect(der, rdn, 0x31, `an RDN of the ${name}`)) {
          const [type, value] = derExpect(der, attribute, 0x30, `an attribute of the ${name}`);
          if (!value) throw new CertificateParseError(`not an X.509 certificate: an attribute of the ${name} has no value`);
          if (derOid(der, type!) === OID.commonName && name === 'subject') commonNames.push(derString(der, value));
        }
      }
    }
    // Copied to its length: an array grown by push keeps room for more, in every certificate kept.
    this.commonNames = commonNames.slice();
    const extensions = rest.find((e) => e.tag === 0xa3);
    const seen = new Set<string>();
    for (const extension of extensions ? derExpect(der, derChildren(der, extensions)[0], 0x30, 'the extensions') : []) {
      const parts = derExpect(der, extension, 0x30, 'an extension');
      const oid = derOid(der, parts[0]!);
      if (seen.has(oid)) throw new CertificateParseError(`not an X.509 certificate: the extension ${oid} appears twice`);
      seen.add(oid);
      const critical = parts.length === 3 && parts[1]!.tag === 0x01 && der[parts[1]!.content] === 0xff;
      if (critical && !HANDLED_EXTENSIONS.has(oid)) this.unhandledCriticalExtensions.push(oid);
      const value = parts.at(-1)!;
      if (value.tag !== 0x04) throw new CertificateParseError(`not an X.509 certificate: the extension ${oid} has no OCTET STRING value`);
      const inner = derElement(der, value.content, value.end);
      if (inner.end !== value.end) throw new CertificateParseError(`not an X.509 certificate: bytes follow the value of extension ${oid}`);
      switch (oid) {
        case OID.basicConstraints: {
          const [ca, pathLength] = derExpect(der, inner, 0x30, 'basicConstraints');
          this.isCa = ca?.tag === 0x01 && der[ca.content] === 0xff;
          const length = ca?.tag === 0x02 ? ca : pathLength;
          if (this.isCa && length?.tag === 0x02) {
            if (length.end - length.content > 4 || der[length.content]! & 0x80)
              throw new CertificateParseError('not an X.509 certificate: an absurd pathLenConstraint');
            this.pathLength = derBytes(der, length).reduce((n, byte) => n * 256 + byte, 0);
          }
          break;
        }
        case OID.extKeyUsage:
          this.extKeyUsage = derExpect(der, inner, 0x30, 'extKeyUsage').map((e) => derOid(der, e));
          break;
        case OID.keyUsage:
          if (inner.tag !== 0x03) throw new CertificateParseError('not an X.509 certificate: keyUsage is not a BIT STRING');
          this.keyUsage = inner.end - inner.content > 1 ? der[inner.content + 1]! : 0;
          break;
        case OID.subjectKeyIdentifier:
          if (inner.tag !== 0x04) throw new CertificateParseError('not an X.509 certificate: subjectKeyIdentifier is not an OCTET STRING');
          this.subjectKeyId = derBytes(der, inner).toString('hex');
          break;
        case OID.subjectAltName:
          this.#subjectAltName = this.#part(inner.start, inner.end);
          break;
        case OID.nameConstraints:
          this.nameConstraints = readNameConstraints(der, inner);
          break;
        case OID.authorityKeyIdentifier: {
          const keyId = derExpect(der, inner, 0x30, 'authorityKeyIdentifier').find((e) => e.tag === 0x80);
          this.authorityKeyId = keyId && derBytes(der, keyId).toString('hex');
          break;
        }
      }
    }
  }

  /** The DER, from `start` to `end`, as latin1 text. */
  #part(start: number, end: number): string {
    return this.#der.slice(start, end);
  }

  /** The certificate's DER (a new Buffer each time). */
  get der(): Buffer {
    return bytes(this.#der);
  }

  /** The length of its DER. */
  get byteLength(): number {
    return this.#der.length;
  }

  /** OpenSSL's view, built on first use (for names as text and a root's own signature). */
  get x509(): X509Certificate {
    return (this.#x509 ??= new X509Certificate(this.der));
  }

  /** The subject as one line of text ("CN=..., O=..."), for messages and the CLI. */
  get subjectText(): string {
    return nameText(this.subjectKey);
  }

  get issuerText(): string {
    return nameText(this.issuerKey);
  }

  /** The public key, decoded on first use (only issuers need theirs); throws when it is not a key accepted for checking signatures. */
  get publicKey(): KeyObject {
    return (this.#publicKey ??= publicKeyFromSpki(bytes(this.#spki)));
  }

  /** How this certificate's signature is verified, or why its algorithm is refused. */
  get signatureScheme(): SignatureScheme | string {
    return (this.#scheme ??= signatureScheme(bytes(this.#signatureAlgorithm)));
  }

  /** The subject's RDNs in canonical text, for name constraints. */
  get subjectRdns(): string[] {
    const name = Buffer.from(this.subjectKey, 'latin1');
    return canonicalRdns(name, derElement(name, 0, name.length));
  }

  /** subjectAltName entries (empty without the extension), for name constraints. */
  get altNames(): GeneralName[] {
    return this.#subjectAltName ? readAltNames(bytes(this.#subjectAltName)) : [];
  }

  /**
   * Whether `issuer` issued this certificate: its subject is this issuer name (byte for byte), the
   * key identifiers agree where both are given, its key usage (if restricted) allows signing
   * certificates, the algorithm is an accepted one, and the signature verifies with its key under
   * the algorithm both copies name. Verified on libuv's thread pool: a server verifying many new
   * gateways at once then uses every core, and its event loop keeps answering meanwhile.
   */
  checkIssuedBy(issuer: CertificateFacts): Promise<boolean> {
    const key = this.#issuerKeyIfPlausible(issuer);
    return key
      ? verifySignature(this.signatureScheme as SignatureScheme, bytes(this.#tbs), key, bytes(this.#signature))
      : Promise.resolve(false);
  }

  /**
   * Whether its own key verifies its signature, under an accepted algorithm: a self-signed
   * end-entity certificate, whose key usage need not allow signing certificates.
   */
  signedByOwnKey(): boolean {
    if (typeof this.signatureScheme === 'string' || !this.selfIssued || this.#signatureAlgorithm !== this.#tbsSignatureAlgorithm)
      return false;
    try {
      return verifySignatureNow(this.signatureScheme, bytes(this.#tbs), this.publicKey, bytes(this.#signature));
    } catch {
      return false;
    }
  }

  /** checkIssuedBy on the calling thread. */
  isIssuedBy(issuer: CertificateFacts): boolean {
    const key = this.#issuerKeyIfPlausible(issuer);
    return key ? verifySignatureNow(this.signatureScheme as SignatureScheme, bytes(this.#tbs), key, bytes(this.#signature)) : false;
  }

  /** The issuer's key when everything but the signature says it may have issued this certificate. */
  #issuerKeyIfPlausible(issuer: CertificateFacts): KeyObject | undefined {
    if (typeof this.signatureScheme === 'string' || !this.#mayBeIssuedBy(issuer)) return undefined;
    try {
      return issuer.publicKey;
    } catch {
      return undefined;
    }
  }

  /**
   * A self-signed CA: where a chain may end. A root's own signature is not what trust rests on
   * (OpenSSL does not check it), so any algorithm OpenSSL knows is taken here.
   */
  get selfSigned(): boolean {
    if (!this.selfIssued || !this.#mayBeIssuedBy(this)) return false;
    try {
      // OpenSSL's view is made for this check and not kept: a trust store of many CAs would hold each.
      return (this.#x509 ?? new X509Certificate(this.der)).verify(this.publicKey);
    } catch {
      return false;
    }
  }

  /** Everything isIssuedBy checks but the signature. */
  #mayBeIssuedBy(issuer: CertificateFacts): boolean {
    if (this.issuerKey !== issuer.subjectKey) return false;
    if (this.authorityKeyId && issuer.subjectKeyId && this.authorityKeyId !== issuer.subjectKeyId) return false;
    if (issuer.keyUsage !== undefined && !(issuer.keyUsage & KEY_USAGE.keyCertSign)) return false;
    return this.#signatureAlgorithm === this.#tbsSignatureAlgorithm;
  }

  get pem(): string {
    return `-----BEGIN CERTIFICATE-----\n${this.der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  }
}

/** A Name (its DER as a latin1 string, already read once by the constructor) as "CN=..., O=...", " + " within an RDN. */
function nameText(nameDer: string): string {
  const der = Buffer.from(nameDer, 'latin1');
  const rdns: string[] = [];
  for (const rdn of derChildren(der, derElement(der, 0, der.length))) {
    const parts: string[] = [];
    for (const attribute of derChildren(der, rdn)) {
      const [type, value] = derChildren(der, attribute);
      const oid = derOid(der, type!);
      let text: string;
      try {
        text = derString(der, value!);
      } catch {
        text = `#${derBytes(der, value!).toString('hex')}`;
      }
      parts.push(`${ATTRIBUTE_NAMES[oid] ?? oid}=${text}`);
    }
    rdns.push(parts.join(' + '));
  }
  return rdns.join(', ') || '(empty name)';
}

/** Bytes of latin1 text. */
const bytes = (latin1: string): Buffer => Buffer.from(latin1, 'latin1');

function sha256Hex(der: Uint8Array): string {
  return hash('sha256', der, 'hex');
}

/**
 * Parsed certificates by fingerprint, bounded in bytes: any client can present certificates, so
 * the cache holds at most this much of them whatever they send (each counted at three times its
 * DER, for the text and strings kept of it).
 */
const PARSE_CACHE_BYTES = 16 * 1024 * 1024;
const parsed = new LRUCache<string, CertificateFacts>({
  maxSize: PARSE_CACHE_BYTES,
  sizeCalculation: (facts) => facts.byteLength * 3 + 1024,
});
/**
 * Parses DER into facts; throws CertificateParseError for anything that is not one X.509
 * certificate. Results are kept in a bounded cache by fingerprint, so an intermediate that many
 * gateways present is read once.
 */
export function certificateFacts(der: Uint8Array): CertificateFacts {
  const fingerprint = sha256Hex(der);
  const known = parsed.get(fingerprint);
  if (known) return known;
  const facts = parseCertificate(der, fingerprint);
  parsed.set(fingerprint, facts);
  return facts;
}

/** Parses without the cache: a fresh object the caller may extend (the trust store does). */
export function parseCertificate(der: Uint8Array, fingerprint?: string): CertificateFacts {
  try {
    // Read in place: the facts keep text, not the bytes given (often a slice of a larger pool).
    return new CertificateFacts(Buffer.from(der.buffer, der.byteOffset, der.byteLength), fingerprint);
  } catch (error) {
    if (error instanceof CertificateParseError) throw error;
    throw new CertificateParseError(`not an X.509 certificate: ${(error as Error).message}`);
  }
}

/** Drops every parsed certificate (the benchmark measures with every cache off). */
export function forgetParsedCertificates(): void {
  parsed.clear();
}
