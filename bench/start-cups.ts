import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { fileURLToPath } from 'node:url';
import type { ServeOptions } from '../src/config/serve-options.ts';
import { freePort } from '../test/helpers/spawn-server.ts';

const CUPS_BIN = fileURLToPath(new URL('../bin/cups.js', import.meta.url));
/** The Node flags of the binary's first line, which npm start passes too. */
const NODE_FLAGS = readFileSync(CUPS_BIN, 'utf8')
  .split('\n')[0]!
  .split(/ node /)[1]!
  .split(' ');

const rate = (limit: ServeOptions['rateLimitEui']) => (limit ? `${limit.perMinute}:${limit.burst}` : '0');

/** `cups serve`'s flags for the options the bench chose. */
function serveFlags(options: ServeOptions): string[] {
  const flags = [
    ['--port', String(options.port)],
    ['--host', options.host],
    ['--tenants', options.tenants],
    ['--db', options.db],
    ['--secret-key-file', options.secretKeyFile],
    ['--firmware-dir', options.firmwareDir],
    ['--trust-proxy', options.trustProxy.join(',')],
    ['--rate-limit-eui', rate(options.rateLimitEui)],
    ['--rate-limit-peer', rate(options.rateLimitPeer)],
    ['--log-level', options.logLevel],
    ['--admin-port', String(options.adminPort ?? 0)],
    ...(options.clientCertHeader ? [['--client-cert-header', options.clientCertHeader]] : []),
    ...(options.tlsCert ? [['--tls-cert', options.tlsCert]] : []),
    ...(options.tlsKey ? [['--tls-key', options.tlsKey]] : []),
  ];
  return flags.flat();
}

/** Polls GET /healthz (over TLS when the server has it) until the server answers 200. */
async function answering(port: number, child: ChildProcess, tls: boolean): Promise<void> {
  const get = tls ? httpsGet : httpGet;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cups serve exited with ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) =>
      get({ host: '127.0.0.1', port, path: '/healthz', agent: false, rejectUnauthorized: false }, (res) =>
        resolve(res.resume().statusCode === 200),
      ).on('error', () => resolve(false)),
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Starts the server as an operator runs it: the built `bin/cups.js serve`, with the Node flags of
 * its first line (and of `npm start`), its log on a pipe the bench drains (at any log level).
 * Resolves once it answers on its port. CUPS_BENCH_PROFILE=DIR writes a CPU profile of it there.
 */
export async function startCups(options: ServeOptions): Promise<{ child: ChildProcess; port: number }> {
  const profile = process.env.CUPS_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CUPS_BENCH_PROFILE}`] : [];
  const port = options.port || (await freePort());
  const child = spawn(process.execPath, [...NODE_FLAGS, ...profile, CUPS_BIN, 'serve', ...serveFlags({ ...options, port })], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // The key file the options name, whatever the bench's own environment holds.
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CUPS_'))),
  });
  // The log keeps flowing into the pipe, read and dropped, as a log collector would.
  child.stdout!.resume();
  await answering(port, child, !!options.tlsCert);
  return { child, port };
}
