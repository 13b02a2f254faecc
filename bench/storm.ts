import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRateLimit, SERVE_DEFAULTS } from '../src/config/serve-options.ts';
import { createCertificate, createServerCertificate } from '../src/pki/create-certificate.ts';
import { createDeployment } from './deployment.ts';
import { start } from './http.ts';
import { alternate } from './rounds.ts';
import { startCups } from './start-cups.ts';
import type { StormPlan, StormResult } from './storm-client.ts';

const STORM = 10_000;
/** Below the listen backlog (511) of every server here: no connection waits for a SYN retry. */
const IN_FLIGHT = 500;
const STORM_ROUNDS = 3;
export const STORM_TARGET = 1.3;

export interface StormFigure {
  name: string;
  floor: string;
  floorSeconds: number;
  oursSeconds: number;
  ratio: number;
  /** Answers that were not 200, ours and the floor's. */
  refused: number;
  met: boolean;
}

function runStorm(plan: StormPlan): Promise<StormResult> {
  const child = fork(new URL('./storm-client.ts', import.meta.url), {
    execArgv: ['--import', 'tsx/esm'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (result: StormResult) => {
      child.kill();
      resolve(result);
    });
    child.once('exit', (code) => reject(new Error(`the storm client exited with ${code}`)));
    child.send(plan);
  });
}

const refusedOf = (result: StormResult) =>
  Object.entries(result.statuses).reduce((sum, [status, n]) => sum + (status === '200' ? 0 : n), 0);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/**
 * A reconnect storm from a cold start: 10,000 registered gateways, nothing cached (a server started
 * for each round), each calling once on a new connection from an address of its own. Over native
 * TLS against a bare Node https server whose OpenSSL verifies every client chain in the handshake;
 * behind a proxy header against a bare http server verifying each forwarded certificate with
 * node:crypto. Rounds alternate floor and ours; the ratio is the median of the paired time ratios.
 */
export async function benchStorm(log: (line: string) => void): Promise<StormFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cups-bench-storm-'));
  const children: ChildProcess[] = [];
  try {
    log(`storm: ${STORM} gateway certificates`);
    const deployment = await createDeployment(dir, { tenants: 1, registered: STORM, certified: STORM });
    const serverCa = await createCertificate({ subject: 'Bench server CA', ca: true });
    const serverCert = await createServerCertificate(serverCa, ['localhost']);
    writeFileSync(join(dir, 'server.crt'), serverCert.pem);
    writeFileSync(join(dir, 'server.key'), serverCert.keyPem);
    // The limits as an operator runs them: every gateway calls once, from its own address.
    const options = {
      ...deployment.options,
      rateLimitEui: parseRateLimit(SERVE_DEFAULTS.rateLimitEui, ''),
      rateLimitPeer: parseRateLimit(SERVE_DEFAULTS.rateLimitPeer, ''),
    };
    const plan = (mode: StormPlan['mode'], port: number, path: string): StormPlan => ({
      port,
      mode,
      path,
      certificates: deployment.certificates,
      bodies: deployment.bodies,
      keyPem: deployment.gatewayKeyPem,
      serverCaPem: serverCa.pem,
      inFlight: IN_FLIGHT,
    });
    const stormOnce = async (mode: StormPlan['mode'], starting: Promise<{ child: ChildProcess; port: number }>, path: string) => {
      const server = await starting;
      children.push(server.child);
      try {
        return await runStorm(plan(mode, server.port, path));
      } finally {
        server.child.kill('SIGTERM');
      }
    };
    const caPem = deployment.cas[0]!.pem;
    const native = { ...options, clientCertHeader: undefined, tlsCert: join(dir, 'server.crt'), tlsKey: join(dir, 'server.key') };
    const rounds = await alternate(
      {
        tlsFloor: () => stormOnce('tls', start('./bare-https.ts', [serverCert.pem, serverCert.keyPem, caPem, true]), '/'),
        tlsOurs: () => stormOnce('tls', startCups(native), '/update-info'),
        proxyFloor: () => stormOnce('proxy', start('./bare-verify-http.ts', [caPem, 'x-ssl-client-cert']), '/'),
        proxyOurs: () => stormOnce('proxy', startCups(options), '/update-info'),
      },
      STORM_ROUNDS,
    );
    const figure = (name: string, floor: string, floors: StormResult[], ours: StormResult[]): StormFigure => {
      const ratio = median(ours.map((run, i) => run.seconds / floors[i]!.seconds));
      const refused = [...floors, ...ours].reduce((sum, run) => sum + refusedOf(run), 0);
      return {
        name,
        floor,
        floorSeconds: median(floors.map((r) => r.seconds)),
        oursSeconds: median(ours.map((r) => r.seconds)),
        ratio,
        refused,
        met: ratio <= STORM_TARGET && refused === 0,
      };
    };
    return [
      figure(`${STORM} gateways, cold start, native TLS`, 'bare https, OpenSSL verifying each chain', rounds.tlsFloor, rounds.tlsOurs),
      figure(
        `${STORM} gateways, cold start, behind a proxy header`,
        'bare http, node:crypto verifying each certificate',
        rounds.proxyFloor,
        rounds.proxyOurs,
      ),
    ];
  } finally {
    for (const child of children) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
