import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { crc32 } from './crc32.ts';
import { InvalidCredentialsError } from './errors.ts';
import { derElementLength, isPem, pemBlocks, stationDerLength } from './lib/der.ts';

/** What a station needs to reach a server: the server's trust anchor plus its own identity. */
export type Credentials =
  | { mode: 'certificate'; trust: Buffer; cert: Buffer; key: Buffer }
  | { mode: 'token'; trust: Buffer; token: string }
  | { mode: 'trust-only'; trust: Buffer };

const NONE = Buffer.alloc(4);

/** One certificate as DER, from PEM (exactly one CERTIFICATE block) or DER. */
export function certificateDer(input: Uint8Array | string, what = 'certificate'): Buffer {
  const der = singleDer(input, what, ['CERTIFICATE']);
  try {
    new X509Certificate(der);
  } catch {
    throw new InvalidCredentialsError(`the ${what} is not a valid X.509 certificate`);
  }
  return stationReadable(der, what);
}

/** Loads a private key from PEM or DER in any of the encodings the station accepts (PKCS#8, SEC1, PKCS#1). */
export function loadPrivateKey(input: Uint8Array | string): KeyObject {
  if (typeof input === 'string' || isPem(input)) {
    try {
      return createPrivateKey({ key: Buffer.from(input as string), format: 'pem' });
    } catch {
      throw new InvalidCredentialsError('the private key PEM cannot be read');
    }
  }
  for (const type of ['pkcs8', 'sec1', 'pkcs1'] as const) {
    try {
      return createPrivateKey({ key: Buffer.from(input), format: 'der', type });
    } catch {
      // try the next encoding
    }
  }
  throw new InvalidCredentialsError('the private key is not a PEM or DER (PKCS#8, SEC1, PKCS#1) key');
}

/**
 * A private key as DER in the form the station reads: EC keys as SEC1, RSA keys as PKCS#1
 * (a PKCS#8 EC key is 138 bytes, whose one-byte long DER length the station misreads).
 */
export function privateKeyDer(input: Uint8Array | string | KeyObject): Buffer {
  const key = input instanceof KeyObject ? input : loadPrivateKey(input);
  if (key.asymmetricKeyType === 'ec') {
    return stationReadable(key.export({ format: 'der', type: 'sec1' }), 'private key');
  }
  if (key.asymmetricKeyType === 'rsa') {
    return stationReadable(key.export({ format: 'der', type: 'pkcs1' }), 'private key');
  }
  throw new InvalidCredentialsError(`a ${key.asymmetricKeyType} private key cannot be used by the station; use EC or RSA`);
}

/** A header line of a token: an HTTP field name, a colon, one space, a value. */
const HEADER_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+: \S/;

/** Token mode sends HTTP header lines; a bare token becomes `Authorization: <token>`. */
export function tokenHeaderLines(token: string): string {
  const trimmed = token.replace(/(\r?\n)+$/, '');
  if (trimmed.length === 0) throw new InvalidCredentialsError('the token is empty');
  const lines = trimmed.split(/\r?\n/);
  // One syntax, read one way: header lines "Name: value" (one space after the colon), or a bare
  // token with no colon at all, sent as "Authorization: <token>". Anything else could be read
  // both ways ("abc:def" as a token, or as header abc), so it is refused.
  const headerForm = lines.every((line) => HEADER_LINE.test(line));
  if (!headerForm && (lines.length > 1 || trimmed.includes(':'))) {
    throw new InvalidCredentialsError(
      'a token is either header lines "Name: value" (one space after the colon) or one bare token without ":"; ' +
        `write this one as a header line, e.g. "Authorization: ${lines[0]}"`,
    );
  }
  const headerLines = headerForm ? lines : [`Authorization: ${trimmed}`];
  for (const line of headerLines) {
    if (/[\0\r\n]/.test(line) || !/^[\x20-\x7e\t]+$/.test(line)) {
      throw new InvalidCredentialsError('a token must be printable ASCII on one line per header');
    }
  }
  if (headerLines[0]!.charCodeAt(0) === 0x30) {
    throw new InvalidCredentialsError('a token line must not start with "0": the station would read it as DER');
  }
  return headerLines.map((line) => `${line}\r\n`).join('');
}

