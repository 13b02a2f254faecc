import { MalformedResponseError, UnencodableResponseError } from './errors.ts';

/** A signature over the update, as the station receives it. */
export interface UpdateSignature {
  /** CRC32 of the signing public key's raw 64-byte form (the station only logs it). */
  keyCrc: number;
  /** DER-encoded ECDSA signature. */
  der: Uint8Array;
}

/**
 * An update-info answer. An absent or empty field means "keep what you have", so the empty
 * object encodes as the 14-byte "nothing changes" answer.
 */
export interface UpdateInfoResponse {
  cupsUri?: string;
  tcUri?: string;
  cupsCred?: Uint8Array;
  tcCred?: Uint8Array;
  signature?: UpdateSignature;
  update?: Uint8Array;
}

/** The station reads at most 128 signature bytes after the 4-byte key CRC, and at least 4. */
export const MIN_SIGNATURE_SEGMENT = 8;
export const MAX_SIGNATURE_SEGMENT = 132;
const MAX_U32 = 0xffffffff;

/**
 * Encodes everything up to and including the update length, so a large update can be streamed
 * after it. `updateLength` must be the exact byte count that will follow.
 */
export function encodeUpdateInfoResponseHead(response: Omit<UpdateInfoResponse, 'update'>, updateLength: number): Buffer {
  const cupsUri = encodeUri('cupsUri', response.cupsUri);
  const tcUri = encodeUri('tcUri', response.tcUri);
  const cupsCred = checkCredentials('cupsCred', response.cupsCred);
  const tcCred = checkCredentials('tcCred', response.tcCred);
  const signature = response.signature;
  if (signature && (signature.der.length + 4 < MIN_SIGNATURE_SEGMENT || signature.der.length + 4 > MAX_SIGNATURE_SEGMENT)) {
    throw new UnencodableResponseError(
      `a signature must be ${MIN_SIGNATURE_SEGMENT - 4} to ${MAX_SIGNATURE_SEGMENT - 4} bytes of DER, got ${signature.der.length}`,
    );
  }
  if (signature && updateLength === 0) throw new UnencodableResponseError('a signature needs an update to sign');
  if (!Number.isInteger(updateLength) || updateLength < 0 || updateLength > MAX_U32) {
    throw new UnencodableResponseError(`an update must be 0 to ${MAX_U32} bytes, got ${updateLength}`);
  }
  const sigLength = signature ? 4 + signature.der.length : 0;
  const head = Buffer.alloc(1 + cupsUri.length + 1 + tcUri.length + 2 + cupsCred.length + 2 + tcCred.length + 4 + sigLength + 4);
  let at = 0;
  at = head.writeUInt8(cupsUri.length, at);
  at += cupsUri.copy(head, at);
  at = head.writeUInt8(tcUri.length, at);
  at += tcUri.copy(head, at);
  at = head.writeUInt16LE(cupsCred.length, at);
  at += Buffer.from(cupsCred).copy(head, at);
  at = head.writeUInt16LE(tcCred.length, at);
  at += Buffer.from(tcCred).copy(head, at);
  at = head.writeUInt32LE(sigLength, at);
  if (signature) {
    at = head.writeUInt32LE(signature.keyCrc >>> 0, at);
    at += Buffer.from(signature.der).copy(head, at);
  }
  head.writeUInt32LE(updateLength, at);
  return head;
}

/** Encodes a whole answer in the station's layout (all integers little-endian). */
export function encodeUpdateInfoResponse(response: UpdateInfoResponse): Buffer {
  const update = response.update ?? new Uint8Array(0);
  return Buffer.concat([encodeUpdateInfoResponseHead(response, update.length), update]);
}

function encodeUri(field: string, uri: string | undefined): Buffer {
  const bytes = Buffer.from(uri ?? '', 'utf8');
  if (bytes.length > 255) throw new UnencodableResponseError(`${field} is ${bytes.length} bytes; at most 255 fit`);
  return bytes;
}

function checkCredentials(field: string, cred: Uint8Array | undefined): Uint8Array {
  const bytes = cred ?? new Uint8Array(0);
  if (bytes.length > 0xffff) throw new UnencodableResponseError(`${field} is ${bytes.length} bytes; at most 65535 fit`);
  return bytes;
}

/**
 * Decodes an answer strictly: every length must be backed by bytes, the signature segment must
 * be one the station accepts, URIs must be UTF-8, and nothing may follow the update.
 */
export function decodeUpdateInfoResponse(data: Uint8Array): UpdateInfoResponse {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  const need = (count: number, what: string): void => {
    if (at + count > bytes.length) {
      throw new MalformedResponseError(at, `${what} needs ${count} bytes, only ${bytes.length - at} remain`);
    }
  };
  const take = (count: number, what: string): Buffer => {
    need(count, what);
    const slice = bytes.subarray(at, at + count);
    at += count;
    return slice;
  };
  const uri = (what: string): string | undefined => {
    need(1, `${what} length`);
    const length = bytes.readUInt8(at++);
    const start = at;
    const raw = take(length, what);
    try {
      return length ? new TextDecoder('utf-8', { fatal: true }).decode(raw) : undefined;
    } catch {
      throw new MalformedResponseError(start, `${what} is not valid UTF-8`);
    }
  };
  const cred = (what: string): Buffer | undefined => {
    need(2, `${what} length`);
    const length = bytes.readUInt16LE(at);
    at += 2;
    const raw = take(length, what);
    return length ? raw : undefined;
  };
  const response: UpdateInfoResponse = {};
  const cupsUri = uri('cupsUri');
  const tcUri = uri('tcUri');
  const cupsCred = cred('cupsCred');
  const tcCred = cred('tcCred');
  if (cupsUri !== undefined) response.cupsUri = cupsUri;
  if (tcUri !== undefined) response.tcUri = tcUri;
  if (cupsCred) response.cupsCred = cupsCred;
  if (tcCred) response.tcCred = tcCred;
  need(4, 'sigLen');
  const sigLength = bytes.readUInt32LE(at);
  if (sigLength !== 0 && (sigLength < MIN_SIGNATURE_SEGMENT || sigLength > MAX_SIGNATURE_SEGMENT)) {
    throw new MalformedResponseError(
      at,
      `signature segment of ${sigLength} bytes; the station accepts 0 or ${MIN_SIGNATURE_SEGMENT} to ${MAX_SIGNATURE_SEGMENT}`,
    );
  }
  at += 4;
  if (sigLength) {
    const segment = take(sigLength, 'signature');
    response.signature = { keyCrc: segment.readUInt32LE(0), der: segment.subarray(4) };
  }
  need(4, 'updLen');
  const updateLength = bytes.readUInt32LE(at);
  at += 4;
  if (updateLength) response.update = take(updateLength, 'update');
  if (at !== bytes.length) throw new MalformedResponseError(at, `${bytes.length - at} trailing bytes after the update`);
  if (response.signature && !response.update) {
    throw new MalformedResponseError(at, 'a signature without an update');
  }
  return response;
}
