import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminTokens } from '../src/admin/admin-tokens.ts';
import { openStore } from '../src/registry/open-registry.ts';
import { freePort } from '../test/helpers/spawn-server.ts';
import { createDeployment, type Deployment, euiOf } from './deployment.ts';
import { CONNECTIONS, fleetRequests, ROUND_SECONDS, ROUNDS } from './http.ts';
import { LoadGenerator } from './load-generator.ts';
import { processCpuSeconds, processMb } from './process-stats.ts';
import { alternateOverProcesses, type Load, pairedRatio, type Rounds, startInOrder, stopServers, typical } from './rounds.ts';
import { startCups } from './start-cups.ts';

const ROTATION = 10_000;
const IDLE_SECONDS = 12;
const LARGE = { tenants: 1_000, registered: 1_000_000, certified: ROTATION };
const SMALL = { tenants: 1, registered: ROTATION, certified: ROTATION };
export const SCALE_LIMITS = { ratio: 0.9, rssMb: 200, startupSeconds: 3, pageP99Ms: 20, consolePageP99Ms: 50 };
const PAGE = 100;
const PAGE_SAMPLES = 200;

export interface ScaleRow {
  name: string;
  small: Rounds;
  large: Rounds;
  ratio: number;
  met: boolean;
}

export interface ScaleResult {
  rows: ScaleRow[];
  startupSeconds: number;
  peakRssMb: number;
  /** Share of one core the large server uses while no request comes (its trust store watch included). */
  idleCpuShare: number;
  /** The admin API listing 100 of the 1,000,000 gateways: p50 and p99 in ms, first page and last. */
  pages: { first: { p50: number; p99: number }; last: { p50: number; p99: number } };
  /** The web console: its gateways page (50 of them, p50 and p99 in ms), and its overview counted anew (ms). */
  console: { gatewaysPage: { p50: number; p99: number }; overviewCountMs: number };
  met: boolean;
}

/** `samples` GETs one after another: their p50 and p99 in ms; any answer but 200 fails the bench. */
async function timeGets(
  port: number,
  path: string,
  headers: Record<string, string>,
  samples: number,
): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint();
    const status = await new Promise<number>((resolve, reject) =>
      httpGet({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
        res.resume().on('end', () => resolve(res.statusCode!));
      }).on('error', reject),
    );
    if (status !== 200) throw new Error(`${path}: ${status}`);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: times[samples >> 1]!, p99: times[Math.floor(samples * 0.99)]! };
}

/** A console session's cookie, from its sign-in form. */
async function signInToConsole(port: number, token: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/console/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
    redirect: 'manual',
  });
  const cookie = /^[^;]+/.exec(response.headers.get('set-cookie') ?? '')?.[0];
  if (response.status !== 303 || !cookie) throw new Error(`console sign-in: ${response.status}`);
  return cookie;
}

/**
 * The same two loads against a 1-tenant deployment of 10,000 gateways and against 1,000 tenants
 * (a CA each) with 1,000,000 gateways registered, 10,000 of them calling; rounds alternate
 * between the two servers, over several pairs of server processes. Also the large server's
 * start-up (fork to listening) and peak RSS, the worst over its processes.
 */
