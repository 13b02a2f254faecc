import { InvalidGateway } from '../errors.ts';
import { OID } from '../lib/oids.ts';
import { certificateEui } from '../trust/verify-chain.ts';
import { certificateInput } from './certificate-input.ts';

/**
 * Checks a self-signed client certificate a gateway is to be accepted with, no CA needed: signed
 * by its own key with an accepted algorithm, an end-entity certificate fit for clientAuth, valid
 * now, and its CN the gateway's EUI. Returns its SHA-256; `field` names it in refusals.
 */
export function selfSignedFingerprint(certificate: Uint8Array | string, eui: string, field: string, now = new Date()): string {
  const facts = certificateInput(certificate, field);
  const problem = !facts.selfIssued
    ? `is issued by ${facts.issuerText}, not self-signed: trust its CA instead`
    : !facts.signedByOwnKey()
      ? 'is not signed by its own key with an accepted algorithm'
      : facts.isCa
        ? 'is a CA certificate; a gateway needs an end-entity certificate'
        : facts.extKeyUsage && !facts.extKeyUsage.includes(OID.clientAuth)
          ? 'has extended key usage without clientAuth'
          : now > facts.notAfter || now < facts.notBefore
            ? `is not valid now (${facts.notBefore.toISOString()} to ${facts.notAfter.toISOString()})`
            : certificateEui(facts) !== eui
              ? `is for CN ${JSON.stringify(facts.commonNames)}, not for gateway ${eui}`
              : undefined;
  if (problem) throw new InvalidGateway(`${field} ${problem}`);
  return facts.fingerprint;
}
