/**
 * `npm run docs:api`: writes docs/api-reference.md from the OpenAPI document of a server started
 * here on a scratch folder (SQLite, no gateways), as the admin listener serves it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OpenApiDocument, renderApiReference } from '../src/admin/api-reference.ts';
import { SERVE_DEFAULTS } from '../src/config/serve-options.ts';
import { startServer } from '../src/server/start-server.ts';

/** A port nothing listens on now: the admin listener's (its port 0 means "none"). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });

const dir = mkdtempSync(join(tmpdir(), 'cups-api-reference-'));
try {
  const server = await startServer({
    ...SERVE_DEFAULTS,
    port: 0,
    host: '127.0.0.1',
    tenants: dir,
    db: `sqlite:${join(dir, 'cups.db')}`,
    secretKeyFile: join(dir, 'secret.key'),
    firmwareDir: join(dir, 'firmware'),
    tlsRejectUnauthorized: false,
    trustProxy: [],
    rateLimitEui: null,
    rateLimitPeer: null,
    logLevel: 'warn',
    demo: false,
    adminPort: await freePort(),
    adminHost: '127.0.0.1',
  }).catch((error: unknown) => {
    throw new Error(`could not start a server to read its OpenAPI document: ${(error as Error).message}`);
  });
  const document = (await server.admin!.inject({ method: 'GET', url: '/api/openapi.json' })).json() as OpenApiDocument;
  await server.close();
  const file = new URL('../docs/api-reference.md', import.meta.url);
  writeFileSync(file, renderApiReference(document));
  console.log(`wrote ${file.pathname}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
