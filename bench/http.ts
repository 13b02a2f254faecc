import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsCrc, encodeUpdateInfoResponse } from '../protocol/index.ts';
import { createCertificate, createServerCertificate } from '../src/pki/create-certificate.ts';
import { buildEndpoint } from '../src/provisioning/endpoint-credentials.ts';
import { openRegistry } from '../src/registry/open-registry.ts';
import { loadKeyring } from '../src/secrets/load-keyring.ts';
import { createDeployment, type Deployment } from './deployment.ts';
import { LoadGenerator, type StationRequest } from './load-generator.ts';
import { opensslGateway } from './openssl-gateway.ts';
import { processCpuSeconds } from './process-stats.ts';
import { alternateOverProcesses, type Load, pairedRatio, type Rounds, startInOrder, stopServers, typical } from './rounds.ts';
import { startCups } from './start-cups.ts';
import { stationRequest } from './station-request.ts';

/** Seconds a round; many short rounds in turn (see `alternate`) beat a few long ones on shared cores. */
export const ROUND_SECONDS = 3;
export const ROUNDS = 16;
const TLS_SECONDS = 3;
export const CONNECTIONS = 32;
const FLEET = 10_000;
const STATION_EUI = '0016C001FF000001';
export const HTTP_TARGETS = { steady: 0.7, firstContact: 0.5, nativeTls: 0.9 };

export interface Figure extends Rounds {
  name: string;
  baseline?: string;
  ratio?: number;
  target?: number;
  met?: boolean;
}

export const forwardedHeaders = (deployment: Deployment): Record<string, string>[] =>
  deployment.certificates.map((pem) => ({ 'x-ssl-client-cert': encodeURIComponent(pem) }));

/** A server process the bench started, and the port it listens on. */
type Server = { child: ChildProcess; port: number };

