import { dirname, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { parseDuration, parseRateLimit, SERVE_DEFAULTS, type ServeOptions } from '../../config/serve-options.ts';
import { InvalidOption } from '../../errors.ts';
import { startServer } from '../../server/start-server.ts';
import { type CliIo, printOutput } from '../output.ts';
import { secretKeyFileOption, withRegistry } from '../registry-flags.ts';

const env = (option: Option, name: string) => option.env(`CUPS_${name}`);

/** --rate-limit-eui or --rate-limit-peer: calls per minute and burst per key. */
function rateLimitOption(key: 'eui' | 'peer', per: string): Option {
  const flag = `--rate-limit-${key}`;
  const fallback = SERVE_DEFAULTS[key === 'eui' ? 'rateLimitEui' : 'rateLimitPeer'];
  return env(
    new Option(`${flag} <rate>`, `calls per minute and burst ${per}, PER_MINUTE[:BURST]; 0: no limit`)
      .default(parseRateLimit(fallback, ''), fallback)
      .argParser((v) => parseRateLimit(v, flag)),
    `RATE_LIMIT_${key.toUpperCase()}`,
  );
}

export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run the CUPS server (every option also reads a CUPS_* environment variable)')
    .addOption(env(new Option('--port <port>', 'TCP port').default(SERVE_DEFAULTS.port).argParser(wholeNumber('--port', 0, 65535)), 'PORT'))
    .addOption(env(new Option('--host <host>', 'address to listen on').default(SERVE_DEFAULTS.host), 'HOST'))
    .addOption(
      env(new Option('--tenants <dir>', 'trust store: DIR/common/*.pem and DIR/<tenant>/*.pem').default(SERVE_DEFAULTS.tenants), 'TENANTS'),
    )
    .addOption(env(new Option('--db <url>', 'gateway registry').default(SERVE_DEFAULTS.db), 'DB'))
    .addOption(secretKeyFileOption())
    .addOption(
      env(
        new Option('--firmware-dir <dir>', 'firmware images, by hash (shared between instances)').default(SERVE_DEFAULTS.firmwareDir),
        'FIRMWARE_DIR',
      ),
    )
    .addOption(env(new Option('--tls-cert <file>', 'server certificate (PEM, chain after it) for native TLS'), 'TLS_CERT'))
    .addOption(env(new Option('--tls-key <file>', 'server private key (PEM)'), 'TLS_KEY'))
    .addOption(
      env(
        new Option(
          '--tls-reject-unauthorized',
          'close the connection of a client whose certificate is missing or refused, without an HTTP answer',
        ).default(false),
        'TLS_REJECT_UNAUTHORIZED',
      ),
    )
    .addOption(
      env(
        new Option('--client-cert-header <name>', 'take the client certificate from this header set by a trusted TLS proxy'),
        'CLIENT_CERT_HEADER',
      ),
    )
    .addOption(
      env(
        new Option('--client-chain-header <name>', 'optional header with the intermediates (HAProxy ssl_c_chain_der, Client-Cert-Chain)'),
        'CLIENT_CHAIN_HEADER',
      ),
    )
    .addOption(
      env(
        new Option('--trust-proxy <cidrs>', 'peers whose certificate header is believed').default(SERVE_DEFAULTS.trustProxy.join(',')),
        'TRUST_PROXY',
      ),
    )
    .addOption(rateLimitOption('eui', 'per gateway'))
    .addOption(rateLimitOption('peer', 'per client address'))
    .addOption(
      env(
        new Option('--ipv6-prefix <bits>', 'IPv6 prefix length counted as one client by --rate-limit-peer and the verification queue')
          .default(SERVE_DEFAULTS.ipv6Prefix)
          .argParser(wholeNumber('--ipv6-prefix', 1, 128)),
        'IPV6_PREFIX',
      ),
    )
    .addOption(
      env(
        new Option(
          '--stale-answers-minutes <minutes>',
          'while the registry is unreachable, answer gateways read this recently from that record (0: refuse all with 503)',
        )
          .default(SERVE_DEFAULTS.staleAnswersMinutes)
          .argParser(wholeNumber('--stale-answers-minutes', 0)),
        'STALE_ANSWERS_MINUTES',
      ),
    )
    .addOption(
      env(
        new Option('--request-timeout-ms <ms>', 'longest a request may take to arrive, headers and body (slow clients get 408)')
          .default(SERVE_DEFAULTS.requestTimeoutMs)
          .argParser(wholeNumber('--request-timeout-ms', 1)),
        'REQUEST_TIMEOUT_MS',
      ),
    )
    .addOption(env(new Option('--log-level <level>', 'fatal, error, warn, info, debug').default(SERVE_DEFAULTS.logLevel), 'LOG_LEVEL'))
    .addOption(
      env(
        new Option('--admin-port <port>', "the admin API and /metrics, never on the gateways' port; 0: none")
          .default(SERVE_DEFAULTS.adminPort)
          .argParser(wholeNumber('--admin-port', 0, 65535)),
        'ADMIN_PORT',
      ),
    )
    .addOption(
      env(
        new Option('--admin-host <host>', 'address of the admin API (loopback unless TLS is given)').default(SERVE_DEFAULTS.adminHost),
        'ADMIN_HOST',
      ),
    )
    .addOption(env(new Option('--admin-tls-cert <file>', 'serve the admin API over HTTPS with this certificate (PEM)'), 'ADMIN_TLS_CERT'))
    .addOption(env(new Option('--admin-tls-key <file>', 'and this private key (PEM)'), 'ADMIN_TLS_KEY'))
    .addOption(
      env(new Option('--admin-insecure', 'allow plain HTTP on a non-loopback --admin-host (a TLS proxy in front)'), 'ADMIN_INSECURE'),
    )
    .addOption(env(new Option('--metrics-token <token>', 'ask GET /metrics for this bearer token'), 'METRICS_TOKEN'))
    .addOption(
      env(
        new Option('--audit-days <days>', 'days the audit trail is kept')
          .default(SERVE_DEFAULTS.auditDays)
          .argParser(wholeNumber('--audit-days', 1)),
        'AUDIT_DAYS',
      ),
    )
    .addOption(
      env(
        new Option(
          '--crl-grace <duration>',
          "how long past its nextUpdate a CRL still counts (12h, 2d; 0: its issuer's certificates are refused at once)",
        )
          .default(0)
          .argParser((value) => parseDuration(value, '--crl-grace')),
        'CRL_GRACE',
      ),
    )
    .addOption(
      env(
        new Option('--demo', 'on first run create a demo server certificate, tenant CA and gateway, and use them').default(false),
        'DEMO',
      ),
    )
    .action(async (raw: Omit<ServeOptions, 'trustProxy' | 'crlGraceMs'> & { trustProxy: string; crlGrace: number }) => {
      const { crlGrace, ...rest } = raw;
      const options: ServeOptions = { ...rest, crlGraceMs: crlGrace, trustProxy: raw.trustProxy.split(',').filter(Boolean) };
      let demoCurl: string | undefined;
      if (options.demo && !options.tlsCert && !options.clientCertHeader) {
        const dataDir = options.db.startsWith('sqlite:') ? dirname(resolve(options.db.slice(7))) : resolve('data');
        // The demo's PKI code is loaded only for the demo.
        const { demoCurlCommand, ensureDemo } = await import('../../demo/ensure-demo.ts');
        const demo = await withRegistry(io, options, 'write', (registry) => ensureDemo(dataDir, resolve(options.tenants), registry));
        options.tlsCert = demo.serverCert;
        options.tlsKey = demo.serverKey;
        demoCurl = demoCurlCommand(demo, options.port);
      }
      const server = await startServer(options);
      if (demoCurl) {
        printOutput(io, {
          lines: [
            '',
            "Demo ready. Ask for the demo gateway's answer with:",
            '',
            `  ${demoCurl}`,
            '',
            "A real station checks the server's name against its CN and DNS names only, never IP SANs (mbedTLS):",
            'the demo certificate names localhost and 127.0.0.1 as DNS names too, so its cups.uri may use either.',
            '',
          ],
        });
      }
      const shutdown = (signal: string) => {
        server.app.log.info({ signal }, 'shutting down: refusing new requests, finishing those in flight');
        const force = setTimeout(() => process.exit(1), 10_000);
        force.unref();
        server.drainAndClose().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}

/** A parser of a whole-number flag from `min` to `max`, naming the flag and the range when refused. */
function wholeNumber(flag: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `${min}..${max}`;
      throw new InvalidOption(`${flag} must be a whole number, ${range}; got "${value}"`);
    }
    return n;
  };
}
