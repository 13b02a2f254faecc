import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createCertificate, createServerCertificate, OID } from '../pki/create-certificate.ts';
import { buildEndpoint } from '../provisioning/endpoint-credentials.ts';
import type { GatewayRegistry } from '../registry/gateway-registry.ts';

export const DEMO_EUI = '0016C001FF10A235';
export const DEMO_TENANT = 'demo';

export interface Demo {
  dir: string;
  serverCert: string;
  serverKey: string;
  serverCa: string;
  gatewayCert: string;
  gatewayKey: string;
}

/**
 * First run on embedded defaults: a server certificate for localhost, a demo tenant CA in the
 * tenants folder, and one registered gateway with its own client certificate. Made once; the
 * files are gitignored (data/, tenants/demo/).
 */
export async function ensureDemo(dataDir: string, tenantsDir: string, registry: GatewayRegistry): Promise<Demo> {
  const dir = join(dataDir, 'demo');
  const demo: Demo = {
    dir,
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    serverCa: join(dir, 'server-ca.crt'),
    gatewayCert: join(dir, 'gateway.crt'),
    gatewayKey: join(dir, 'gateway.key'),
  };
  const tenantCaFile = join(tenantsDir, DEMO_TENANT, 'demo-ca.pem');
  if (!existsSync(demo.gatewayKey) || !existsSync(tenantCaFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    mkdirSync(join(tenantsDir, DEMO_TENANT), { recursive: true });
    const serverCa = await createCertificate({ subject: 'CUPS demo server CA', ca: true, days: 3650 });
    const server = await createServerCertificate(serverCa, ['localhost', '127.0.0.1']);
    const tenantCa = await createCertificate({ subject: 'CUPS demo tenant CA', ca: true, days: 3650 });
    const gateway = await createCertificate({ subject: DEMO_EUI, issuer: tenantCa, extKeyUsage: [OID.clientAuth], days: 825 });
    writeFileSync(demo.serverCa, serverCa.pem);
    writeFileSync(demo.serverCert, server.pem + serverCa.pem);
    writeFileSync(demo.serverKey, server.keyPem, { mode: 0o600 });
    writeFileSync(demo.gatewayCert, gateway.pem);
    writeFileSync(demo.gatewayKey, gateway.keyPem, { mode: 0o600 });
    writeFileSync(tenantCaFile, tenantCa.pem);
  }
  if (!(await registry.get(DEMO_EUI))) {
    const lns = buildEndpoint('lns', {
      uri: 'wss://lns.example.com:8887',
      trust: readFileSync(demo.serverCa, 'utf8'),
      cert: readFileSync(demo.gatewayCert, 'utf8'),
      key: readFileSync(demo.gatewayKey, 'utf8'),
    });
    await registry.add({
      eui: DEMO_EUI,
      tenant: DEMO_TENANT,
      name: 'demo gateway',
      lnsUri: lns.uri,
      lnsCredentials: lns.credentials,
      cupsUri: null,
      cupsCredentials: null,
    });
  }
  return demo;
}

/** The command a new user runs to see an answer, as The Things Stack's docs show it. */
export function demoCurlCommand(demo: Demo, port: number): string {
  const path = (file: string) => relative(process.cwd(), file);
  return (
    `curl --cert ${path(demo.gatewayCert)} --key ${path(demo.gatewayKey)} --cacert ${path(demo.serverCa)} ` +
    `https://localhost:${port}/update-info ` +
    `-d '{"router":"${DEMO_EUI}"}' | npx cups decode`
  );
}
