import { pemBlocks } from '../../protocol/lib/der.ts';
import { Failure, InvalidGateway } from '../errors.ts';
import { loadTrustStore, type TrustStore } from '../trust/trust-store.ts';
import { certificateEui, scopeAllows, verifyClientChain } from '../trust/verify-chain.ts';

/** The first certificate of a PEM file (a leaf and its chain), or the file as it is (DER, one certificate). */
export function leafOf(file: Uint8Array | string): Uint8Array | string {
  const text = typeof file === 'string' ? file : Buffer.from(file).toString('latin1');
  if (!text.includes('-----BEGIN')) return file;
  const first = pemBlocks(text).find((block) => block.label === 'CERTIFICATE');
  return first ? first.der : file;
}

/**
 * A check that a CUPS client certificate handed to a station will be accepted by this server: a
 * station keeps one certificate in cups.crt and presents it alone, so the trust store must
 * complete its chain for the gateway's tenant, and its CN must be the gateway's EUI. The trust
 * store is the server's own (a function returning its current one), or a tenants folder read
 * once, on the first certificate checked. Throws InvalidGateway with the next step, naming the
 * certificate as `field`.
 */
export function cupsCertificateCheck(
  trust: string | (() => TrustStore),
): (file: Uint8Array | string, gateway: { eui: string; tenant: string }, field: string) => Promise<void> {
  let loading: Promise<TrustStore> | undefined;
  return async (file, gateway, field) => {
    const store =
      typeof trust === 'function'
        ? trust()
        : await (loading ??= loadTrustStore(trust)).catch((error: Error) => {
            throw new InvalidGateway(`${field}: cannot read the trust store ${trust} to check it (${error.message}); give --tenants`);
          });
    const leaf = leafOf(file);
    const verified = await verifyClientChain(typeof leaf === 'string' ? Buffer.from(leaf) : leaf, [], store).catch((error: unknown) => {
      if (!(error instanceof Failure)) throw error;
      throw new InvalidGateway(
        `${field}: a station keeps only this certificate in cups.crt and presents it alone, ` +
          `and the trust store cannot complete its chain (${error.message}); ` +
          `trust its CAs first: npx cups ca add --tenant ${gateway.tenant} <the vendor's CA folder or intermediate.pem>`,
      );
    });
    const eui = certificateEui(verified.leaf);
    if (eui !== gateway.eui)
      throw new InvalidGateway(
        `${field} is for ${eui ?? `CN ${JSON.stringify(verified.leaf.commonNames)}`}, not for gateway ${gateway.eui}`,
      );
    if (!scopeAllows(verified.scope, gateway.tenant)) {
      throw new InvalidGateway(
        `${field} chains to CAs trusted for ${[...(verified.scope as Set<string>)].join(', ')}, not for tenant ${gateway.tenant}: ` +
          `npx cups ca add --tenant ${gateway.tenant} <its CAs>`,
      );
    }
  };
}
