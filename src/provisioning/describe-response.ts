import { createHash, X509Certificate } from 'node:crypto';
import { credentialsCrc, loadPrivateKey, splitCredentials, type UpdateInfoResponse } from '../../protocol/index.ts';
import type { Gateway } from '../registry/gateway-registry.ts';

/** What an operator may see of a certificate: never more than its public facts. */
export function describeCertificate(der: Uint8Array) {
  const cert = new X509Certificate(der);
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    notAfter: new Date(cert.validTo).toISOString(),
    sha256: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
  };
}

function describeKey(der: Uint8Array): string {
  let key: ReturnType<typeof loadPrivateKey>;
  try {
    key = loadPrivateKey(der);
  } catch {
    return 'unreadable';
  }
  const details = key.asymmetricKeyDetails ?? {};
  return details.namedCurve
    ? `${key.asymmetricKeyType} ${details.namedCurve}`
    : `${key.asymmetricKeyType} ${details.modulusLength ?? ''}`.trim();
}

/** A credentials blob as the station would split it: modes, certificates, key type, header names. */
export function describeCredentials(blob: Uint8Array) {
  const split = splitCredentials(blob);
  const mode = split.token !== null ? 'token' : split.cert ? 'certificate' : 'trust-only';
  return {
    mode,
    bytes: blob.length,
    crc32: credentialsCrc(blob),
    trust: describeCertificate(split.trust),
    ...(split.cert ? { certificate: describeCertificate(split.cert) } : {}),
    ...(split.key ? { keyType: describeKey(split.key) } : {}),
    // Token values are secrets: show only which headers the station will send.
    ...(split.token !== null
      ? {
          tokenHeaders: split.token
            .split('\r\n')
            .filter(Boolean)
            .map((line) => line.split(':')[0]),
        }
      : {}),
  };
}

/** The whole answer as JSON-friendly data, safe to print or log. */
export function describeResponse(response: UpdateInfoResponse) {
  return {
    cupsUri: response.cupsUri ?? null,
    tcUri: response.tcUri ?? null,
    cupsCred: response.cupsCred ? describeCredentials(response.cupsCred) : null,
    tcCred: response.tcCred ? describeCredentials(response.tcCred) : null,
    signature: response.signature
      ? { keyCrc: `0x${response.signature.keyCrc.toString(16).toUpperCase().padStart(8, '0')}`, bytes: response.signature.der.length }
      : null,
    update: response.update ? { bytes: response.update.length, sha256: createHash('sha256').update(response.update).digest('hex') } : null,
  };
}

/** Public view of a gateway: credentials described, never their key or token bytes. */
export function describeGateway(gateway: Gateway) {
  return {
    ...gateway,
    lnsCredentials: gateway.lnsCredentials ? describeCredentials(gateway.lnsCredentials) : null,
    cupsCredentials: gateway.cupsCredentials ? describeCredentials(gateway.cupsCredentials) : null,
    // The renewal's credentials hold the new private key: described, like every set.
    renewalCredentials: gateway.renewalCredentials ? describeCredentials(gateway.renewalCredentials) : null,
  };
}

/** What the audit keeps of a gateway: no secret, credentials by kind and CRC. */
export function auditView(gateway: Gateway) {
  const credentials = (blob: Uint8Array | null) => {
    if (!blob) return null;
    const { mode, crc32 } = describeCredentials(blob);
    return { mode, crc32 };
  };
  return {
    tenant: gateway.tenant,
    name: gateway.name,
    lnsUri: gateway.lnsUri,
    lnsCredentials: credentials(gateway.lnsCredentials),
    cupsUri: gateway.cupsUri,
    cupsCredentials: credentials(gateway.cupsCredentials),
    pinnedCertificates: gateway.pinnedCertificates,
    revokedCertificates: gateway.revokedCertificates,
    renewal: gateway.renewal,
    firmwareChannel: gateway.firmwareChannel,
    firmwarePin: gateway.firmwarePin,
  };
}
