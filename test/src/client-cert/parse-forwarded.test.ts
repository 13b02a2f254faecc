import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseForwardedCertificates } from '../../../src/client-cert/parse-forwarded.ts';
import { ClientCertificateMalformed } from '../../../src/errors.ts';
import { parseCertificate } from '../../../src/trust/certificate-facts.ts';
import { storedCertificate, TrustStore } from '../../../src/trust/trust-store.ts';
import { verifyClientChain } from '../../../src/trust/verify-chain.ts';
import { VECTORS } from '../../helpers/paths.ts';

const dir = join(VECTORS, 'proxy-headers');
const headers = (name: string): Record<string, string> => JSON.parse(readFileSync(join(dir, name), 'utf8'));
const der = (name: string) => Buffer.from(new X509Certificate(readFileSync(join(dir, name))).raw);
const leaf = der('rsa-leaf.pem');
const intermediate = der('rsa-int.pem');
const root = der('rsa-root.pem');
const pem = (cert: Buffer) => new X509Certificate(cert).toString();

describe('what real proxies forwarded (fixtures/vectors/proxy-headers)', () => {
  it('nginx 1.22 $ssl_client_escaped_cert: URL-encoded PEM of the leaf', () => {
    expect(parseForwardedCertificates(headers('nginx-1.22.json')['x-ssl-client-cert']!)).toEqual([leaf]);
  });

  it('HAProxy 2.6 ssl_c_der and ssl_c_chain_der: base64 DER', () => {
    const forwarded = headers('haproxy-2.6.json');
    expect(parseForwardedCertificates(forwarded['x-ssl-client-cert']!)).toEqual([leaf]);
    expect(parseForwardedCertificates(forwarded['x-ssl-client-chain']!)).toEqual([intermediate]);
  });

  it('Caddy 2.6 certificate_der_base64, and its placeholder text when there is no certificate', () => {
    expect(parseForwardedCertificates(headers('caddy-2.6.json')['x-client-cert-der']!)).toEqual([leaf]);
    expect(parseForwardedCertificates(headers('caddy-2.6-no-certificate.json')['x-client-cert-der']!)).toEqual([]);
  });

  it('the forwarded chain verifies against its root, as the server checks it', async () => {
    const store = new TrustStore([storedCertificate(parseCertificate(root), ['tenant-a'], ['rsa-root.pem'])]);
    const chain = parseForwardedCertificates(headers('haproxy-2.6.json')['x-ssl-client-chain']!);
    const verified = await verifyClientChain(
      parseForwardedCertificates(headers('haproxy-2.6.json')['x-ssl-client-cert']!)[0]!,
      chain,
      store,
      new Date('2027-01-01'),
    );
    expect(verified.leaf.commonNames).toEqual(['b827ebfffe123456']);
    expect(verified.scope).toEqual(new Set(['tenant-a']));
  });
});

describe('header forms no proxy here produces', () => {
  const xfcc = (cert: Buffer, more = '') =>
    `By=spiffe://cluster/ns/cups;Hash=${createHash('sha256').update(cert).digest('hex')};Cert="${encodeURIComponent(pem(cert))}"${more}`;

  it('Envoy XFCC: Cert is the gateway, Chain adds intermediates, Hash is checked', () => {
    const value = xfcc(
      leaf,
      `;Chain="${encodeURIComponent(pem(leaf) + pem(intermediate))}";Subject="CN=b827ebfffe123456";URI=;DNS=a.example;DNS=b.example`,
    );
    expect(parseForwardedCertificates(value)).toEqual([leaf, intermediate]);
  });

  it.each([
    // A client certificate whose URI SAN is "x;Cert=<victim>": Envoy writes SANs unescaped.
    [
      'a second Cert smuggled in through a subjectAltName',
      () => xfcc(leaf, `;URI=x;Cert="${encodeURIComponent(pem(root))}"`),
      /names cert twice/,
    ],
    ['a second Hash', () => xfcc(leaf, `;Hash=${'0'.repeat(64)}`), /names hash twice/],
    [
      'a Hash of another certificate',
      () => xfcc(leaf).replace(/Hash=\w+/, `Hash=${createHash('sha256').update(root).digest('hex')}`),
      /Hash is not the SHA-256/,
    ],
    ['no Hash', () => xfcc(leaf).replace(/Hash=\w+;/, ''), /no Hash/],
    ['a second element (which would be the gateway?)', () => `${xfcc(leaf)},${xfcc(root)}`, /exactly one is accepted/],
    ['a key Envoy never writes', () => xfcc(leaf, ';Tenant=a'), /no key Envoy writes/],
    ['a quote inside a bare value', () => xfcc(leaf, ';URI=x"y'), /quote/],
    ['text after a closing quote', () => xfcc(leaf, ';Subject="CN=x"y'), /after its closing quote/],
    [
      'two certificates in Cert',
      () => `Hash=${createHash('sha256').update(leaf).digest('hex')};Cert="${encodeURIComponent(pem(leaf) + pem(root))}"`,
      /more than one certificate/,
    ],
  ])('refuses XFCC with %s', (_name, value, reason) => {
    expect(() => parseForwardedCertificates(value())).toThrow(reason);
  });

  it.each([
    ['a private key beside the certificate', () => `${pem(leaf)}-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n`],
    ['text before the PEM', () => `junk ${pem(leaf)}`],
    ['base64 mixing the standard and URL alphabets', () => `${leaf.toString('base64')}-_`],
    ['a list mixing RFC 9440 items and bare base64', () => `:${leaf.toString('base64')}:,${intermediate.toString('base64')}`],
  ])('refuses %s: a value read one way only', (_name, value) => {
    expect(() => parseForwardedCertificates(value())).toThrow(ClientCertificateMalformed);
  });

  it('AWS ALB: URL-encoded PEM with + = / left as they are', () => {
    const albEncoded = encodeURIComponent(pem(leaf) + pem(intermediate))
      .replace(/%2B/g, '+')
      .replace(/%3D/g, '=')
      .replace(/%2F/g, '/');
    expect(albEncoded).toContain('+');
    expect(parseForwardedCertificates(albEncoded)).toEqual([leaf, intermediate]);
  });

  it('Traefik: comma-separated base64 DER, leaf first', () => {
    expect(parseForwardedCertificates(`${leaf.toString('base64')},${intermediate.toString('base64')}`)).toEqual([leaf, intermediate]);
  });

  it('RFC 9440 Client-Cert byte sequence', () => {
    expect(parseForwardedCertificates(`:${leaf.toString('base64')}:`)).toEqual([leaf]);
  });

  it('plain PEM with the newlines folded into spaces', () => {
    expect(parseForwardedCertificates(pem(leaf).replace(/\n/g, ' '))).toEqual([leaf]);
  });

  it.each([
    ['base64 of garbage', Buffer.from('not a certificate').toString('base64')],
    ['truncated DER', leaf.subarray(0, 100).toString('base64')],
    ['broken percent-encoding', '-----BEGIN%20CERTIFICATE-----%ZZ'],
    ['a PEM block with no end', '-----BEGIN CERTIFICATE-----\nMIIB'],
    ['text', 'hello world'],
    ['an unterminated XFCC quote', 'Hash=abc;Cert="-----BEGIN'],
    ['text after the PEM', `${'-----BEGIN CERTIFICATE-----'}\n-----END CERTIFICATE----- and more`],
  ])('refuses %s', (_name, value) => {
    expect(() => parseForwardedCertificates(value)).toThrow(ClientCertificateMalformed);
  });
});
