import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SecureContextOptions, Server as TlsServer } from 'node:tls';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { AdminTokens } from '../admin/admin-tokens.ts';
import { type AdminAppOptions, buildAdminApp } from '../admin/build-admin-app.ts';
import { ConsoleSessions } from '../admin/console-sessions.ts';
import { FleetCounter } from '../admin/fleet-counts.ts';
import { TenantDirectory } from '../admin/tenant-directory.ts';
import { AuditTrail } from '../audit/audit-trail.ts';
import { AuditWriter } from '../audit/audit-writer.ts';
import { trustedProxyMatcher } from '../client-cert/trusted-proxies.ts';
import { SERVE_DEFAULTS, type ServeOptions } from '../config/serve-options.ts';
import { InvalidOption, RegistryUnavailable } from '../errors.ts';
import { FirmwareCatalog } from '../firmware/catalog.ts';
import { firmwareImagesFor } from '../firmware/image-store.ts';
import { buildApp } from '../http/build-app.ts';
import { ServiceMetrics } from '../metrics/service-metrics.ts';
import { cupsCertificateCheck } from '../provisioning/check-cups-certificate.ts';
import { type LongReads, longReadsFor } from '../registry/open-registry.ts';
import { openSealedRegistry } from '../registry/open-sealed-registry.ts';
import type { SqlExecutor } from '../registry/sql-dialect.ts';
import { CupsRenewals } from '../renewal/renew-over-cups.ts';
import { TenantIssuers } from '../renewal/tenant-issuers.ts';
import { DatabaseTrust } from '../trust/database-trust.ts';
import { TrustSources } from '../trust/trust-sources.ts';
import { VerificationCache } from '../trust/verification-cache.ts';
import { logOutput } from './log-output.ts';
import { logRefusedHandshakes } from './log-refused-handshakes.ts';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /** The admin API, when it listens. */
  admin?: FastifyInstance;
  /** The trust store: the tenants folder and the CAs added through the API. */
  trust: TrustSources;
  close(): Promise<void>;
  /**
   * Graceful stop: new requests get 503 shutting_down (Connection: close) until none has come for
   * `quietMs` (at most `maxMs`), then the listener closes, requests in flight finish, and the
   * registry closes. Closing the listener at once would reset connections the kernel had already
   * accepted for it.
   */
  drainAndClose(quietMs?: number, maxMs?: number): Promise<void>;
}

const AUDIT_PRUNE_MS = 60 * 60_000;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * The admin listener: its own port and address (loopback by default), HTTPS when given a
 * certificate; a non-loopback address without TLS only when --admin-insecure says so.
 */
async function startAdmin(
  options: ServeOptions,
  parts: Pick<AdminAppOptions, 'registry' | 'tenants' | 'audit' | 'metrics' | 'trust' | 'databaseTrust' | 'firmware'> & {
    sql: SqlExecutor;
    longReads: LongReads;
    logger: FastifyBaseLogger;
  },
): Promise<FastifyInstance> {
  const host = options.adminHost ?? SERVE_DEFAULTS.adminHost;
  if (!!options.adminTlsCert !== !!options.adminTlsKey) throw new InvalidOption('--admin-tls-cert and --admin-tls-key go together');
  const https =
    options.adminTlsCert && options.adminTlsKey
      ? { cert: readFileSync(options.adminTlsCert), key: readFileSync(options.adminTlsKey) }
      : undefined;
  if (!https && !LOOPBACK.has(host) && !options.adminInsecure)
    throw new InvalidOption(
      `--admin-host ${host} is not a loopback address: give --admin-tls-cert and --admin-tls-key, or --admin-insecure if a TLS proxy fronts it`,
    );
  const admin = await buildAdminApp({
    ...parts,
    tokens: new AdminTokens(parts.sql),
    sessions: new ConsoleSessions(parts.sql),
    fleet: new FleetCounter(parts.longReads),
    secureCookies: !!https || !!options.adminInsecure,
    checkCupsCertificate: cupsCertificateCheck(() => parts.trust.current),
    ...(options.metricsToken ? { metricsToken: options.metricsToken } : {}),
    ...(https ? { https } : {}),
    logger: parts.logger.child({ listener: 'admin' }),
  });
  await admin.listen({ port: options.adminPort!, host });
  return admin;
}

