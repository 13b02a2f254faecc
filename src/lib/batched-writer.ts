export interface BatchedWriterOptions {
  /** How long an item waits for others before its batch is written. */
  delayMs: number;
  /** A batch this big is written at once. */
  maxBatch: number;
  /** Items held at most (while the store is slow or away); past it, new ones are dropped and counted. */
  maxPending?: number;
  /** Whether a failed batch is kept for the next attempt (as far as maxPending allows) or only reported. */
  keepFailed?: boolean;
}

/**
 * Writes items behind the work that makes them: collected for up to `delayMs` (or `maxBatch`
 * items) and written in one call, one batch at a time; the latest item per key is kept. A failed
 * batch is reported with its items.
 */
export class BatchedWriter<K, V> {
  private pending = new Map<K, V>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  /** When the oldest item not yet written came: pending, or in the batch being written. */
  private pendingSince: number | undefined;
  private inFlightSince: number | undefined;
  /** Items dropped because maxPending were held. */
  dropped = 0;

  constructor(
    private readonly write: (batch: ReadonlyMap<K, V>) => Promise<void>,
    private readonly onError: (error: unknown, batch: ReadonlyMap<K, V>) => void,
    private readonly options: BatchedWriterOptions,
  ) {}

  add(key: K, value: V): void {
    if (!this.pending.has(key) && this.pending.size >= (this.options.maxPending ?? Number.POSITIVE_INFINITY)) {
      this.dropped++;
      return;
    }
    this.pending.set(key, value);
    this.pendingSince ??= Date.now();
    if (this.pending.size >= this.options.maxBatch && !this.inFlight) void this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.options.delayMs);
    this.timer.unref();
  }

  /** Writes what is pending, once the batch in flight (if any) is written; never rejects. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight) return this.inFlight.then(() => this.flush());
    const batch = this.pending;
    if (batch.size === 0) return Promise.resolve();
    this.pending = new Map();
    this.inFlightSince = this.pendingSince;
    this.pendingSince = undefined;
    this.inFlight = this.write(batch)
      .catch((error: unknown) => {
        if (this.options.keepFailed) {
          // Kept before what came meanwhile, as far as room allows.
          this.pending = new Map([...batch, ...this.pending].slice(0, this.options.maxPending));
          this.pendingSince = Math.min(this.inFlightSince ?? Date.now(), this.pendingSince ?? Date.now());
          this.schedule();
        }
        this.onError(error, batch);
      })
      .finally(() => {
        this.inFlight = undefined;
        this.inFlightSince = undefined;
      });
    return this.inFlight;
  }

  /** How long the oldest item not yet written has waited, in ms (0 when none waits): how far the store lags behind. */
  lagMs(now = Date.now()): number {
    const since = Math.min(this.inFlightSince ?? now, this.pendingSince ?? now);
    return now - since;
  }
}
