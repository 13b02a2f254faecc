import { pemBlocks } from '../../protocol/lib/der.ts';
import { InvalidGateway } from '../errors.ts';
import { type CertificateFacts, parseCertificate } from '../trust/certificate-facts.ts';

/** A certificate an operator gives (PEM, its first CERTIFICATE block; or DER), parsed; InvalidGateway naming `field` when it is none. */
export function certificateInput(input: Uint8Array | string, field: string): CertificateFacts {
  try {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
    const der = text.includes('-----BEGIN') ? pemBlocks(text).find((b) => b.label === 'CERTIFICATE')?.der : input;
    if (!der || typeof der === 'string') throw new Error('no CERTIFICATE block');
    return parseCertificate(der);
  } catch (error) {
    throw new InvalidGateway(`${field}: not a certificate (${(error as Error).message})`);
  }
}
