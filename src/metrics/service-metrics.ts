import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { TrustStore } from '../trust/trust-store.ts';
import { RecentRefusals } from './recent-refusals.ts';

const REGISTRY_OPERATIONS = ['read', 'contacts', 'audit'] as const;
type RegistryOperation = (typeof REGISTRY_OPERATIONS)[number];

/** What the service tells its metrics about; every label is bounded (codes, kinds, tenants). */
export interface ServiceObserver {
  /** An update-info request answered: `ok` or the refusal's code, and how long it took. */
  answered(code: string, seconds: number): void;
  /** The parts an answer handed over: tcUri, tcCred, cupsUri, cupsCred, update. */
  handedOver(kinds: readonly string[]): void;
  verificationCache(hit: boolean): void;
  /** Where to read how many new chains are being verified and waiting. */
  verificationQueue(load: () => { running: number; queued: number }): void;
  staleAnswer(): void;
  /** The registry failed: a gateway's read, or a batch of contacts or audit events it was to write. */
  registryError(operation: RegistryOperation): void;
  /** Where to read how long the oldest contact not yet written has waited, in seconds. */
  contactLag(load: () => number): void;
  /** A certificate renewal (or enrolment) over CUPS issued, handed over again, or completed. */
  renewal(kind: 'renewal' | 'enrolment', stage: 'issued' | 'resent' | 'completed'): void;
}

/** What the metrics read from the service when scraped. */
export interface MetricSources {
  trustStore: () => TrustStore;
  /** Gateways whose last presented certificate expires before the given time. */
  certificatesExpiringBefore: (when: Date) => Promise<number>;
  /** Gateways handed a renewed certificate they have not presented yet. */
  pendingRenewals: () => Promise<number>;
  /** Client certificates revoked for single gateways by their operators (or replaced by a renewal, after its grace). */
  gatewayRevocations: () => Promise<number>;
}

/** How far ahead an expiring client certificate is counted. */
export const EXPIRY_HORIZON_MS = 30 * 86_400_000;
/** The gauges counted in the registry (queries over the gateways) are counted at most this often. */
const COUNT_EVERY_MS = 60_000;

/**
 * A count read from the registry at most every `everyMs`, whatever the scrape interval; while the
 * registry is away, the last count stands (the registry error counters say why).
 */
function countedAtMost(everyMs: number, count: () => Promise<number>): () => Promise<number> {
  let last = 0;
  let taken: { at: number; count: Promise<number> } | undefined;
  return async () => {
    const now = Date.now();
    if (!taken || now - taken.at >= everyMs) {
      const attempt = { at: now, count: count() };
      taken = attempt;
      // A failed count is tried again at the next scrape.
      attempt.count.catch(() => {
        if (taken === attempt) taken = undefined;
      });
    }
    last = await taken.count.catch(() => last);
    return last;
  };
}

/**
 * The service's Prometheus metrics (prom-client), with Node's process metrics. No label carries
 * an EUI or anything else a client chooses.
 */
