import { createHash } from 'node:crypto';
import { CrlRefused } from '../errors.ts';
import { derBytes, derChildren, derElement, derExpect, derOid, derRaw, derTime } from '../lib/der-reader.ts';
import { KEY_USAGE } from '../lib/oids.ts';
import type { CertificateFacts } from './certificate-facts.ts';
import { type SignatureScheme, signatureScheme, verifySignatureNow } from './signature-algorithms.ts';

/** Serial numbers as CertificateFacts.serialNumber spells them: uppercase hex, no sign byte. */
const serialText = (bytes: Buffer) => (bytes.length > 1 && bytes[0] === 0 ? bytes.subarray(1) : bytes).toString('hex').toUpperCase();

/** The CRL extensions the checks process; any other marked critical makes the CRL unusable (RFC 5280 5.2). */
const PROCESSED_CRL_EXTENSIONS = new Set([
  '2.5.29.20', // CRL number
  '2.5.29.35', // authority key identifier
]);
/** Entry extensions the checks process (the reason code only says why). */
const PROCESSED_ENTRY_EXTENSIONS = new Set(['2.5.29.21']);
/** Delta CRLs and indirect CRLs name certificates of other issuers or other lists: not taken. */
const DELTA_CRL_INDICATOR = '2.5.29.27';
const ISSUING_DISTRIBUTION_POINT = '2.5.29.28';

/**
 * A certificate revocation list (RFC 5280 5), parsed: its issuer's name, its dates, the serials it
 * revokes. Whether it counts is decided against the trust store (signedBy): only a CRL signed by
 * its issuer's key, with an algorithm the checks accept, revokes anything.
 */
export class CrlFacts {
  readonly sha256: string;
  /** The issuer's Name, DER, matched byte for byte against certificates' subjects. */
  readonly issuerKey: string;
  readonly authorityKeyId: string | undefined;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly crlNumber: bigint | undefined;
  readonly revoked: ReadonlySet<string>;
  readonly #tbs: Buffer;
  readonly #signature: Buffer;
  readonly #scheme: SignatureScheme | string;

  constructor(readonly der: Buffer) {
    try {
      this.sha256 = createHash('sha256').update(der).digest('hex');
      const list = derElement(der, 0, der.length);
      if (list.end !== der.length) throw new Error('bytes follow the CRL');
      const [tbs, algorithm, signature, ...extra] = derExpect(der, list, 0x30, 'the CRL');
      if (extra.length) throw new Error('the outer SEQUENCE has more than three elements');
      const fields = derExpect(der, tbs, 0x30, 'tbsCertList');
      if (fields[0]?.tag === 0x02) fields.shift(); // version v2
      const [tbsAlgorithm, issuer, thisUpdate, ...rest] = fields;
      if (
        !derRaw(der, derElementOf(tbsAlgorithm, 'the signature algorithm')).equals(
          derRaw(der, derElementOf(algorithm, 'the signature algorithm')),
        )
      )
        throw new Error('the two signature algorithms differ');
      derExpect(der, issuer, 0x30, 'the issuer');
      this.issuerKey = derRaw(der, issuer!).toString('latin1');
      this.thisUpdate = derTime(der, thisUpdate);
      this.nextUpdate = rest[0] && (rest[0].tag === 0x17 || rest[0].tag === 0x18) ? derTime(der, rest.shift()) : undefined;
      const revoked = new Set<string>();
      if (rest[0]?.tag === 0x30) {
        for (const entry of derChildren(der, rest.shift()!)) {
          const [serial, date, extensions] = derExpect(der, entry, 0x30, 'a revoked certificate entry');
          if (serial?.tag !== 0x02) throw new Error('a revoked entry has no serial number');
          derTime(der, date);
          if (extensions) this.#checkExtensions(extensions, PROCESSED_ENTRY_EXTENSIONS, 'entry');
          revoked.add(serialText(derBytes(der, serial)));
        }
      }
      let authorityKeyId: string | undefined;
      let crlNumber: bigint | undefined;
      if (rest[0]?.tag === 0xa0) {
        const [extensionList] = derChildren(der, rest.shift()!);
        for (const { oid, value } of this.#checkExtensions(extensionList!, PROCESSED_CRL_EXTENSIONS, 'CRL')) {
          if (oid === '2.5.29.20') crlNumber = BigInt(`0x${derBytes(value, derElement(value, 0, value.length)).toString('hex') || '0'}`);
          if (oid === '2.5.29.35') {
            const keyId = derChildren(value, derElement(value, 0, value.length)).find((e) => e.tag === 0x80);
            authorityKeyId = keyId && derBytes(value, keyId).toString('hex');
          }
        }
      }
      if (rest.length) throw new Error('tbsCertList has unexpected elements');
      this.authorityKeyId = authorityKeyId;
      this.crlNumber = crlNumber;
      this.revoked = revoked;
      if (signature?.tag !== 0x03 || der[signature.content] !== 0) throw new Error('the signature is not a whole-byte BIT STRING');
      this.#tbs = derRaw(der, tbs!);
      this.#signature = derBytes(der, signature).subarray(1);
      this.#scheme = signatureScheme(derRaw(der, algorithm!));
    } catch (error) {
      if (error instanceof CrlRefused) throw error;
      throw new CrlRefused(`not a certificate revocation list: ${(error as Error).message}`);
    }
  }

  /** The extensions of a list, each checked: a critical one not processed, a delta or indirect CRL, is refused. */
  #checkExtensions(list: { tag: number; start: number; content: number; end: number }, processed: Set<string>, where: string) {
    const found: { oid: string; value: Buffer }[] = [];
    for (const extension of derExpect(this.der, list, 0x30, `the ${where} extensions`)) {
      const [id, ...parts] = derExpect(this.der, extension, 0x30, `a ${where} extension`);
      const oid = derOid(this.der, id!);
      const critical = parts[0]?.tag === 0x01 && this.der[parts[0].content] !== 0;
      const value = parts.at(-1);
      if (value?.tag !== 0x04) throw new Error(`a ${where} extension has no value`);
      if (oid === DELTA_CRL_INDICATOR) throw new CrlRefused('a delta CRL: give the complete CRL');
      if (oid === ISSUING_DISTRIBUTION_POINT)
        throw new CrlRefused('a CRL with an issuing distribution point (partitioned or indirect): give the complete CRL of the CA');
      if (critical && !processed.has(oid)) throw new CrlRefused(`a critical ${where} extension is not processed (${oid})`);
      found.push({ oid, value: derBytes(this.der, value) });
    }
    return found;
  }

  /** Whether `issuer` signed this CRL: its name, key identifier and key usage fit, and the signature verifies. */
  signedBy(issuer: CertificateFacts): boolean {
    if (issuer.subjectKey !== this.issuerKey || typeof this.#scheme === 'string') return false;
    if (this.authorityKeyId && issuer.subjectKeyId && this.authorityKeyId !== issuer.subjectKeyId) return false;
    if (issuer.keyUsage !== undefined && !(issuer.keyUsage & KEY_USAGE.cRLSign)) return false;
    try {
      return verifySignatureNow(this.#scheme, this.#tbs, issuer.publicKey, this.#signature);
    } catch {
      return false;
    }
  }
}

function derElementOf<T>(element: T | undefined, what: string): T {
  if (!element) throw new Error(`${what} is missing`);
  return element;
}
