import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { parseRateLimit, SERVE_DEFAULTS } from '../src/config/serve-options.ts';
import { createDeployment } from './deployment.ts';
import { forwardedHeaders } from './http.ts';
import { MACHINE } from './machine.ts';
import { head, row } from './markdown.ts';
import { processMb } from './process-stats.ts';
import { startCups } from './start-cups.ts';

/**
 * `npm run soak [-- MINUTES]`: a fleet of 2,000 gateways behind a proxy header calling at a fixed
 * 200 requests a second for 10 minutes (default), with the production rate limits on (each gateway
 * from its own address, 12 calls a minute at most, so none is limited). Passes with zero errors
 * and a flat RSS: the last minute's average within 10% (or 10 MB) of the second minute's.
 */
const MINUTES = Number(process.argv[2] ?? 10);
const RATE = 200;
const GATEWAYS = 2_000;
const SAMPLE_MS = 10_000;

const average = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

const dir = mkdtempSync(join(tmpdir(), 'cups-soak-'));
try {
  const deployment = await createDeployment(dir, { tenants: 1, registered: GATEWAYS, certified: GATEWAYS });
  const options = {
    ...deployment.options,
    rateLimitEui: parseRateLimit(SERVE_DEFAULTS.rateLimitEui, ''),
    rateLimitPeer: parseRateLimit(SERVE_DEFAULTS.rateLimitPeer, ''),
  };
  const server = await startCups(options);
  const headers = forwardedHeaders(deployment).map((h, i) => ({
    ...h,
    'x-forwarded-for': `10.0.${i >> 8}.${i & 255}`,
    'content-type': 'application/json',
  }));
  const samples: { minute: number; rssMb: number }[] = [];
  const started = Date.now();
  const sampler = setInterval(
    () => samples.push({ minute: (Date.now() - started) / 60_000, rssMb: processMb(server.child.pid!, 'VmRSS') }),
    SAMPLE_MS,
  );
  console.log(`soak: ${MINUTES} min at ${RATE} req/s over ${GATEWAYS} gateways, production rate limits on`);
  let next = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections: 20,
    overallRate: RATE,
    duration: MINUTES * 60,
    requests: [
      {
        method: 'POST',
        path: '/update-info',
        setupRequest: (req) => {
          const i = next++ % GATEWAYS;
          return { ...req, headers: headers[i]!, body: deployment.bodies[i]! };
        },
      },
    ],
  });
  clearInterval(sampler);
  server.child.kill('SIGTERM');

  const secondMinute = average(samples.filter((s) => s.minute >= 1 && s.minute < 2).map((s) => s.rssMb));
  const lastMinute = average(samples.filter((s) => s.minute >= MINUTES - 1).map((s) => s.rssMb));
  const flat = lastMinute <= Math.max(secondMinute * 1.1, secondMinute + 10);
  const errors = result.errors + result.non2xx + result.timeouts;
  const met = errors === 0 && flat;
  const lines = [
    ...head('soak', 'requests', 'errors (non-2xx, failed, timed out)', 'p50 ms', 'p99 ms', 'RSS 2nd minute', 'RSS last minute', ''),
    row(
      `${MINUTES} min at ${RATE} req/s, ${GATEWAYS} gateways`,
      result.requests.total,
      `${result.non2xx}, ${result.errors}, ${result.timeouts}`,
      result.latency.p50,
      result.latency.p99,
      `${secondMinute.toFixed(0)} MB`,
      `${lastMinute.toFixed(0)} MB`,
      met ? 'met' : 'MISSED',
    ),
  ];
  console.log(lines.join('\n'));
  console.log(`RSS every ${SAMPLE_MS / 1000} s (MB): ${samples.map((s) => s.rssMb.toFixed(0)).join(' ')}`);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('./results/soak.json', import.meta.url),
    JSON.stringify(
      {
        machine: MACHINE,
        date: new Date().toISOString(),
        minutes: MINUTES,
        rate: RATE,
        requests: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        latency: result.latency,
        samples,
        met,
      },
      null,
      2,
    ),
  );
  writeFileSync(new URL('./results/soak.md', import.meta.url), `${lines.join('\n')}\n\nMachine: ${MACHINE}\n`);
  if (!met) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
