import { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createCertificate, OID } from '../src/pki/create-certificate.ts';
import { forgetParsedCertificates, parseCertificate } from '../src/trust/certificate-facts.ts';
import { storedCertificate, TrustStore } from '../src/trust/trust-store.ts';
import { verifyClientChain } from '../src/trust/verify-chain.ts';
import { alternate } from './rounds.ts';

export interface VerifyFigure {
  name: string;
  perSecond: number;
  target?: number;
  met?: boolean;
}

const DISTINCT = 500;
const SECONDS = 3;
/** Verifications in flight at once, as when a fleet reconnects: signature checks then share both cores. */
export const IN_FLIGHT = 8;

/** Chain verifications per second with every cache off: each leaf parsed and walked afresh. */
export async function benchChainVerify(): Promise<VerifyFigure[]> {
  const root = await createCertificate({ subject: 'Bench root', ca: true });
  const intermediate = await createCertificate({ subject: 'Bench intermediate', issuer: root, ca: true });
  const leaves = await Promise.all(
    Array.from({ length: DISTINCT }, (_, i) =>
      createCertificate({
        subject: (0xb827eb0000000000n + BigInt(i)).toString(16).toUpperCase(),
        issuer: intermediate,
        extKeyUsage: [OID.clientAuth],
      }),
    ),
  );
  const store = new TrustStore([storedCertificate(parseCertificate(root.der), ['bench'], [])]);

  const rate = async (verify: (i: number) => unknown | Promise<unknown>) => {
    const until = Date.now() + SECONDS * 1000;
    let count = 0;
    const worker = async () => {
      while (Date.now() < until) await verify(count++ % DISTINCT);
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    return count / SECONDS;
  };

  const ours = (i: number) => {
    forgetParsedCertificates();
    return verifyClientChain(leaves[i]!.der, [intermediate.der], store);
  };
  const parse = (der: Buffer) => new pkijs.Certificate({ schema: asn1js.fromBER(der).result });
  const trusted = parse(root.der);
  const intermediateCert = parse(intermediate.der);
  const withPkijs = async (i: number) => {
    const engine = new pkijs.CertificateChainValidationEngine({
      trustedCerts: [trusted],
      certs: [parse(leaves[i]!.der), intermediateCert],
    });
    const result = await engine.verify();
    if (!result.result) throw new Error(result.resultMessage);
  };
  const rootX509 = new X509Certificate(root.der);
  const withX509 = (i: number) => {
    const leaf = new X509Certificate(leaves[i]!.der);
    const issuer = new X509Certificate(intermediate.der);
    const ok =
      !leaf.ca &&
      issuer.ca &&
      leaf.checkIssued(issuer) &&
      leaf.verify(issuer.publicKey) &&
      issuer.checkIssued(rootX509) &&
      issuer.verify(rootX509.publicKey);
    if (!ok) throw new Error('the X509Certificate chain did not verify');
  };
  // Two rounds taken in turn, the best of each side kept, so that noise on shared cores hits all alike.
  const runs = await alternate({ ours: () => rate(ours), pkijs: () => rate(withPkijs), x509: () => rate(withX509) }, 2);
  const [oursRate, pkijsRate, x509Rate] = [runs.ours, runs.pkijs, runs.x509].map((rates) => Math.max(...rates)) as [number, number, number];
  return [
    { name: 'pkijs CertificateChainValidationEngine, WebCrypto on the thread pool (no EKU check of its own)', perSecond: pkijsRate },
    { name: "Node's X509Certificate for each certificate: parse, checkIssued, verify (OpenSSL decodes every key)", perSecond: x509Rate },
    {
      name: "the service's checks: a DER walk of each certificate, issuer keys only, signatures verified by OpenSSL on the thread pool (the hot path)",
      perSecond: oursRate,
      target: 2000,
      met: oursRate >= 2000,
    },
  ];
}