export class ServiceMetrics implements ServiceObserver {
  readonly registry = new Registry();
  /** The last hour's refusals by code, for the console's overview. */
  readonly recentRefusals = new RecentRefusals();
  private readonly answers = new Counter({
    name: 'cups_update_info_answers_total',
    help: 'update-info answers, by code (ok or the refusal code)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'cups_update_info_duration_seconds',
    help: 'time from the request to its answer',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  private readonly handovers = new Counter({
    name: 'cups_credential_handovers_total',
    help: 'parts handed over to stations, by kind (tcUri, tcCred, cupsUri, cupsCred, update)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly cache = new Counter({
    name: 'cups_verification_cache_total',
    help: 'client certificate chains found verified in the cache (hit) or verified anew (miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly stale = new Counter({
    name: 'cups_stale_answers_total',
    help: 'answers given from a record read before, while the registry could not be reached',
    registers: [this.registry],
  });

  private readonly registryErrors = new Counter({
    name: 'cups_registry_errors_total',
    help: 'registry failures, by operation (read: a gateway for an answer; contacts, audit: a batch to write)',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  private readonly renewals = new Counter({
    name: 'cups_renewals_total',
    help:
      'certificates renewed (or enrolled from a bootstrap certificate) over CUPS, by kind and stage: issued, resent (the same ' +
      'credentials again), completed (the new certificate presented)',
    labelNames: ['kind', 'stage'] as const,
    registers: [this.registry],
  });
  private readonly renewalsBy = new Map(
    (['renewal', 'enrolment'] as const).flatMap((kind) =>
      (['issued', 'resent', 'completed'] as const).map((stage) => {
        const counter = this.renewals.labels({ kind, stage });
        counter.inc(0);
        return [`${kind} ${stage}`, counter] as const;
      }),
    ),
  );

  private verificationLoad = () => ({ running: 0, queued: 0 });
  private contactLagSeconds = () => 0;

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry });
    const load = () => this.verificationLoad();
    const lag = () => this.contactLagSeconds();
    new Gauge({
      name: 'cups_crl_revoked_serials',
      help: "serial numbers revoked by the CRLs that count for each tenant's CAs",
      labelNames: ['tenant'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const revoked = new Map<string, number>();
        for (const { issuer, crl } of sources.trustStore().crls)
          for (const tenant of issuer.tenants) revoked.set(tenant, (revoked.get(tenant) ?? 0) + crl.revoked.size);
        for (const [tenant, count] of revoked) this.set({ tenant }, count);
      },
    });
    const revocations = countedAtMost(COUNT_EVERY_MS, sources.gatewayRevocations);
    new Gauge({
      name: 'cups_gateway_revoked_certificates',
      help: 'client certificates revoked for single gateways (cups gateway revoke-cert, the API, renewals after their grace)',
      registers: [this.registry],
      async collect() {
        this.set(await revocations());
      },
    });
    const pendingRenewals = countedAtMost(COUNT_EVERY_MS, sources.pendingRenewals);
    new Gauge({
      name: 'cups_renewals_pending',
      help: 'gateways handed a renewed certificate they have not presented yet (their old one works until it expires)',
      registers: [this.registry],
      async collect() {
        this.set(await pendingRenewals());
      },
    });
    new Gauge({
      name: 'cups_contact_write_lag_seconds',
      help: 'how long the oldest gateway contact not yet written to the registry has waited',
      registers: [this.registry],
      collect() {
        this.set(lag());
      },
    });
    const expiring = countedAtMost(COUNT_EVERY_MS, () => sources.certificatesExpiringBefore(new Date(Date.now() + EXPIRY_HORIZON_MS)));
    new Gauge({
      name: 'cups_client_certificates_expiring',
      help: 'gateways whose last presented client certificate expires within 30 days (or has expired)',
      registers: [this.registry],
      async collect() {
        this.set(await expiring());
      },
    });
    new Gauge({
      name: 'cups_chains_verifying',
      help: 'new certificate chains being verified now',
      registers: [this.registry],
      collect() {
        this.set(load().running);
      },
    });
    new Gauge({
      name: 'cups_chains_queued',
      help: 'new certificate chains waiting their turn to be verified',
      registers: [this.registry],
      collect() {
        this.set(load().queued);
      },
    });
    // Both trust-store gauges read the same snapshot: its figures are worked out once.
    const figures = new WeakMap<TrustStore, Map<string, { count: number; earliest: number }>>();
    const perTenant = (store: TrustStore) => {
      const known = figures.get(store);
      if (known) return known;
      const cas = new Map<string, { count: number; earliest: number }>();
      figures.set(store, cas);
      for (const cert of store.certificates) {
        for (const tenant of cert.tenants) {
          const sum = cas.get(tenant) ?? { count: 0, earliest: Number.POSITIVE_INFINITY };
          cas.set(tenant, { count: sum.count + 1, earliest: Math.min(sum.earliest, cert.notAfter.getTime() / 1000) });
        }
      }
      return cas;
    };
    new Gauge({
      name: 'cups_trust_store_cas',
      help: 'CA certificates the trust store holds, by tenant (common: every tenant)',
      labelNames: ['tenant'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [tenant, { count }] of perTenant(sources.trustStore())) this.set({ tenant }, count);
      },
    });
    new Gauge({
      name: 'cups_crl_next_update_seconds',
      help: "the earliest nextUpdate of the CRLs that count for each tenant's CAs, in seconds since the epoch (past it, their certificates are refused)",
      labelNames: ['tenant'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const earliest = new Map<string, number>();
        for (const { issuer, crl } of sources.trustStore().crls) {
          if (!crl.nextUpdate) continue;
          for (const tenant of issuer.tenants)
            earliest.set(tenant, Math.min(earliest.get(tenant) ?? Number.POSITIVE_INFINITY, crl.nextUpdate.getTime() / 1000));
        }
        for (const [tenant, seconds] of earliest) this.set({ tenant }, seconds);
      },
    });
    new Gauge({
      name: 'cups_trust_store_ca_earliest_expiry_seconds',
      help: 'the earliest notAfter of the CAs of each tenant, in seconds since the epoch',
      labelNames: ['tenant'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [tenant, { earliest }] of perTenant(sources.trustStore())) this.set({ tenant }, earliest);
      },
    });
  }

  /** Counters bound to their label once: labelling each increment anew costs more than the answer's own checks. */
  private readonly answersByCode = new Map<string, Counter.Internal>();
  private readonly handoversByKind = new Map<string, Counter.Internal>();
  private readonly cacheHits = this.cache.labels({ result: 'hit' });
  private readonly cacheMisses = this.cache.labels({ result: 'miss' });

  answered(code: string, seconds: number): void {
    let counter = this.answersByCode.get(code);
    if (!counter) this.answersByCode.set(code, (counter = this.answers.labels({ code })));
    counter.inc();
    this.latency.observe(seconds);
    if (code !== 'ok') this.recentRefusals.add(code);
  }

  handedOver(kinds: readonly string[]): void {
    for (const kind of kinds) {
      let counter = this.handoversByKind.get(kind);
      if (!counter) this.handoversByKind.set(kind, (counter = this.handovers.labels({ kind })));
      counter.inc();
    }
  }

  verificationCache(hit: boolean): void {
    (hit ? this.cacheHits : this.cacheMisses).inc();
  }

  verificationQueue(load: () => { running: number; queued: number }): void {
    this.verificationLoad = load;
  }

  staleAnswer(): void {
    this.stale.inc();
  }

  /** Bound once, and so exported at 0 from the start: a rate over a series that appears only at the first error misses it. */
  private readonly registryErrorsBy = Object.fromEntries(
    REGISTRY_OPERATIONS.map((operation) => {
      const counter = this.registryErrors.labels({ operation });
      counter.inc(0);
      return [operation, counter];
    }),
  ) as Record<RegistryOperation, Counter.Internal>;

  registryError(operation: RegistryOperation): void {
    this.registryErrorsBy[operation].inc();
  }

  contactLag(load: () => number): void {
    this.contactLagSeconds = load;
  }

  renewal(kind: 'renewal' | 'enrolment', stage: 'issued' | 'resent' | 'completed'): void {
    this.renewalsBy.get(`${kind} ${stage}`)!.inc();
  }
}
