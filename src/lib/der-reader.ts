import { derElementLength } from '../../protocol/lib/der.ts';
import { DerError } from '../errors.ts';

/** One DER element inside a buffer: its tag and where its content starts and it ends. */
export interface DerElement {
  tag: number;
  start: number;
  content: number;
  end: number;
}

export { DerError };

/** The element at `at`, which must end within `limit`. */
export function derElement(der: Uint8Array, at: number, limit: number): DerElement {
  const total = derElementLength(der, at);
  if (total === undefined || at + total > limit) throw new DerError('a DER length runs past its parent');
  if ((der[at]! & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not used in certificates');
  const lengthByte = der[at + 1]!;
  return { tag: der[at]!, start: at, content: at + (lengthByte < 0x80 ? 2 : 2 + (lengthByte & 0x7f)), end: at + total };
}

/** The children of a constructed element, in order. */
export function derChildren(der: Uint8Array, parent: DerElement): DerElement[] {
  const children: DerElement[] = [];
  for (let at = parent.content; at < parent.end; at = children.at(-1)!.end) children.push(derElement(der, at, parent.end));
  return children;
}

/** The children of `parent`, which must carry `tag`. */
export function derExpect(der: Uint8Array, parent: DerElement | undefined, tag: number, what: string): DerElement[] {
  if (parent?.tag !== tag) throw new DerError(`${what} is missing or has the wrong type`);
  return derChildren(der, parent);
}

export function derBytes(der: Uint8Array, element: DerElement): Buffer {
  return Buffer.from(der.buffer, der.byteOffset + element.content, element.end - element.content);
}

/** The whole element, header included. */
export function derRaw(der: Uint8Array, element: DerElement): Buffer {
  return Buffer.from(der.buffer, der.byteOffset + element.start, element.end - element.start);
}

/** An OBJECT IDENTIFIER as dotted text. */
export function derOid(der: Uint8Array, element: DerElement): string {
  if (element.tag !== 0x06 || element.end === element.content) throw new DerError('an OBJECT IDENTIFIER was expected');
  const arcs: number[] = [];
  let value = 0;
  for (let i = element.content; i < element.end; i++) {
    const byte = der[i]!;
    if (value === 0 && byte === 0x80) throw new DerError('an OBJECT IDENTIFIER arc has a leading zero');
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('an OBJECT IDENTIFIER arc is too large');
    if (byte & 0x80) continue;
    if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
    else arcs.push(value);
    value = 0;
  }
  if (der[element.end - 1]! & 0x80) throw new DerError('an OBJECT IDENTIFIER ends mid-arc');
  return arcs.join('.');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** A UTCTime or GeneralizedTime in the one form RFC 5280 allows (seconds, "Z"). */
export function derTime(der: Uint8Array, element: DerElement | undefined): Date {
  const text = element ? derBytes(der, element).toString('latin1') : '';
  const match = element?.tag === 0x17 ? UTC_TIME.exec(text) : element?.tag === 0x18 ? GENERALIZED_TIME.exec(text) : null;
  if (!match) throw new DerError('a validity time is not a UTCTime or GeneralizedTime of the form RFC 5280 requires');
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const fullYear = element!.tag === 0x17 ? (year >= 50 ? 1900 + year : 2000 + year) : year;
  const date = new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new DerError(`the validity time ${text} is not a real date`);
  }
  return date;
}

/** The directory string types a Name attribute may use, decoded to text. */
export function derString(der: Uint8Array, element: DerElement): string {
  const bytes = derBytes(der, element);
  switch (element.tag) {
    case 0x0c: // UTF8String
      return UTF8.decode(bytes);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString, read as Latin-1
      return bytes.toString('latin1');
    case 0x1e: // BMPString, UTF-16BE
      if (bytes.length % 2) throw new DerError('a BMPString has an odd length');
      return Buffer.from(bytes).swap16().toString('utf16le');
    case 0x1c: // UniversalString, UTF-32BE
      if (bytes.length % 4) throw new DerError('a UniversalString has a length not divisible by 4');
      return String.fromCodePoint(...Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readUInt32BE(i * 4)));
    default:
      throw new DerError(`a name attribute has the unsupported string type 0x${element.tag.toString(16)}`);
  }
}
