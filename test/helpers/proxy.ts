import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.ts';
import { freePort, type ServerProcess, spawnServe } from './spawn-server.ts';
import { within } from './within.ts';

export const DEPLOY = join(REPO_ROOT, 'deploy');

/** The `cups serve` flags a shipped config names in its header comment ("run cups serve with:"). */
export function serveFlagsOf(config: string): string[] {
  const lines = config.split('\n');
  const start = lines.findIndex((line) => /^#\s+cups serve --/.test(line));
  let command = '';
  for (let i = start; i < lines.length; i++) {
    const text = lines[i]!.replace(/^#\s*/, '');
    command += ` ${text.replace(/\\$/, '')}`;
    if (!text.endsWith('\\')) break;
  }
  return command.trim().split(/\s+/).slice(2);
}

/** `${NAME}` and `{$NAME}` replaced, as envsubst (nginx) or the proxy itself (HAProxy, Caddy) would. */
function render(config: string, values: Record<string, string>): string {
  return config.replace(
    /\$\{(CUPS_[A-Z_]+)\}|\{\$(CUPS_[A-Z_]+)\}/g,
    (_all, a: string | undefined, b: string | undefined) => values[(a ?? b)!]!,
  );
}

export async function listening(port: number, output: () => string): Promise<void> {
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  await within(15_000, accepts, 100).catch(() => {
    throw new Error(`the proxy did not listen on ${port}:\n${output()}`);
  });
}

export interface Proxy {
  file: string;
  /** nginx reads no environment: its ${CUPS_*} are filled in as envsubst would; HAProxy and Caddy read them themselves. */
  renderedByTest: boolean;
  /** How the proxy runs in the foreground with the shipped file. */
  command(config: string, dir: string): { bin: string; args: string[]; env?: Record<string, string> };
  /** The proxy forwards the client's intermediates too. */
  forwardsChain: boolean;
  /** The header a client might forge. */
  header: string;
  /** The proxy refuses an expired certificate itself rather than forwarding it. */
  refusesExpired: boolean;
}

export const PROXIES: Record<string, Proxy> = {
  'nginx 1.22': {
    file: 'nginx.conf',
    renderedByTest: true,
    command: (config, dir) => ({
      bin: 'nginx',
      args: ['-p', dir, '-c', config, '-e', join(dir, 'error.log'), '-g', `daemon off; master_process off; pid ${join(dir, 'nginx.pid')};`],
    }),
    header: 'X-SSL-Client-Cert',
    forwardsChain: false,
    refusesExpired: true,
  },
  'HAProxy 2.6': {
    file: 'haproxy.cfg',
    renderedByTest: false,
    command: (config) => ({ bin: 'haproxy', args: ['-db', '-f', config] }),
    header: 'X-SSL-Client-Cert',
    forwardsChain: true,
    refusesExpired: false,
  },
  'Caddy 2.6': {
    file: 'Caddyfile',
    renderedByTest: false,
    command: (config, dir) => ({
      bin: 'caddy',
      args: ['run', '--config', config, '--adapter', 'caddyfile'],
      env: { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
    }),
    header: 'X-Client-Cert-Der',
    forwardsChain: false,
    refusesExpired: false,
  },
};

/** Starts the proxy with the shipped file; the values fill its ${CUPS_*} placeholders. */
export function startProxy(proxy: Proxy, config: string, dir: string, values: Record<string, string>): ChildProcess {
  const file = join(dir, proxy.file);
  writeFileSync(file, proxy.renderedByTest ? render(config, values) : config);
  const { bin, args, env } = proxy.command(file, dir);
  return spawn(bin, args, { env: { ...process.env, ...values, ...env } });
}

export interface ShippedDeployment {
  cups: ServerProcess;
  /** The proxy's port, where clients connect. */
  port: number;
  proxyOutput: () => string;
  stop(): Promise<void>;
}

/**
 * `cups serve` with the flags a shipped proxy config names (and `serveArgs`), and the proxy in
 * front of it with that config as shipped, `values` filling its ${CUPS_*} placeholders: both
 * listening when this resolves.
 */
export async function startBehindShippedProxy(
  proxy: Proxy,
  serveArgs: string[],
  values: Record<string, string>,
  /** Where clients connect, when it must be known before (a station's cups.uri names it). */
  listenPort?: number,
): Promise<ShippedDeployment> {
  const config = readFileSync(join(DEPLOY, proxy.file), 'utf8');
  const cupsPort = await freePort();
  const cups = await spawnServe([...serveFlagsOf(config), '--port', String(cupsPort), ...serveArgs]);
  const port = listenPort ?? (await freePort());
  const child = startProxy(proxy, config, mkdtempSync(join(tmpdir(), 'cups-proxy-')), {
    CUPS_LISTEN: String(port),
    CUPS_LISTEN_HOST: '127.0.0.1',
    CUPS_UPSTREAM: `127.0.0.1:${cupsPort}`,
    ...values,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await listening(port, () => output);
  return {
    cups,
    port,
    proxyOutput: () => output,
    async stop() {
      child.kill('SIGTERM');
      await cups.stop();
    },
  };
}