export async function benchScale(log: (line: string) => void): Promise<ScaleResult> {
  const dirs = [mkdtempSync(join(tmpdir(), 'cups-bench-small-')), mkdtempSync(join(tmpdir(), 'cups-bench-large-'))] as const;
  const children: ChildProcess[] = [];
  const generator = LoadGenerator.start();
  try {
    const small = await createDeployment(dirs[0], SMALL);
    log('scale: building 1,000 tenant CAs and 1,000,000 gateways');
    const large = await createDeployment(dirs[1], LARGE, log);
    // Both serve the admin API (and with it the metrics every answer feeds), as `cups serve` does by
    // default: the servers differ by their size alone. The large one's API answers the pagination rows.
    const store = openStore(large.options.db);
    const token = await new AdminTokens(store.directSql).create('bench', null);
    const bearer = { authorization: `Bearer ${token}` };
    await store.close();
    for (const [name, deployment] of [
      ['small', small],
      ['large', large],
    ] as const) {
      const fleet = fleetRequests(deployment);
      generator.define(`${name}-one`, fleet.slice(0, 1));
      generator.define(`${name}-many`, fleet);
    }
    /** Each large server's start-up (fork to listening) and peak RSS: the worst of them is reported. */
    const startups: number[] = [];
    const peaks: number[] = [];
    const serve = async (name: 'small' | 'large', deployment: Deployment) => {
      const started = process.hrtime.bigint();
      const adminPort = await freePort();
      const server = await startCups({ ...deployment.options, adminPort });
      if (name === 'large') startups.push(Number(process.hrtime.bigint() - started) / 1e9);
      children.push(server.child);
      return { ...server, adminPort };
    };
    type Served = Awaited<ReturnType<typeof serve>>;
    const run = (set: string, name: string, server: Served) => () =>
      generator.run(`${name}-${set}`, server.port, '/update-info', { connections: CONNECTIONS, seconds: ROUND_SECONDS });
    const { runs, last } = await alternateOverProcesses(
      { rounds: ROUNDS },
      async (generation) => {
        const servers = await startInOrder({ small: () => serve('small', small), large: () => serve('large', large) }, generation);
        // Every calling gateway once first, as after an outage.
        for (const name of ['small', 'large'] as const)
          await generator.run(`${name}-many`, servers[name].port, '/update-info', { connections: CONNECTIONS, amount: ROTATION });
        return servers;
      },
      // Each large round right beside its small one: the ratios pair them.
      ({ small: smallServer, large: largeServer }) => ({
        smallOne: run('one', 'small', smallServer),
        largeOne: run('one', 'large', largeServer),
        largeMany: run('many', 'large', largeServer),
        smallMany: run('many', 'small', smallServer),
      }),
      async (servers) => {
        peaks.push(processMb(servers.large.child.pid!, 'VmHWM'));
        await stopServers(servers);
      },
    );
    const largePid = last.large.child.pid!;
    const adminPort = last.large.adminPort;
    const row = (name: string, smallRuns: Load[], largeRuns: Load[]): ScaleRow => {
      const ratio = pairedRatio(largeRuns, smallRuns);
      return { name, small: typical(smallRuns), large: typical(largeRuns), ratio, met: ratio >= SCALE_LIMITS.ratio };
    };
    const rows = [
      row('one gateway behind a proxy header', runs.smallOne, runs.largeOne),
      row(`${ROTATION} gateways in rotation behind a proxy header`, runs.smallMany, runs.largeMany),
    ];
    peaks.push(processMb(largePid, 'VmHWM'));
    const peak = Math.max(...peaks);
    const startupSeconds = Math.max(...startups);
    const idleFrom = processCpuSeconds(largePid);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const idleCpuShare = (processCpuSeconds(largePid) - idleFrom) / IDLE_SECONDS;
    const lastAfter = euiOf(LARGE.registered - PAGE - 1);
    const pages = {
      first: await timeGets(adminPort, `/api/gateways?limit=${PAGE}`, bearer, PAGE_SAMPLES),
      last: await timeGets(
        adminPort,
        `/api/gateways?limit=${PAGE}&cursor=${Buffer.from(lastAfter).toString('base64url')}`,
        bearer,
        PAGE_SAMPLES,
      ),
    };
    const session = { cookie: await signInToConsole(adminPort, token) };
    const consolePages = {
      overviewCountMs: (await timeGets(adminPort, '/console/', session, 1)).p50,
      gatewaysPage: await timeGets(adminPort, '/console/gateways', session, PAGE_SAMPLES),
    };
    const met =
      consolePages.gatewaysPage.p99 < SCALE_LIMITS.consolePageP99Ms &&
      rows.every((r) => r.met) &&
      peak <= SCALE_LIMITS.rssMb &&
      startupSeconds <= SCALE_LIMITS.startupSeconds &&
      Math.max(pages.first.p99, pages.last.p99) < SCALE_LIMITS.pageP99Ms;
    return { rows, startupSeconds, peakRssMb: peak, idleCpuShare, pages, console: consolePages, met };
  } finally {
    generator.stop();
    for (const child of children) child.kill('SIGTERM');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}
