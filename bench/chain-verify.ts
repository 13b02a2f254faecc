import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createCertificate, OID } from '../src/pki/create-certificate.ts';
import { certificateFacts, forgetParsedCertificates } from '../src/trust/certificate-facts.ts';
import { TrustStore } from '../src/trust/trust-store.ts';
import { verifyClientChain } from '../src/trust/verify-chain.ts';

export interface VerifyFigure {
  name: string;
  perSecond: number;
  target?: number;
  met?: boolean;
}

const DISTINCT = 500;
const SECONDS = 4;

/** Chain verifications per second with every cache off: each leaf parsed and walked afresh. */
export async function benchChainVerify(): Promise<VerifyFigure[]> {
  const root = await createCertificate({ subject: 'Bench root', ca: true });
  const intermediate = await createCertificate({ subject: 'Bench intermediate', issuer: root, ca: true });
  const leaves = await Promise.all(
    Array.from({ length: DISTINCT }, (_, i) => createCertificate({ subject: (0xb827eb0000000000n + BigInt(i)).toString(16).toUpperCase(), issuer: intermediate, extKeyUsage: [OID.clientAuth] })),
  );
  const facts = certificateFacts(root.der);
  const store = new TrustStore([{ ...facts, tenants: new Set(['bench']), files: [], anchor: true }]);

  const rate = async (verify: (i: number) => unknown | Promise<unknown>) => {
    const until = Date.now() + SECONDS * 1000;
    let count = 0;
    while (Date.now() < until) {
      await verify(count % DISTINCT);
      count++;
    }
    return count / SECONDS;
  };

  const ours = await rate((i) => {
    forgetParsedCertificates();
    return verifyClientChain(leaves[i]!.der, [intermediate.der], store);
  });
  const parse = (der: Buffer) => new pkijs.Certificate({ schema: asn1js.fromBER(der).result });
  const trusted = parse(root.der);
  const intermediateCert = parse(intermediate.der);
  const pkijsRate = await rate(async (i) => {
    const engine = new pkijs.CertificateChainValidationEngine({ trustedCerts: [trusted], certs: [parse(leaves[i]!.der), intermediateCert] });
    const result = await engine.verify();
    if (!result.result) throw new Error(result.resultMessage);
  });
  return [
    { name: 'pkijs CertificateChainValidationEngine (no EKU check of its own)', perSecond: pkijsRate },
    { name: "Node's X509Certificate (OpenSSL) plus a DER walk for path lengths: every check of the service (the hot path)", perSecond: ours, target: 2000, met: ours >= 2000 },
  ];
}
