import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRateLimit, SERVE_DEFAULTS } from '../src/config/serve-options.ts';
import { createCertificate, OID } from '../src/pki/create-certificate.ts';
import { lookAlikeCas, p521KeyPair } from '../test/helpers/unusual-certificates.ts';
import { createDeployment, euiOf, updateInfoBody } from './deployment.ts';
import { processMb } from './process-stats.ts';
import { startCups } from './start-cups.ts';

/** Targets of the security issue: a cached gateway during an attack, and memory after untrusted certificates. */
export const ATTACK_TARGETS = { p50Ms: 50, rssGrowthMb: 100 };
const ATTACK_SECONDS = 10;
const UNTRUSTED = 10_000;

export interface AttackFigures {
  /** A cached gateway's latency alone, then while look-alike chains arrive at the per-address limit. */
  quiet: { p50: number; p99: number };
  underAttack: { p50: number; p99: number };
  attackRequests: number;
  /** Milliseconds until a new gateway from another address got its 200 during the attack. */
  newGatewayMs: number;
  idleRssMb: number;
  afterUntrustedRssMb: number;
  met: boolean;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function post(port: number, headers: Record<string, string>, body: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/update-info',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The n-th address of its own /64 in the IPv6 documentation range. */
const documentationAddress = (n: number) => `2001:db8:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::1`;

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

/** Calls for `seconds` from 4 loops as one gateway, 10 ms apart; its latencies. */
async function cachedGatewayLatencies(
  call: () => Promise<{ status: number; ms: number }>,
  seconds: number,
): Promise<{ p50: number; p99: number }> {
  const latencies: number[] = [];
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < until) {
        const { status, ms } = await call();
        if (status !== 200) throw new Error(`the cached gateway was answered ${status}`);
        latencies.push(ms);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }),
  );
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/**
 * The attacks of the security issue against a real server behind a proxy header, with the
 * default per-address limit: ten look-alike CAs with P-521 keys from one address, at that
 * limit (its burst at once, then its rate), while a cached gateway calls from another; then
 * 10,000 distinct untrusted certificates from as many addresses, and the server's RSS.
 */
export async function benchAttack(): Promise<AttackFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'cups-bench-attack-'));
  let server: ChildProcess | undefined;
  try {
    const deployment = await createDeployment(dir, { tenants: 1, registered: 2, certified: 2 });
    const peerLimit = parseRateLimit(SERVE_DEFAULTS.rateLimitPeer, '')!;
    const started = await startCups({ ...deployment.options, rateLimitPeer: peerLimit });
    server = started.child;
    const port = started.port;
    const header = (pem: string, from: string) => ({ 'x-ssl-client-cert': encodeURIComponent(pem), 'x-forwarded-for': from });
    // The cached gateway's calls (about 400 a second) come from 64 addresses in turn, each well
    // under the per-address limit.
    let calls = 0;
    const cached = () => post(port, header(deployment.certificates[0]!, documentationAddress(calls++ % 64)), deployment.bodies[0]!);
    for (let i = 0; i < 20; i++) await cached();
    const idleRssMb = processMb(server.pid!, 'VmRSS');
    const quiet = await cachedGatewayLatencies(cached, 3);

    const lookAlikes = await lookAlikeCas(10, await p521KeyPair());
    const attackLeaf = await createCertificate({ subject: euiOf(0), issuer: lookAlikes[0], extKeyUsage: [OID.clientAuth] });
    const attackPem = [attackLeaf, ...lookAlikes].map((c) => c.pem).join('');
    let attackRequests = 0;
    const attack = (async () => {
      const until = Date.now() + ATTACK_SECONDS * 1000;
      const attackOnce = () => post(port, header(attackPem, '198.51.100.66'), deployment.bodies[0]!).then(() => void attackRequests++);
      const burst = Array.from({ length: peerLimit.burst }, attackOnce);
      while (Date.now() < until) {
        void attackOnce();
        await new Promise((resolve) => setTimeout(resolve, 60_000 / peerLimit.perMinute));
      }
      await Promise.all(burst);
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const newGatewayStarted = performance.now();
    const fresh = await post(port, header(deployment.certificates[1]!, '192.0.2.20'), deployment.bodies[1]!);
    if (fresh.status !== 200) throw new Error(`a new gateway was answered ${fresh.status} during the attack`);
    const newGatewayMs = performance.now() - newGatewayStarted;
    const underAttack = await cachedGatewayLatencies(cached, ATTACK_SECONDS - 2);
    await attack;

    const untrustedKeys = (await createCertificate({ subject: 'Untrusted', ca: true })).keyPair;
    const sans = Array.from({ length: 60 }, (_, i) => `gateway-${i}.untrusted.example.com`);
    for (let sent = 0; sent < UNTRUSTED; sent += 500) {
      const batch = await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          createCertificate({ subject: euiOf(sent + i), keyPair: untrustedKeys, extKeyUsage: [OID.clientAuth], dnsNames: sans }),
        ),
      );
      await Promise.all(
        batch.map((cert, i) => post(port, header(cert.pem, documentationAddress(1_000_000 + sent + i)), updateInfoBody(euiOf(sent + i)))),
      );
    }
    // What is kept, not what is still garbage: a few seconds of ordinary calls give the
    // collector its turns before the figure is read.
    await cachedGatewayLatencies(cached, 5);
    const afterUntrustedRssMb = processMb(server.pid!, 'VmRSS');
    return {
      quiet,
      underAttack,
      attackRequests,
      newGatewayMs,
      idleRssMb,
      afterUntrustedRssMb,
      met: underAttack.p50 < ATTACK_TARGETS.p50Ms && afterUntrustedRssMb - idleRssMb <= ATTACK_TARGETS.rssGrowthMb,
    };
  } finally {
    server?.kill('SIGTERM');
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
