import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import {
  CupsProtocolError,
  certificateDer,
  encodeCredentials,
  loadPrivateKey,
  privateKeyDer,
  tokenHeaderLines,
} from '../../protocol/index.ts';
import { InvalidGateway } from '../errors.ts';
import { leafOf } from './check-cups-certificate.ts';

/** What an operator gives for one endpoint (LNS or CUPS): a URI and optional credentials, as PEM or DER. */
export interface EndpointInput {
  uri: string;
  trust?: Uint8Array | string;
  cert?: Uint8Array | string;
  key?: Uint8Array | string;
  token?: string;
}

const SCHEMES = { lns: ['ws:', 'wss:'], cups: ['http:', 'https:'] } as const;
const SECURE = { lns: 'wss:', cups: 'https:' } as const;

/**
 * Checks an endpoint the way the station will use it and builds its credentials blob: `wss://` or
 * `https://` needs a trust; a certificate needs its matching key; a certificate and a token
 * exclude each other. Throws InvalidGateway naming the problem; nothing is half-built.
 */
export function buildEndpoint(
  kind: 'lns' | 'cups',
  input: EndpointInput,
  /** How the input's source names each part in messages: the flags' names by default. */
  name: (part: Exclude<keyof EndpointInput, 'uri'>) => string = (part) => `--${kind}-${part}`,
): { uri: string; credentials: Buffer | null } {
  const label = kind === 'lns' ? 'LNS' : 'CUPS';
  let url: URL;
  try {
    url = new URL(input.uri);
  } catch {
    throw new InvalidGateway(`the ${label} URI "${input.uri}" is not a URI`);
  }
  if (!(SCHEMES[kind] as readonly string[]).includes(url.protocol)) {
    throw new InvalidGateway(`the ${label} URI must start with ${SCHEMES[kind].map((s) => `${s}//`).join(' or ')}`);
  }
  if (Buffer.byteLength(input.uri) > 255) throw new InvalidGateway(`the ${label} URI is longer than 255 bytes`);
  if (input.cert && input.token) throw new InvalidGateway(`give either ${name('cert')}/${name('key')} or ${name('token')}, not both`);
  if (!!input.cert !== !!input.key) throw new InvalidGateway(`${name('cert')} and ${name('key')} go together`);
  if (!input.trust) {
    if (url.protocol === SECURE[kind]) throw new InvalidGateway(`a ${SECURE[kind]}// ${label} URI needs ${name('trust')}`);
    if (input.cert || input.token) throw new InvalidGateway(`${name('cert')} and ${name('token')} need ${name('trust')} as well`);
    return { uri: input.uri, credentials: null };
  }
  try {
    const trust = certificateDer(input.trust, `${label} trust`);
    if (input.cert && input.key) {
      // A leaf with its chain: the station keeps the leaf only (the blob has one certificate).
      const cert = certificateDer(leafOf(input.cert), `${label} certificate`);
      const key = privateKeyDer(input.key);
      if (!keyMatchesCertificate(key, cert)) throw new InvalidGateway(`${name('key')} does not belong to ${name('cert')}`);
      return { uri: input.uri, credentials: encodeCredentials({ mode: 'certificate', trust, cert, key }) };
    }
    if (input.token) {
      return { uri: input.uri, credentials: encodeCredentials({ mode: 'token', trust, token: tokenHeaderLines(input.token) }) };
    }
    return { uri: input.uri, credentials: encodeCredentials({ mode: 'trust-only', trust }) };
  } catch (error) {
    if (error instanceof CupsProtocolError) throw new InvalidGateway(`${label} credentials: ${error.message}`);
    throw error;
  }
}

function keyMatchesCertificate(key: Buffer, cert: Buffer): boolean {
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  return spki(createPublicKey(loadPrivateKey(key))).equals(spki(new X509Certificate(cert).publicKey));
}
