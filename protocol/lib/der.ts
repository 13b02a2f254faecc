import { InvalidCredentialsError } from '../errors.ts';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export interface PemBlock {
  label: string;
  der: Buffer;
}

/** All PEM blocks of a text, in order, with their DER bytes. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const body = match[2]!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw new InvalidCredentialsError(`the PEM block "${match[1]}" is not valid base64`);
    }
    blocks.push({ label: match[1]!, der: Buffer.from(body, 'base64') });
  }
  return blocks;
}

export function isPem(data: Uint8Array): boolean {
  return Buffer.from(data.subarray(0, 4096)).toString('latin1').includes('-----BEGIN ');
}

/**
 * The full length (header + content) of the DER element at `offset`, read strictly. Returns
 * undefined when the bytes there are not a complete definite-length element.
 */
export function derElementLength(data: Uint8Array, offset = 0): number | undefined {
  if (offset + 2 > data.length) return undefined;
  const first = data[offset + 1]!;
  if (first < 0x80) return 2 + first;
  const octets = first & 0x7f;
  if (octets === 0 || octets > 4 || offset + 2 + octets > data.length) return undefined;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + data[offset + 2 + i]!;
  return 2 + octets + length;
}

/**
 * The length the station's own parser (sys.c asn1_seqlen) reads for the element at `offset`: it
 * knows only the short form and the two-byte long form, and reads any other long form wrongly.
 */
export function stationDerLength(data: Uint8Array, offset: number): number {
  const first = data[offset + 1] ?? 0;
  if (first & 0x80) return (((data[offset + 2] ?? 0) << 8) | (data[offset + 3] ?? 0)) + 4;
  return first + 2;
}
