import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ServeOptions } from '../src/config/serve-options.ts';

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

/**
 * Starts the server as an operator runs it: the built `bin/cups.js serve`, with the Node flags of
 * its first line (and of `npm start`), its log on a pipe the bench drains. Resolves with its port once it listens.
 * CUPS_BENCH_PROFILE=DIR writes a CPU profile of it there.
 */
export function startCups(options: ServeOptions): Promise<{ child: ChildProcess; port: number }> {
  const profile = process.env.CUPS_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CUPS_BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...NODE_FLAGS, ...profile, CUPS_BIN, 'serve', ...serveFlags(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // The key file the options name, whatever the bench's own environment holds.
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CUPS_'))),
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const listening = /Server listening at https?:\/\/[^:]+:(\d+)/.exec(line);
      if (!listening) return;
      lines.removeAllListeners('line');
      // The log keeps flowing into the pipe, read and dropped, as a log collector would.
      lines.on('line', () => {});
      resolve({ child, port: Number(listening[1]) });
    });
    child.once('exit', (code) => reject(new Error(`cups serve exited with ${code} before listening`)));
  });
}