/** Starts `cups serve`: trust store watcher, registry, and the HTTP(S) listener. */
export async function startServer(options: ServeOptions, logDestination?: NodeJS.WritableStream): Promise<RunningServer> {
  // The registry's error callback runs only later, once the app (and its logger) exists.
  let app: FastifyInstance | undefined;
  const { registry, createdKeyFile: created } = await openSealedRegistry(
    options.db,
    { env: process.env.CUPS_SECRET_KEY, file: options.secretKeyFile },
    'write',
    (error) => app?.log.warn({ err: error }, 'registry connection lost'),
  );
  const catalog = new FirmwareCatalog(registry.store.sql, registry.store.directSql);
  const firmwareImages = firmwareImagesFor(options.db, resolve(options.firmwareDir), registry.store.directSql);
  await registry.store.keepReadsFresh();
  const tls = options.tlsCert && options.tlsKey ? { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) } : undefined;
  if (!!options.tlsCert !== !!options.tlsKey) throw new InvalidOption('--tls-cert and --tls-key go together');
  // No session tickets: a resumed session carries no chain, and none may stand in for a certificate.
  // No CA list: the CertificateRequest names no CA (it would list every tenant's to anyone who
  // connects), and the service verifies every presented chain itself, against the trust store.
  const context: SecureContextOptions = { ...tls, minVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_TICKET };
  let trust!: TrustSources;
  const verificationCache = new VerificationCache();
  let keysChecked = false;
  let draining = false;
  let lastDrainedAt = 0;
  /** Proves the master key fits the registry once it can be reached; a wrong key is fatal. */
  const checkKeys = async () => {
    if (keysChecked) return;
    await registry.checkKeys();
    keysChecked = true;
  };
  // Counted only when /metrics can be read: on the admin listener.
  /** How many gateways the registry holds that match `where`. */
  const countGateways = async (where: string, params: unknown[] = []) => {
    const [row] = await registry.store.directSql.all<{ n: number | string }>(`SELECT count(*) AS n FROM gateways WHERE ${where}`, params);
    return Number(row?.n ?? 0);
  };
  const metrics = options.adminPort
    ? new ServiceMetrics({
        trustStore: () => trust.current,
        certificatesExpiringBefore: (when) => countGateways('last_cert_not_after < ?', [when.toISOString()]),
        gatewayRevocations: async () => {
          const rows = await registry.store.directSql.all<{ revoked_certificates: string }>(
            "SELECT revoked_certificates FROM gateways WHERE revoked_certificates <> ''",
          );
          return rows.reduce((sum, row) => sum + row.revoked_certificates.split(',').length, 0);
        },
        pendingRenewals: () => countGateways('renewal IS NOT NULL'),
      })
    : undefined;
  const audit = new AuditTrail(registry.store.directSql);
  const handovers = new AuditWriter(audit, (error, events, dropped) => {
    metrics?.registryError('audit');
    app?.log.error({ err: error, events, dropped }, 'could not write the audit events of answers; kept for the next attempt');
  });
  app = await buildApp({
    ...(metrics ? { observer: metrics } : {}),
    auditHandover: (event) => handovers.record(event),
    renewals: new CupsRenewals({
      registry,
      issuers: new TenantIssuers(registry.store.sql),
      audit: (event) => handovers.record(event),
      ...(metrics ? { observer: metrics } : {}),
    }),
    release: async () => {
      await trust?.stop();
      await registry.close();
    },
    registry,
    firmware: { catalog, images: firmwareImages },
    trustStore: () => trust.current,
    verificationCache,
    isDraining: () => {
      if (draining) lastDrainedAt = Date.now();
      return draining;
    },
    isReady: async () => {
      await registry.ping();
      await checkKeys();
      return true;
    },
    logger: { level: options.logLevel, stream: logDestination ?? logOutput() },
    ...(tls ? { https: context, closeUnauthenticated: options.tlsRejectUnauthorized } : {}),
    ipv6Prefix: options.ipv6Prefix,
    crlGraceMs: options.crlGraceMs ?? 0,
    selfSignedTenant: async (sha256) => {
      const [row] = await registry.store.directSql.all<{ tenant: string }>(
        `SELECT g.tenant FROM gateways g JOIN tenants t ON t.id = g.tenant
         WHERE g.self_signed_sha256 = ? AND t.allow_self_signed = 1`,
        [sha256],
      );
      return row?.tenant;
    },
    staleAnswersMs: (options.staleAnswersMinutes ?? SERVE_DEFAULTS.staleAnswersMinutes) * 60_000,
    requestTimeoutMs: options.requestTimeoutMs ?? SERVE_DEFAULTS.requestTimeoutMs,
    rateLimits: {
      ...(options.rateLimitEui ? { perEui: options.rateLimitEui } : {}),
      ...(options.rateLimitPeer ? { perPeer: options.rateLimitPeer } : {}),
    },
    ...(options.clientCertHeader
      ? {
          forwarded: {
            header: options.clientCertHeader,
            ...(options.clientChainHeader ? { chainHeader: options.clientChainHeader } : {}),
            isTrustedProxy: trustedProxyMatcher(options.trustProxy),
          },
        }
      : {}),
  });
  if (created) app.log.warn({ file: created }, 'created a new master key for stored secrets: back it up');
  try {
    await checkKeys();
  } catch (error) {
    // An unreachable database is waited for (readiness says so); a key that does not fit is fatal.
    if (!(error instanceof RegistryUnavailable)) {
      await registry.close();
      throw error;
    }
    app.log.error({ err: error }, 'registry unavailable at start-up; serving 503 until it returns');
  }
  const databaseTrust = new DatabaseTrust(registry.store.directSql);
  trust = new TrustSources(resolve(options.tenants), databaseTrust, app.log);
  // A changed trust store may revoke what was verified before.
  trust.onChange(() => verificationCache.clear());
  if (tls) logRefusedHandshakes(app.server as unknown as TlsServer, app.log);
  await trust.start();
  const tenants = new TenantDirectory(registry.store.directSql);
  // The trust store's tenant folders are tenants too.
  const adoptFolders = () =>
    tenants.adopt([...new Set(trust.folder.current.certificates.flatMap((cert) => [...cert.inFolder]))]).catch((error: unknown) => {
      app?.log.warn({ err: error }, 'could not record the trust store folders as tenants; retried when the store changes');
    });
  await adoptFolders();
  trust.folder.onChange(() => void adoptFolders());
  const pruning = setInterval(
    () =>
      void audit.prune(options.auditDays ?? SERVE_DEFAULTS.auditDays).catch((error: unknown) => {
        app?.log.warn({ err: error }, 'could not prune the audit trail; retried in an hour');
      }),
    AUDIT_PRUNE_MS,
  ).unref();
  const admin = options.adminPort
    ? await startAdmin(options, {
        registry,
        tenants,
        audit,
        trust,
        databaseTrust,
        firmware: { catalog, images: firmwareImages },
        ...(metrics ? { metrics } : {}),
        sql: registry.store.directSql,
        longReads: longReadsFor(options.db, registry.store),
        logger: app.log,
      })
    : undefined;
  // Run before the registry is released (onClose hooks run last-added first).
  app.addHook('onClose', async () => {
    clearInterval(pruning);
    await admin?.close();
    await handovers.flush();
  });
  const address = await app.listen({ port: options.port, host: options.host });
  const close = () => app.close();
  return {
    app,
    url: address,
    ...(admin ? { admin } : {}),
    trust,
    close,
    async drainAndClose(quietMs = 250, maxMs = 5000) {
      draining = true;
      const started = Date.now();
      lastDrainedAt = started;
      while (Date.now() - lastDrainedAt < quietMs && Date.now() - started < maxMs) await new Promise((resolve) => setTimeout(resolve, 25));
      await close();
    },
  };
}
