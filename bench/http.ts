import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createServerCertificate, createCertificate } from '../src/pki/create-certificate.ts';
import { issueFleet } from '../src/pki/issue-fleet.ts';
import { openRegistry } from '../src/registry/open-registry.ts';
import { loadKeyring } from '../src/secrets/load-keyring.ts';
import type { ServeOptions } from '../src/config/serve-options.ts';

const DURATION = 8;
const CONNECTIONS = 50;
const FLEET = 10_000;

export interface Figure {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  baseline?: string;
  ratio?: number;
  target?: number;
  met?: boolean;
}

function start(script: string, argument: unknown): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL(script, import.meta.url), [JSON.stringify(argument)], { execArgv: ['--import', 'tsx/esm', ...(process.env.CUPS_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CUPS_BENCH_PROFILE}`] : [])], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { listening: number }) => resolve({ child, port: message.listening }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

async function load(port: number, path: string, headersOf: (i: number) => Record<string, string>, body: (i: number) => string, count = 1, amount?: number): Promise<Omit<Figure, 'name'>> {
  let i = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    ...(amount ? { amount } : { duration: DURATION }),
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (req) => {
          const n = i++ % count;
          return { ...req, headers: { 'content-type': 'application/json', ...headersOf(n) }, body: body(n) };
        },
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${path}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/** Requests on a new TLS connection each, from `CONNECTIONS` loops, for DURATION seconds. */
async function tlsLoad(port: number, tls: Record<string, unknown>, path: string, body: string): Promise<Omit<Figure, 'name'>> {
  const latencies: number[] = [];
  const until = Date.now() + DURATION * 1000;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = process.hrtime.bigint();
      const req = httpsRequest({ host: '127.0.0.1', port, path, method: 'POST', agent: false, servername: 'localhost', headers: { 'content-type': 'application/json', 'content-length': body.length }, ...tls }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          resolve();
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (Date.now() < until) await one();
  }));
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / DURATION, p50: latencies[Math.floor(latencies.length / 2)]!, p99: latencies[Math.floor(latencies.length * 0.99)]! };
}

export async function benchHttp(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cups-bench-http-'));
  const children: ChildProcess[] = [];
  try {
    const root = await createCertificate({ subject: 'Bench root', ca: true });
    const serverCa = await createCertificate({ subject: 'Bench server CA', ca: true });
    const serverCert = await createServerCertificate(serverCa, ['localhost']);
    mkdirSync(join(dir, 'tenants', 'bench'), { recursive: true });
    writeFileSync(join(dir, 'tenants', 'bench', 'root.pem'), root.pem);
    writeFileSync(join(dir, 'server.crt'), serverCert.pem);
    writeFileSync(join(dir, 'server.key'), serverCert.keyPem);
    const euis = Array.from({ length: FLEET }, (_, i) => (0xb827eb0000000000n + BigInt(i)).toString(16).toUpperCase());
    const issued = await issueFleet({ certPem: root.pem, keyPem: root.keyPem, chainPem: '' }, join(dir, 'fleet'), euis, { keyType: 'ec', days: 30, files: { chainPem: '' } });
    const options: ServeOptions = {
      port: 0, host: '127.0.0.1', tenants: join(dir, 'tenants'), db: `sqlite:${join(dir, 'cups.db')}`, secretKeyFile: join(dir, 'secret.key'),
      firmwareDir: join(dir, 'firmware'), tlsRejectUnauthorized: false, trustProxy: ['127.0.0.0/8'], logLevel: 'info', demo: false,
    };
    const registry = openRegistry(options.db, loadKeyring({ file: options.secretKeyFile, createIfMissing: true }).keyring);
    await registry.checkKeys();
    await registry.addMany(euis.map((eui) => ({ eui, tenant: 'bench', name: null, lnsUri: 'ws://lns:1', lnsCredentials: null, cupsUri: null, cupsCredentials: null })));
    await registry.close();

    const header = issued.map((g) => ({ 'x-ssl-client-cert': encodeURIComponent(g.certPem) }));
    const body = euis.map((eui) => JSON.stringify({ router: eui, tcUri: 'ws://lns:1', tcCredCrc: 0x7bd5c66f, cupsCredCrc: 0x7bd5c66f, model: 'linux', package: '1', keys: [] }));
    const figures: Figure[] = [];

    const proxied = await start('./serve-for-bench.ts', { ...options, clientCertHeader: 'X-SSL-Client-Cert' });
    children.push(proxied.child);
    // Warm-up: every gateway once, as after an outage; then the steady state is measured.
    await load(proxied.port, '/update-info', (i) => header[i]!, (i) => body[i]!, FLEET, FLEET);
    // Baseline and subject alternate, twice each, so that noise on two shared cores hits both alike.
    const rounds = { baseline: [] as Omit<Figure, 'name'>[], one: [] as Omit<Figure, 'name'>[], many: [] as Omit<Figure, 'name'>[] };
    for (let round = 0; round < 2; round++) {
      rounds.baseline.push(await load(proxied.port, '/baseline', (i) => header[i]!, (i) => body[i]!));
      rounds.one.push(await load(proxied.port, '/update-info', () => header[0]!, () => body[0]!));
      rounds.many.push(await load(proxied.port, '/update-info', (i) => header[i]!, (i) => body[i]!, FLEET));
    }
    const top = (runs: Omit<Figure, 'name'>[]) => runs.sort((a, b) => b.rps - a.rps)[0]!;
    const baseline = { name: 'baseline: fastify route, same server, fixed 14-byte body', ...top(rounds.baseline) };
    figures.push(baseline);
    const one = top(rounds.one);
    figures.push({ name: '/update-info behind a proxy header, one gateway', ...one, baseline: 'baseline', ratio: one.rps / baseline.rps, target: 0.7 });
    const many = top(rounds.many);
    figures.push({ name: `/update-info behind a proxy header, ${FLEET} gateways in rotation`, ...many, baseline: 'baseline', ratio: many.rps / baseline.rps, target: 0.5 });
    proxied.child.kill('SIGTERM');

    const native = await start('./serve-for-bench.ts', { ...options, tlsCert: join(dir, 'server.crt'), tlsKey: join(dir, 'server.key') });
    children.push(native.child);
    const bare = await start('./bare-https.ts', [serverCert.pem, serverCert.keyPem, root.pem]);
    children.push(bare.child);
    const clientTls = { ca: serverCa.pem, cert: issued[0]!.certPem, key: issued[0]!.keyPem };
    const bareRuns = [];
    const ourRuns = [];
    for (let round = 0; round < 2; round++) {
      bareRuns.push(await tlsLoad(bare.port, clientTls, '/', body[0]!));
      ourRuns.push(await tlsLoad(native.port, clientTls, '/update-info', body[0]!));
    }
    const bareTls = top(bareRuns);
    figures.push({ name: 'bare Node https server, requestCert, new connection per request', ...bareTls });
    const ours = top(ourRuns);
    figures.push({ name: '/update-info native TLS, new connection per request', ...ours, baseline: 'bare https', ratio: ours.rps / bareTls.rps, target: 0.9 });
    return figures.map((f) => (f.target ? { ...f, met: f.ratio! >= f.target } : f));
  } finally {
    for (const child of children) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
