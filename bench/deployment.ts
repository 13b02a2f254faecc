import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServeOptions } from '../src/config/serve-options.ts';
import { createCertificate, type IssuedCertificate, OID } from '../src/pki/create-certificate.ts';
import { generateKeyPair, privateKeyPem } from '../src/pki/keys.ts';
import { openRegistry } from '../src/registry/open-registry.ts';
import { loadKeyring } from '../src/secrets/load-keyring.ts';

export interface DeploymentShape {
  tenants: number;
  /** Gateways in the registry. */
  registered: number;
  /** Of those, how many get a certificate (spread evenly over the registry and the tenants). */
  certified: number;
}

export interface Deployment {
  options: ServeOptions;
  /** One CA a tenant, `tenants/tenant-<n>/ca.pem`. */
  cas: IssuedCertificate[];
  /** Per certified gateway: its certificate (PEM) and update-info body. */
  certificates: string[];
  bodies: string[];
  /** The private key every gateway certificate certifies. */
  gatewayKeyPem: string;
}

const REGISTER_BATCH = 100_000;
const SIGN_BATCH = 200;

export const euiOf = (index: number): string => (0xb827eb0000000000n + BigInt(index)).toString(16).toUpperCase();
export const updateInfoBody = (eui: string): string =>
  JSON.stringify({
    router: eui,
    tcUri: 'ws://lns:1',
    tcCredCrc: 0x7bd5c66f,
    cupsCredCrc: 0x7bd5c66f,
    model: 'linux',
    package: '1',
    keys: [],
  });

/**
 * A server's folder for the benchmarks: tenant CAs, a registry of `registered` gateways (gateway i
 * belongs to tenant i mod tenants), and certificates for `certified` of them signed by their
 * tenant's CA. The gateways share one key pair: the server never sees private keys, and signing
 * is what costs.
 */
export async function createDeployment(dir: string, shape: DeploymentShape, log = (_line: string) => {}): Promise<Deployment> {
  const cas: IssuedCertificate[] = [];
  for (let t = 0; t < shape.tenants; t++) {
    const ca = await createCertificate({ subject: `Bench tenant ${t} CA`, ca: true });
    mkdirSync(join(dir, 'tenants', `tenant-${t}`), { recursive: true });
    writeFileSync(join(dir, 'tenants', `tenant-${t}`, 'ca.pem'), ca.pem);
    cas.push(ca);
  }
  const options: ServeOptions = {
    port: 0,
    host: '127.0.0.1',
    tenants: join(dir, 'tenants'),
    db: `sqlite:${join(dir, 'cups.db')}`,
    secretKeyFile: join(dir, 'secret.key'),
    firmwareDir: join(dir, 'firmware'),
    tlsRejectUnauthorized: false,
    trustProxy: ['127.0.0.0/8'],
    logLevel: 'info',
    demo: false,
    clientCertHeader: 'X-SSL-Client-Cert',
    // The benchmark measures answering; one gateway calling thousands of times a second is exactly what the limits refuse.
    rateLimitEui: null,
    rateLimitPeer: null,
  };
  const registry = openRegistry(options.db, loadKeyring({ file: options.secretKeyFile, createIfMissing: true }).keyring);
  try {
    await registry.checkKeys();
    for (let from = 0; from < shape.registered; from += REGISTER_BATCH) {
      const batch = Array.from({ length: Math.min(REGISTER_BATCH, shape.registered - from) }, (_, k) => {
        const i = from + k;
        return {
          eui: euiOf(i),
          tenant: `tenant-${i % shape.tenants}`,
          name: null,
          lnsUri: 'ws://lns:1',
          lnsCredentials: null,
          cupsUri: null,
          cupsCredentials: null,
        };
      });
      await registry.addMany(batch);
      if (shape.registered > REGISTER_BATCH) log(`registered ${from + batch.length} of ${shape.registered} gateways`);
    }
  } finally {
    await registry.close();
  }
  const keyPair = await generateKeyPair('ec');
  const step = Math.floor(shape.registered / shape.certified);
  const indices = Array.from({ length: shape.certified }, (_, k) => k * step);
  const certificates: string[] = [];
  for (let from = 0; from < indices.length; from += SIGN_BATCH) {
    const batch = await Promise.all(
      indices
        .slice(from, from + SIGN_BATCH)
        .map((i) =>
          createCertificate({ subject: euiOf(i), issuer: cas[i % shape.tenants]!, keyPair, extKeyUsage: [OID.clientAuth], days: 30 }),
        ),
    );
    certificates.push(...batch.map((cert) => cert.pem));
  }
  return {
    options,
    cas,
    certificates,
    bodies: indices.map((i) => updateInfoBody(euiOf(i))),
    gatewayKeyPem: await privateKeyPem(keyPair.privateKey),
  };
}
