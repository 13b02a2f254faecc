import { derElementLength, pemBlocks } from '../../protocol/lib/der.ts';
import { ClientCertificateMalformed } from '../errors.ts';

/**
 * Certificates from a forwarded-certificate header value, in order, in whichever encoding the
 * proxy used: Envoy XFCC, URL-encoded or plain PEM (nginx, AWS ALB), base64 DER lists (Traefik,
 * HAProxy, Caddy, concatenated DER included) or RFC 9440 byte sequences. Returns [] when the
 * value says there is no certificate; throws ClientCertificateMalformed for anything else.
 */
export function parseForwardedCertificates(value: string): Buffer[] {
  const text = value.trim();
  // Empty, nginx's "-" style markers, and Caddy's unreplaced placeholder all mean "none".
  if (text === '' || text === '-' || text === '(null)' || /^\{[\w.]+\}$/.test(text)) return [];
  if (/(^|[;,])\s*(By|Hash|Cert|Chain|Subject|URI|DNS)=/i.test(text)) return fromXfcc(text);
  const decoded = text.includes('%') ? percentDecode(text) : text;
  if (decoded.includes('-----BEGIN')) return fromPem(decoded);
  return decoded.split(',').flatMap((item) => fromBase64Der(item.trim()));
}

/** Percent-decoding only: `+` stays `+` (AWS ALB leaves `+ = /` unencoded). */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ClientCertificateMalformed('the forwarded certificate has a broken percent-encoding');
  }
}

function fromPem(text: string): Buffer[] {
  let blocks;
  try {
    blocks = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE');
  } catch (error) {
    throw new ClientCertificateMalformed(`the forwarded PEM is broken: ${(error as Error).message}`);
  }
  if (blocks.length === 0) throw new ClientCertificateMalformed('the forwarded PEM holds no complete CERTIFICATE block');
  return blocks.map((b) => checkedDer(b.der));
}

function fromBase64Der(item: string): Buffer[] {
  // RFC 9440 wraps each certificate in colons.
  const body = item.replace(/^:(.*):$/, '$1');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(body)) {
    throw new ClientCertificateMalformed('the forwarded certificate is neither PEM nor base64 DER');
  }
  const der = Buffer.from(body, body.includes('-') || body.includes('_') ? 'base64url' : 'base64');
  // HAProxy's ssl_c_chain_der is several DER certificates back to back.
  const certificates: Buffer[] = [];
  for (let at = 0; at < der.length; ) {
    const length = der[at] === 0x30 ? derElementLength(der, at) : undefined;
    if (length === undefined || at + length > der.length) {
      throw new ClientCertificateMalformed(`the forwarded DER is truncated or not a certificate at byte ${at}`);
    }
    certificates.push(der.subarray(at, at + length));
    at += length;
  }
  if (certificates.length === 0) throw new ClientCertificateMalformed('the forwarded certificate is empty');
  return certificates;
}

function checkedDer(der: Buffer): Buffer {
  if (der[0] !== 0x30 || derElementLength(der) !== der.length) {
    throw new ClientCertificateMalformed('a forwarded PEM block is not one DER certificate');
  }
  return der;
}

/**
 * Envoy x-forwarded-client-cert: elements per hop separated by `,`, pairs by `;`, values quoted
 * when they hold `,;=`. The first element describes the original client, which is the gateway.
 */
function fromXfcc(text: string): Buffer[] {
  const elements = splitOutsideQuotes(text, ',');
  const pairs = new Map<string, string>();
  for (const pair of splitOutsideQuotes(elements[0]!, ';')) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new ClientCertificateMalformed('the x-forwarded-client-cert element has a pair without "="');
    const key = pair.slice(0, eq).trim().toLowerCase();
    const raw = pair.slice(eq + 1).trim();
    pairs.set(key, raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1).replace(/\\"/g, '"') : raw);
  }
  const cert = pairs.get('cert');
  const chain = pairs.get('chain');
  if (!cert && !chain) return [];
  const leaf = cert ? fromPem(percentDecode(cert)) : [];
  const rest = chain ? fromPem(percentDecode(chain)) : [];
  // Envoy's Chain repeats the leaf first; keep each certificate once, leaf first.
  const all = [...leaf, ...rest];
  return all.filter((der, i) => all.findIndex((other) => other.equals(der)) === i);
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && quoted && i + 1 < text.length) {
      current += c + text[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === separator && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (quoted) throw new ClientCertificateMalformed('the x-forwarded-client-cert header has an unterminated quote');
  parts.push(current);
  return parts;
}
