import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createCertificate, OID } from '../src/pki/create-certificate.ts';
import { openRegistry } from '../src/registry/open-registry.ts';
import { loadKeyring } from '../src/secrets/load-keyring.ts';
const dir = mkdtempSync(join(tmpdir(), 'zz-'));
const root = await createCertificate({ subject: 'r', ca: true });
const leaf = await createCertificate({ subject: 'B827EB0000000000', issuer: root, extKeyUsage: [OID.clientAuth] });
mkdirSync(join(dir, 't', 'b'), { recursive: true }); writeFileSync(join(dir, 't', 'b', 'r.pem'), root.pem);
const options = { port: 0, host: '127.0.0.1', tenants: join(dir, 't'), db: `sqlite:${join(dir, 'c.db')}`, secretKeyFile: join(dir, 's.key'), firmwareDir: join(dir, 'f'), tlsRejectUnauthorized: false, trustProxy: ['127.0.0.0/8'], logLevel: process.env.LL ?? 'info', demo: false, clientCertHeader: 'X-SSL-Client-Cert' };
const reg = openRegistry(options.db, loadKeyring({ file: options.secretKeyFile, createIfMissing: true }).keyring); await reg.checkKeys();
await reg.add({ eui: 'B827EB0000000000', tenant: 'b', name: null, lnsUri: 'ws://lns:1', lnsCredentials: null, cupsUri: null, cupsCredentials: null }); await reg.close();
const child = fork(new URL('./serve-for-bench.ts', import.meta.url), [JSON.stringify(options)], { execArgv: ['--import', 'tsx/esm', ...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof2'] : [])], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const port = await new Promise<number>((r) => child.once('message', (m: any) => r(m.listening)));
const body = JSON.stringify({ router: 'B827EB0000000000', tcUri: 'ws://lns:1', tcCredCrc: 0x7bd5c66f, cupsCredCrc: 0x7bd5c66f, model: 'linux', package: '1', keys: [] });
for (const path of ['/baseline', '/update-info', '/baseline', '/update-info']) {
  const r = await autocannon({ url: `http://127.0.0.1:${port}${path}`, method: 'POST', connections: 50, duration: 5, headers: { 'content-type': 'application/json', 'x-ssl-client-cert': encodeURIComponent(leaf.pem) }, body });
  console.log(path, r.requests.average, r.non2xx);
}
child.kill('SIGTERM');
