import { createHash, randomBytes, type webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { KEY_USAGE, OID } from '../lib/oids.ts';
import { generateKeyPair, type KeyType, privateKeyPem, toPem } from './keys.ts';

export { KEY_USAGE, OID };

/** A certificate with its key pair, as everything that issues certificates here returns it. */
export interface IssuedCertificate {
  der: Buffer;
  pem: string;
  keyPair: webcrypto.CryptoKeyPair;
  keyPem: string;
  /** Kept so that children can copy the issuer name and key identifier. */
  pkijs: pkijs.Certificate;
}

export interface CertificateSpec {
  /** Subject attributes in order, e.g. [['2.5.4.3', 'B827EBFFFE123456']]; a bare string is one CN. */
  subject: string | [oid: string, value: string][];
  /** The issuing certificate; self-signed when absent. */
  issuer?: IssuedCertificate;
  keyType?: KeyType;
  /** Reuse a key pair (for example to certify a CSR's key or to make a cross-signed twin). */
  keyPair?: webcrypto.CryptoKeyPair;
  publicKey?: webcrypto.CryptoKey;
  notBefore?: Date;
  notAfter?: Date;
  days?: number;
  ca?: boolean;
  pathLength?: number;
  /** Key usage bits (see KEY_USAGE); a default that fits `ca` when absent, none when 0. */
  keyUsage?: number;
  /** Extended key usage OIDs; none when absent. */
  extKeyUsage?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  serial?: Buffer;
  /** Further extensions, as given (name constraints, a vendor's own). */
  extensions?: pkijs.Extension[];
}

const DAY_MS = 86_400_000;

/** Issues an X.509 v3 certificate with pkijs; keys come from Node's WebCrypto. */
export async function createCertificate(spec: CertificateSpec): Promise<IssuedCertificate> {
  const keyPair = spec.keyPair ?? (spec.publicKey ? undefined : await generateKeyPair(spec.keyType ?? 'ec'));
  const publicKey = spec.publicKey ?? keyPair!.publicKey;
  const issuerKey = spec.issuer ? spec.issuer.keyPair.privateKey : keyPair?.privateKey;
  if (!issuerKey) throw new Error('a self-signed certificate needs its own key pair');

  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = Buffer.from(spec.serial ?? randomBytes(16));
  serial[0]! &= 0x7f; // a positive INTEGER
  if (serial[0] === 0) serial[0] = 0x01;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  const attributes = typeof spec.subject === 'string' ? [[OID.commonName, spec.subject] as [string, string]] : spec.subject;
  for (const [type, value] of attributes) {
    cert.subject.typesAndValues.push(new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) }));
  }
  cert.issuer = spec.issuer ? spec.issuer.pkijs.subject : cert.subject;
  const notBefore = spec.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = spec.notAfter ?? new Date(notBefore.getTime() + (spec.days ?? 365) * DAY_MS);
  cert.notBefore = certificateTime(notBefore);
  cert.notAfter = certificateTime(notAfter);
  await cert.subjectPublicKeyInfo.importKey(publicKey);

  const spki = Buffer.from(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
  const keyId = createHash('sha1').update(spki).digest();
  const extensions: pkijs.Extension[] = [];
  if (spec.ca !== undefined) {
    const constraints = new pkijs.BasicConstraints({
      cA: spec.ca,
      ...(spec.pathLength !== undefined ? { pathLenConstraint: spec.pathLength } : {}),
    });
    extensions.push(extension(OID.basicConstraints, true, constraints.toSchema()));
  }
  const keyUsage = spec.keyUsage ?? (spec.ca ? KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign : KEY_USAGE.digitalSignature);
  if (keyUsage) extensions.push(extension(OID.keyUsage, true, bitString(keyUsage)));
  if (spec.extKeyUsage) {
    extensions.push(extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: spec.extKeyUsage }).toSchema()));
  }
  extensions.push(extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyId })));
  const issuerKeyId = spec.issuer ? issuerKeyIdentifier(spec.issuer.pkijs) : keyId;
  if (issuerKeyId) {
    const aki = new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: issuerKeyId }) });
    extensions.push(extension(OID.authorityKeyIdentifier, false, aki.toSchema()));
  }
  const altNames = [
    ...(spec.dnsNames ?? []).map((value) => new pkijs.GeneralName({ type: 2, value })),
    ...(spec.ipAddresses ?? []).map((ip) => new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: ipBytes(ip) }) })),
  ];
  if (altNames.length) extensions.push(extension(OID.subjectAltName, false, new pkijs.GeneralNames({ names: altNames }).toSchema()));
  cert.extensions = [...extensions, ...(spec.extensions ?? [])];

  await cert.sign(issuerKey, 'SHA-256');
  const der = Buffer.from(cert.toSchema(true).toBER());
  const ownKeys = keyPair ?? { publicKey, privateKey: undefined as unknown as webcrypto.CryptoKey };
  return {
    der,
    pem: toPem('CERTIFICATE', der),
    keyPair: ownKeys,
    keyPem: keyPair ? await privateKeyPem(keyPair.privateKey) : '',
    pkijs: cert,
  };
}

function certificateTime(date: Date): pkijs.Time {
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return new pkijs.Time({ type: date.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime, value: date });
}

function extension(extnID: string, critical: boolean, value: asn1js.AsnType): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

function bitString(bits: number): asn1js.BitString {
  let unused = 0;
  while (unused < 7 && !(bits & (1 << unused))) unused++;
  return new asn1js.BitString({ valueHex: new Uint8Array([bits]).buffer, unusedBits: unused });
}

function issuerKeyIdentifier(issuer: pkijs.Certificate): ArrayBuffer | undefined {
  const ski = issuer.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
  return ski ? (ski.parsedValue as asn1js.OctetString).valueBlock.valueHexView.slice().buffer : undefined;
}

function ipBytes(ip: string): Uint8Array {
  if (ip.includes(':')) throw new Error('only IPv4 addresses are supported in certificates issued here');
  return new Uint8Array(ip.split('.').map(Number));
}

/**
 * A TLS server certificate for the given host names, valid for Basics Station clients too:
 * mbedTLS matches only the CN and DNS names, so IP addresses are listed as DNS names as well.
 */
export function createServerCertificate(issuer: IssuedCertificate, hosts: string[], days = 825): Promise<IssuedCertificate> {
  const ipAddresses = hosts.filter((host) => /^\d+\.\d+\.\d+\.\d+$/.test(host));
  return createCertificate({ subject: hosts[0]!, issuer, dnsNames: hosts, ipAddresses, extKeyUsage: [OID.serverAuth], days });
}
