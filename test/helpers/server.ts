import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { EUI, type TestPki, writeTenants } from '../../fixtures/test-pki.ts';
import type { ServeOptions } from '../../src/config/serve-options.ts';
import { buildEndpoint } from '../../src/provisioning/endpoint-credentials.ts';
import { openRegistry } from '../../src/registry/open-registry.ts';
import { loadKeyring } from '../../src/secrets/load-keyring.ts';
import { type RunningServer, startServer } from '../../src/server/start-server.ts';

export interface TestServer {
  server: RunningServer;
  /** Every JSON log line the server wrote. */
  log: () => Record<string, unknown>[];
  port: number;
  dir: string;
  tenants: string;
  db: string;
  secretKeyFile: string;
}

export interface ServerFolder {
  dir: string;
  tenants: string;
  db: string;
  secretKeyFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * What a server needs on disk: the fixture tenants, a registry with gateway A (tenant-a) and B
 * (tenant-b), each with LNS credentials, and the server's certificate and key.
 */
export async function prepareServerFolder(
  pki: TestPki,
  options: { db?: string; secretKeyFile?: string; registerGateways?: boolean; extraGateways?: [eui: string, tenant: string][] } = {},
): Promise<ServerFolder> {
  const dir = mkdtempSync(join(tmpdir(), 'cups-test-'));
  const tenants = join(dir, 'tenants');
  writeTenants(tenants, pki);
  const db = options.db ?? `sqlite:${join(dir, 'cups.db')}`;
  const secretKeyFile = options.secretKeyFile ?? join(dir, 'secret.key');
  const registry = openRegistry(db, loadKeyring({ file: secretKeyFile, createIfMissing: true }).keyring);
  await registry.checkKeys();
  const fixtureGateways: [string, string][] =
    (options.registerGateways ?? true)
      ? [
          [EUI.a, 'tenant-a'],
          [EUI.b, 'tenant-b'],
        ]
      : [];
  for (const [eui, tenant] of [...fixtureGateways, ...(options.extraGateways ?? [])]) {
    const lns = buildEndpoint('lns', { uri: `wss://lns-${tenant}.example:8887`, trust: pki.serverCa.pem, token: `secret-${tenant}` });
    await registry.add({ eui, tenant, name: null, lnsUri: lns.uri, lnsCredentials: lns.credentials, cupsUri: null, cupsCredentials: null });
  }
  await registry.close();
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  writeFileSync(certFile, pki.server.pem);
  writeFileSync(keyFile, pki.server.keyPem);
  return { dir, tenants, db, secretKeyFile, certFile, keyFile };
}

/** The `cups serve` flags that point at a server folder. */
export const folderFlags = (folder: ServerFolder): string[] => [
  '--tenants',
  folder.tenants,
  '--db',
  folder.db,
  '--secret-key-file',
  folder.secretKeyFile,
  '--firmware-dir',
  join(folder.dir, 'firmware'),
];

/** A real `cups serve` on a loopback port with the fixture tenants and two registered gateways. */
export async function startTestServer(
  pki: TestPki,
  options: Partial<ServeOptions> & { registerGateways?: boolean; extraGateways?: [eui: string, tenant: string][] } = {},
): Promise<TestServer> {
  const { registerGateways = true, extraGateways = [], ...serveOptions } = options;
  const { dir, tenants, db, secretKeyFile, certFile, keyFile } = await prepareServerFolder(pki, {
    registerGateways,
    extraGateways,
    ...(options.db ? { db: options.db } : {}),
    ...(options.secretKeyFile ? { secretKeyFile: options.secretKeyFile } : {}),
  });
  const lines: string[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const server = await startServer(
    {
      port: 0,
      host: '127.0.0.1',
      tenants,
      db,
      secretKeyFile,
      firmwareDir: join(dir, 'firmware'),
      tlsCert: certFile,
      tlsKey: keyFile,
      tlsRejectUnauthorized: false,
      trustProxy: ['127.0.0.0/8', '::1/128'],
      // Suites call the same two gateways hundreds of times; the limits have their own tests.
      rateLimitEui: null,
      rateLimitPeer: null,
      logLevel: 'info',
      demo: false,
      ...serveOptions,
    },
    logDestination,
  );
  const port = (server.app.server.address() as { port: number }).port;
  return { server, port, dir, tenants, db, secretKeyFile, log: () => lines.map((line) => JSON.parse(line)) };
}

export interface Answer {
  status: number;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
  json(): { code: string; message: string };
}

export interface PostOptions {
  body?: string | Buffer;
  contentType?: string | null;
  headers?: Record<string, string | string[]>;
  tls?: ConnectionOptions;
  method?: string;
  path?: string;
}

/** One request on a fresh connection, over HTTPS when `tls` is given, plain HTTP otherwise. */
export function post(port: number, options: PostOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.body ?? '';
    const headers: Record<string, string | string[] | number> = { ...options.headers, 'content-length': Buffer.byteLength(body) };
    if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
    const common = {
      host: '127.0.0.1',
      port,
      method: options.method ?? 'POST',
      path: options.path ?? '/update-info',
      headers,
      agent: false as const,
    };
    const onResponse = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, body: data, headers: res.headers, json: () => JSON.parse(data.toString()) });
      });
    };
    const req = options.tls
      ? httpsRequest({ ...common, servername: 'localhost', ...options.tls }, onResponse)
      : httpRequest(common, onResponse);
    req.on('error', reject);
    req.end(body);
  });
}

export const routerBody = (router: string, extra: Record<string, unknown> = {}) => JSON.stringify({ router, ...extra });