/** Forks a baseline server script (a bare server, given `argument`); resolves with its port once it listens. */
export function start(script: string, argument: unknown): Promise<Server> {
  const child = fork(new URL(script, import.meta.url), [JSON.stringify(argument)], {
    execArgv: ['--import', 'tsx/esm'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { listening: number }) => resolve({ child, port: message.listening }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
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

/** The requests of a rotating fleet: each gateway's forwarded certificate and body in turn. */
export const fleetRequests = (deployment: Deployment): StationRequest[] =>
  forwardedHeaders(deployment).map((headers, i) => ({
    headers: { 'content-type': 'application/json', ...headers },
    body: deployment.bodies[i]!,
  }));

/** The LNS a gateway of the bench is handed on first contact: a URI, the LNS's CA and a token. */
const LNS_URI = 'wss://lns.example:8887';

export async function benchHttp(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cups-bench-http-'));
  const children: ChildProcess[] = [];
  const generator = LoadGenerator.start();
  try {
    const deployment = await createDeployment(dir, { tenants: 1, registered: FLEET, certified: FLEET });
    const serverCa = await createCertificate({ subject: 'Bench server CA', ca: true });
    const serverCert = await createServerCertificate(serverCa, ['localhost']);
    writeFileSync(join(dir, 'server.crt'), serverCert.pem);
    writeFileSync(join(dir, 'server.key'), serverCert.keyPem);
    const { options, bodies } = deployment;

    // The station of the HTTP rows: a gateway whose certificate openssl made, under its own tenant.
    const station = opensslGateway(mkdtempSync(join(dir, 'openssl-')), STATION_EUI);
    mkdirSync(join(options.tenants, 'openssl'));
    writeFileSync(join(options.tenants, 'openssl', 'ca.pem'), station.caPem);
    const lns = buildEndpoint('lns', { uri: LNS_URI, trust: serverCa.pem, token: 'Bearer NNSXS.BENCH-TOKEN' });
    const registry = openRegistry(options.db, loadKeyring({ file: options.secretKeyFile, createIfMissing: false }).keyring);
    await registry.add({
      eui: STATION_EUI,
      tenant: 'openssl',
      name: null,
      lnsUri: lns.uri,
      lnsCredentials: lns.credentials,
      cupsUri: null,
      cupsCredentials: null,
    });
    await registry.close();
    generator.define('steady', [
      stationRequest(STATION_EUI, station.certPem, { tcUri: lns.uri, tcCredCrc: credentialsCrc(lns.credentials!) }),
    ]);
    generator.define('first', [stationRequest(STATION_EUI, station.certPem)]);
    generator.define('fleet', fleetRequests(deployment));

    // The same bare app answering as many bytes as a first contact's answer: what the size alone costs.
    const firstAnswerBytes = encodeUpdateInfoResponse({ tcUri: lns.uri, tcCred: lns.credentials! }).length;
    const launch = async (starting: Promise<Server>) => {
      const server = await starting;
      children.push(server.child);
      return server;
    };
    // Each round also reads the server's CPU time: what a request costs it, whoever limits the rate.
    const run = (set: string, server: Server) => async () => {
      const before = processCpuSeconds(server.child.pid!);
      const load = await generator.run(set, server.port, '/update-info', { connections: CONNECTIONS, seconds: ROUND_SECONDS });
      return { ...load, cpuUs: ((processCpuSeconds(server.child.pid!) - before) / (load.rps * ROUND_SECONDS)) * 1e6 };
    };
    const { runs: rounds, last } = await alternateOverProcesses(
      { rounds: ROUNDS },
      async (generation) => {
        const servers = await startInOrder(
          {
            ours: () => launch(startCups(options)),
            // The same server without its audit lines (a warning level): what logging a hand-over costs.
            quiet: () => launch(startCups({ ...options, logLevel: 'warn' })),
            bare: () => launch(start('./bare-fastify.ts', null)),
            bareSized: () => launch(start('./bare-fastify.ts', firstAnswerBytes)),
          },
          generation,
        );
        // Warm-up: every gateway once, as after an outage; then the steady state is measured.
        await generator.run('fleet', servers.ours.port, '/update-info', { connections: CONNECTIONS, amount: FLEET });
        return servers;
      },
      ({ ours, quiet, bare, bareSized }) => ({
        bare: run('steady', bare),
        bareSized: run('first', bareSized),
        steady: run('steady', ours),
        first: run('first', ours),
        firstQuiet: run('first', quiet),
        fleet: run('fleet', ours),
      }),
      stopServers,
    );
    await stopServers(last);
    const baseline = 'bare fastify';
    const figures: Figure[] = [
      { name: 'bare fastify app, own process: the same station request, 14-byte answer', ...typical(rounds.bare) },
      {
        name: "/update-info behind a proxy header, steady state (the station holds the server's CRCs: 14-byte answer)",
        ...typical(rounds.steady),
        baseline,
        ratio: pairedRatio(rounds.steady, rounds.bare),
        target: HTTP_TARGETS.steady,
      },
      {
        name: '/update-info behind a proxy header, first contact (LNS URI and credentials handed over)',
        ...typical(rounds.first),
        baseline,
        ratio: pairedRatio(rounds.first, rounds.bare),
        target: HTTP_TARGETS.firstContact,
      },
      {
        name: `bare fastify app answering as many bytes as a first contact (${firstAnswerBytes}): what the answer's size costs`,
        ...typical(rounds.bareSized),
        baseline,
        ratio: pairedRatio(rounds.bareSized, rounds.bare),
      },
      {
        name: 'the same first contacts without their audit line (--log-level warn): the ratio is what the line costs',
        ...typical(rounds.firstQuiet),
        baseline: 'with the line',
        ratio: pairedRatio(rounds.first, rounds.firstQuiet),
      },
      {
        name: `/update-info behind a proxy header, steady state, ${FLEET} gateways in rotation`,
        ...typical(rounds.fleet),
        baseline,
        ratio: pairedRatio(rounds.fleet, rounds.bare),
      },
    ];

    const native = { ...options, clientCertHeader: undefined, tlsCert: join(dir, 'server.crt'), tlsKey: join(dir, 'server.key') };
    const clientTls = { ca: serverCa.pem, cert: deployment.certificates[0]!, key: deployment.gatewayKeyPem };
    const { runs: tls, last: lastTls } = await alternateOverProcesses(
      { rounds: ROUNDS },
      (generation) =>
        startInOrder(
          {
            ours: () => launch(startCups(native)),
            bare: () => launch(start('./bare-https.ts', [serverCert.pem, serverCert.keyPem, deployment.cas[0]!.pem])),
          },
          generation,
        ),
      ({ ours, bare }) => ({
        bare: () => tlsLoad(bare.port, clientTls, '/', bodies[0]!),
        ours: () => tlsLoad(ours.port, clientTls, '/update-info', bodies[0]!),
      }),
      stopServers,
    );
    await stopServers(lastTls);
    figures.push({ name: 'bare Node https server, requestCert, new connection per request', ...typical(tls.bare) });
    figures.push({
      name: '/update-info native TLS, new connection per request',
      ...typical(tls.ours),
      baseline: 'bare https',
      ratio: pairedRatio(tls.ours, tls.bare),
      target: HTTP_TARGETS.nativeTls,
    });
    return figures.map((f) => (f.target ? { ...f, met: f.ratio! >= f.target } : f));
  } finally {
    generator.stop();
    for (const child of children) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