/** Builds the credentials blob the station splits into its `.trust`, `.crt` and `.key` files. */
export function encodeCredentials(credentials: Credentials): Buffer {
  switch (credentials.mode) {
    case 'certificate':
      return Buffer.concat([credentials.trust, credentials.cert, credentials.key]);
    case 'token':
      return Buffer.concat([credentials.trust, NONE, Buffer.from(credentials.token, 'latin1')]);
    case 'trust-only':
      return Buffer.concat([credentials.trust, NONE, NONE]);
  }
}

/** The parts of a blob exactly as the station's sys_credComplete splits it. */
export interface SplitCredentials {
  trust: Buffer;
  cert: Buffer | null;
  key: Buffer | null;
  token: string | null;
  /** Bytes after the key that the station ignores. */
  ignoredBytes: number;
}

/** Splits a blob as the station does, refusing what the station would refuse. */
export function splitCredentials(blob: Uint8Array): SplitCredentials {
  const data = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (data[0] !== 0x30) throw new InvalidCredentialsError('credentials at byte 0: the trust must start with a DER SEQUENCE (0x30)');
  const trustLength = stationDerLength(data, 0);
  if (trustLength > data.length) {
    throw new InvalidCredentialsError(`credentials at byte 0: the trust's ${trustLength} bytes exceed the blob of ${data.length}`);
  }
  const certOffset = trustLength;
  let cert: Buffer | null = null;
  let keyOffset: number;
  if (data[certOffset] === 0x00) {
    keyOffset = certOffset + 4;
  } else if (data[certOffset] === 0x30) {
    const certLength = stationDerLength(data, certOffset);
    cert = data.subarray(certOffset, certOffset + certLength);
    keyOffset = certOffset + certLength;
  } else {
    throw new InvalidCredentialsError(`credentials at byte ${certOffset}: the certificate must be DER (0x30) or none (0x00)`);
  }
  if (keyOffset > data.length) {
    throw new InvalidCredentialsError(
      `credentials at byte ${Math.min(keyOffset, data.length)}: the lengths exceed the blob of ${data.length} bytes`,
    );
  }
  let key: Buffer | null = null;
  let token: string | null = null;
  let keyEnd = keyOffset;
  if (keyOffset < data.length && data[keyOffset] === 0x30) {
    keyEnd = keyOffset + stationDerLength(data, keyOffset);
    if (keyEnd > data.length) {
      throw new InvalidCredentialsError(`credentials at byte ${keyOffset}: the key's length exceeds the blob`);
    }
    key = data.subarray(keyOffset, keyEnd);
  } else if (keyOffset < data.length && data[keyOffset] !== 0x00) {
    token = data.subarray(keyOffset).toString('latin1');
    keyEnd = data.length;
  }
  return {
    trust: data.subarray(0, trustLength),
    cert,
    key,
    token,
    ignoredBytes: data[keyOffset] === 0x00 ? data.length - keyOffset : data.length - keyEnd,
  };
}

/**
 * The CRC a station reports for a set of credential files: one CRC32 chained over the `.trust`,
 * `.crt` and `.key` contents in order, a missing or empty file counting as 4 zero bytes.
 */
export function stationCredentialsCrc(files: readonly (Uint8Array | null | undefined)[]): number {
  return files.reduce<number>((crc, file) => crc32(file && file.length > 0 ? file : NONE, crc), 0);
}

/** The CRC the station reports once it has stored this blob: the blob's own CRC32. */
export function credentialsCrc(blob: Uint8Array): number {
  return crc32(blob);
}

function singleDer(input: Uint8Array | string, what: string, labels: string[]): Buffer {
  if (typeof input === 'string' || isPem(input)) {
    const blocks = pemBlocks(typeof input === 'string' ? input : Buffer.from(input).toString('latin1'));
    const matching = blocks.filter((block) => labels.includes(block.label));
    if (matching.length !== 1) {
      throw new InvalidCredentialsError(`the ${what} must hold exactly one ${labels.join(' or ')} block, found ${matching.length}`);
    }
    return matching[0]!.der;
  }
  const der = Buffer.from(input);
  if (der[0] !== 0x30 || derElementLength(der) !== der.length) {
    throw new InvalidCredentialsError(`the ${what} is neither PEM nor a single DER element`);
  }
  return der;
}

/** Refuses DER whose length header the station's two-form parser would misread. */
function stationReadable(der: Buffer, what: string): Buffer {
  if (stationDerLength(der, 0) !== der.length || derElementLength(der) !== der.length) {
    throw new InvalidCredentialsError(
      `the ${what} (${der.length} bytes) uses a DER length form the station cannot read; it reads 2..129 or 260..65539 byte elements`,
    );
  }
  return der;
}
