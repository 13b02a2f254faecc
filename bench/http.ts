import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createCertificate, createServerCertificate } from '../src/pki/create-certificate.ts';
import { createDeployment, type Deployment } from './deployment.ts';
import { alternate, type Load, pairedRatio, type Rounds, typical } from './rounds.ts';

/** Seconds a round; many short rounds in turn (see `alternate`) beat a few long ones on shared cores. */
const ROUND_SECONDS = 3;
export const ROUNDS = 16;
const TLS_SECONDS = 3;
const CONNECTIONS = 50;
const FLEET = 10_000;

export interface Figure extends Rounds {
  name: string;
  baseline?: string;
  ratio?: number;
  target?: number;
  met?: boolean;
}

export const forwardedHeaders = (deployment: Deployment): Record<string, string>[] =>
  deployment.certificates.map((pem) => ({ 'x-ssl-client-cert': encodeURIComponent(pem) }));

/** Forks a bench server script, with the Node flags `bin/cups.js` runs with; resolves with its port once it listens. */
export function start(script: string, argument: unknown): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL(script, import.meta.url), [JSON.stringify(argument)], {
    execArgv: [
      '--max-semi-space-size=4',
      '--import',
      'tsx/esm',
      ...(process.env.CUPS_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CUPS_BENCH_PROFILE}`] : []),
    ],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { listening: number }) => resolve({ child, port: message.listening }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/** POSTs to `path` from CONNECTIONS connections, for ROUND_SECONDS or `amount` requests; any non-2xx fails the bench. */
export async function load(
  port: number,
  path: string,
  headersOf: (i: number) => Record<string, string>,
  body: (i: number) => string,
  count = 1,
  amount?: number,
): Promise<Load> {
  let i = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    ...(amount ? { amount } : { duration: ROUND_SECONDS }),
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

/** Requests on a new TLS connection each, from 16 loops, for TLS_SECONDS. */
async function tlsLoad(port: number, tls: Record<string, unknown>, path: string, body: string): Promise<Load> {
  const latencies: number[] = [];
  const until = Date.now() + TLS_SECONDS * 1000;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = process.hrtime.bigint();
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          agent: false,
          servername: 'localhost',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
          ...tls,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (Date.now() < until) await one();
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / TLS_SECONDS,
    p50: latencies[Math.floor(latencies.length / 2)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
  };
}

export async function benchHttp(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cups-bench-http-'));
  const children: ChildProcess[] = [];
  try {
    const deployment = await createDeployment(dir, { tenants: 1, registered: FLEET, certified: FLEET });
    const serverCa = await createCertificate({ subject: 'Bench server CA', ca: true });
    const serverCert = await createServerCertificate(serverCa, ['localhost']);
    writeFileSync(join(dir, 'server.crt'), serverCert.pem);
    writeFileSync(join(dir, 'server.key'), serverCert.keyPem);
    const { options, bodies } = deployment;
    const headers = forwardedHeaders(deployment);
    const figures: Figure[] = [];

    const proxied = await start('./serve-for-bench.ts', options);
    children.push(proxied.child);
    // Warm-up: every gateway once, as after an outage; then the steady state is measured.
    await load(
      proxied.port,
      '/update-info',
      (i) => headers[i]!,
      (i) => bodies[i]!,
      FLEET,
      FLEET,
    );
    const rounds = await alternate(
      {
        baseline: () =>
          load(
            proxied.port,
            '/baseline',
            (i) => headers[i]!,
            (i) => bodies[i]!,
          ),
        one: () =>
          load(
            proxied.port,
            '/update-info',
            () => headers[0]!,
            () => bodies[0]!,
          ),
        many: () =>
          load(
            proxied.port,
            '/update-info',
            (i) => headers[i]!,
            (i) => bodies[i]!,
            FLEET,
          ),
      },
      ROUNDS,
    );
    figures.push({ name: 'baseline: fastify route, same server, fixed 14-byte body', ...typical(rounds.baseline) });
    figures.push({
      name: '/update-info behind a proxy header, one gateway',
      ...typical(rounds.one),
      baseline: 'baseline',
      ratio: pairedRatio(rounds.one, rounds.baseline),
      target: 0.7,
    });
    figures.push({
      name: `/update-info behind a proxy header, ${FLEET} gateways in rotation`,
      ...typical(rounds.many),
      baseline: 'baseline',
      ratio: pairedRatio(rounds.many, rounds.baseline),
      target: 0.5,
    });
    proxied.child.kill('SIGTERM');

    const native = await start('./serve-for-bench.ts', {
      ...options,
      clientCertHeader: undefined,
      tlsCert: join(dir, 'server.crt'),
      tlsKey: join(dir, 'server.key'),
    });
    children.push(native.child);
    const bare = await start('./bare-https.ts', [serverCert.pem, serverCert.keyPem, deployment.cas[0]!.pem]);
    children.push(bare.child);
    const clientTls = { ca: serverCa.pem, cert: deployment.certificates[0]!, key: deployment.gatewayKeyPem };
    const tls = await alternate(
      {
        bare: () => tlsLoad(bare.port, clientTls, '/', bodies[0]!),
        ours: () => tlsLoad(native.port, clientTls, '/update-info', bodies[0]!),
      },
      ROUNDS,
    );
    figures.push({ name: 'bare Node https server, requestCert, new connection per request', ...typical(tls.bare) });
    figures.push({
      name: '/update-info native TLS, new connection per request',
      ...typical(tls.ours),
      baseline: 'bare https',
      ratio: pairedRatio(tls.ours, tls.bare),
      target: 0.9,
    });
    return figures.map((f) => (f.target ? { ...f, met: f.ratio! >= f.target } : f));
  } finally {
    for (const child of children) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
