import { hash } from 'node:crypto';
import { derElementLength } from '../../protocol/lib/der.ts';
import { ClientCertificateMalformed } from '../errors.ts';

/**
 * Certificates from a forwarded-certificate header value, in order, in whichever encoding the
 * proxy used: Envoy XFCC, URL-encoded or plain PEM (nginx, AWS ALB), base64 DER lists (Traefik,
 * HAProxy, Caddy, concatenated DER included) or RFC 9440 byte sequences. Returns [] when the
 * value says there is no certificate. Every form is read strictly: a value that could be read in
 * two ways, or holds anything but certificates, throws ClientCertificateMalformed.
 */
export function parseForwardedCertificates(value: string): Buffer[] {
  const text = value.trim();
  // Empty, nginx's "-" style markers, and Caddy's unreplaced placeholder all mean "none".
  if (text === '' || text === '-' || text === '(null)' || /^\{[\w.]+\}$/.test(text)) return [];
  if (XFCC_START.test(text)) return fromXfcc(text);
  const decoded = text.includes('%') ? percentDecode(text) : text;
  if (decoded.includes('-----')) return fromPem(decoded);
  return fromBase64List(decoded);
}

/** The keys Envoy writes into an x-forwarded-client-cert element. */
const XFCC_KEYS = new Set(['by', 'hash', 'cert', 'chain', 'subject', 'uri', 'dns']);
/** Keys Envoy writes once per subjectAltName, so they may repeat; every other key appears once. */
const XFCC_REPEATABLE = new Set(['uri', 'dns']);
const XFCC_START = /^(By|Hash|Cert|Chain|Subject|URI|DNS)=/i;

/**
 * Envoy x-forwarded-client-cert, by Envoy's grammar: elements separated by `,`, key=value pairs
 * by `;`, a value holding `,;="` double-quoted with `\"` and `\\` escaped. Envoy writes URI and
 * DNS subjectAltNames unescaped, so a client's own certificate can carry `;Cert=...` into the
 * header: hence exactly one element (Envoy's SANITIZE_SET), no repeated key but URI and DNS,
 * and a Hash that must be the SHA-256 of the certificate Cert (or Chain) names.
 */
function fromXfcc(text: string): Buffer[] {
  const elements = splitOutsideQuotes(text, ',');
  if (elements.length !== 1) {
    throw new ClientCertificateMalformed(
      `the x-forwarded-client-cert header holds ${elements.length} elements; exactly one is accepted (Envoy's forward_client_cert_details: SANITIZE_SET)`,
    );
  }
  const pairs = new Map<string, string>();
  for (const pair of splitOutsideQuotes(elements[0]!, ';')) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, Math.max(eq, 0)).toLowerCase();
    if (!XFCC_KEYS.has(key))
      throw new ClientCertificateMalformed(`the x-forwarded-client-cert pair "${pair.slice(0, 20)}" has no key Envoy writes`);
    if (pairs.has(key) && !XFCC_REPEATABLE.has(key))
      throw new ClientCertificateMalformed(`the x-forwarded-client-cert element names ${key} twice`);
    pairs.set(key, unquote(pair.slice(eq + 1)));
  }
  const cert = pairs.get('cert');
  const chain = pairs.get('chain');
  if (!cert && !chain) return [];
  const leaf = cert ? fromPem(percentDecode(cert)) : [];
  if (leaf.length > 1) throw new ClientCertificateMalformed('the x-forwarded-client-cert Cert holds more than one certificate');
  const rest = chain ? fromPem(percentDecode(chain)) : [];
  // Envoy's Chain repeats the leaf first; keep each certificate once, leaf first.
  const all = [...leaf, ...rest].filter((der, i, list) => list.findIndex((other) => other.equals(der)) === i);
  const digest = pairs.get('hash');
  if (digest === undefined)
    throw new ClientCertificateMalformed('the x-forwarded-client-cert element has a certificate but no Hash (Envoy always writes one)');
  if (digest.toLowerCase() !== hash('sha256', all[0]!, 'hex')) {
    throw new ClientCertificateMalformed('the x-forwarded-client-cert Hash is not the SHA-256 of its certificate');
  }
  return all;
}

/** A value as written: quoted (escapes undone) or bare (no quote at all). */
function unquote(raw: string): string {
  if (!raw.startsWith('"')) {
    if (raw.includes('"')) throw new ClientCertificateMalformed('an x-forwarded-client-cert value holds a quote it does not start with');
    return raw;
  }
  if (raw.length < 2 || !raw.endsWith('"'))
    throw new ClientCertificateMalformed('an x-forwarded-client-cert value has text after its closing quote');
  const inner = raw.slice(1, -1);
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === '"') throw new ClientCertificateMalformed('an x-forwarded-client-cert value has text after its closing quote');
    if (c === '\\') {
      const next = inner[++i];
      if (next !== '"' && next !== '\\')
        throw new ClientCertificateMalformed('an x-forwarded-client-cert value escapes something other than " or \\');
      out += next;
    } else {
      out += c;
    }
  }
  return out;
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

/** Percent-decoding only: `+` stays `+` (AWS ALB leaves `+ = /` unencoded). */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ClientCertificateMalformed('the forwarded certificate has a broken percent-encoding');
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END ([A-Z0-9 ]+)-----/g;

/** CERTIFICATE blocks and white space between them, nothing else (no key, no stray text). */
function fromPem(text: string): Buffer[] {
  const certificates: Buffer[] = [];
  let at = 0;
  for (const match of text.matchAll(PEM_BLOCK)) {
    if (text.slice(at, match.index).trim() !== '')
      throw new ClientCertificateMalformed('the forwarded PEM has text outside its CERTIFICATE blocks');
    if (match[1] !== 'CERTIFICATE' || match[3] !== 'CERTIFICATE') {
      throw new ClientCertificateMalformed(`the forwarded PEM holds a ${match[1]} block; only CERTIFICATE blocks are accepted`);
    }
    const body = match[2]!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0)
      throw new ClientCertificateMalformed('a forwarded PEM block is not valid base64');
    certificates.push(checkedDer(Buffer.from(body, 'base64')));
    at = match.index + match[0].length;
  }
  if (text.slice(at).trim() !== '')
    throw new ClientCertificateMalformed('the forwarded PEM has text outside its CERTIFICATE blocks, or a block with no end');
  if (certificates.length === 0) throw new ClientCertificateMalformed('the forwarded PEM holds no complete CERTIFICATE block');
  return certificates;
}

/**
 * Base64 DER, one certificate or several back to back (HAProxy's ssl_c_chain_der), in a
 * comma-separated list (Traefik), each item either bare or in RFC 9440's colons, all alike.
 */
function fromBase64List(text: string): Buffer[] {
  const items = text.split(',').map((item) => item.trim());
  const wrapped = items.filter((item) => /^:.*:$/.test(item)).length;
  if (wrapped !== 0 && wrapped !== items.length)
    throw new ClientCertificateMalformed('the forwarded list mixes RFC 9440 :byte sequences: with bare base64');
  return items.flatMap((item) => fromBase64Der(wrapped ? item.slice(1, -1) : item));
}

function fromBase64Der(body: string): Buffer[] {
  const standard = /^[A-Za-z0-9+/]+={0,2}$/.test(body);
  const url = /^[A-Za-z0-9_-]+={0,2}$/.test(body);
  if (!standard && !url) throw new ClientCertificateMalformed('the forwarded certificate is neither PEM nor base64 DER');
  const der = Buffer.from(body, standard ? 'base64' : 'base64url');
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
