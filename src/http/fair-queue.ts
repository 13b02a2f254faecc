import { ServerBusy } from '../errors.ts';

export interface FairQueueLimits {
  /** Tasks running at once. */
  concurrency: number;
  /** Tasks waiting, over all clients. */
  maxQueued: number;
  /** Tasks waiting for one client. */
  maxQueuedPerClient: number;
  /** Longest a task waits for its turn before it is refused. */
  maxWaitMs: number;
}

export const DEFAULT_FAIR_QUEUE_LIMITS: FairQueueLimits = {
  // Signature checks run on libuv's pool (four threads); a chain awaits each check in turn, so
  // twice as many chains keep the pool busy.
  concurrency: 8,
  maxQueued: 4096,
  // A NAT address whose gateways all reconnect after an outage: about its rate limit's burst.
  maxQueuedPerClient: 512,
  // Well inside the station's 60 s read timeout.
  maxWaitMs: 5000,
};

interface Waiter {
  start: () => void;
  timer: NodeJS.Timeout;
}

interface Client {
  /** Milliseconds of work done for this client, on the queue's virtual clock. */
  used: number;
  waiting: Waiter[];
  running: number;
}

/**
 * Runs costly work for unauthenticated clients (chain verification) a few at a time, sharing
 * the time between client keys (an address, or an IPv6 prefix) by start-time fair queuing: the
 * next task is always that of the waiting client that has used the least so far, counted in
 * the wall time its tasks took. A client sending costly work waits behind its own tasks, while
 * a new client from elsewhere is served at once. Bounded: too many waiting, or one waiting
 * longer than maxWaitMs, is refused with 503 server_busy.
 */
export class FairQueue {
  private readonly clients = new Map<string, Client>();
  /** The clients with tasks waiting: the only ones the next turn is chosen from. */
  private readonly waitingClients = new Set<Client>();
  private running = 0;
  private queued = 0;
  /** The `used` of the client served last: where a newly active client starts. */
  private virtualTime = 0;

  constructor(private readonly limits: FairQueueLimits = DEFAULT_FAIR_QUEUE_LIMITS) {}

  /** Runs `task` for `clientKey` when its turn comes. */
  run<T>(clientKey: string, task: () => Promise<T>): Promise<T> {
    const client = this.clientOf(clientKey);
    const execute = (): Promise<T> => {
      this.running++;
      client.running++;
      const started = performance.now();
      return task().finally(() => {
        client.used += performance.now() - started;
        client.running--;
        this.running--;
        this.forgetIfIdle(clientKey, client);
        this.dispatch();
      });
    };
    if (this.running < this.limits.concurrency && this.queued === 0) return execute();
    if (this.queued >= this.limits.maxQueued || client.waiting.length >= this.limits.maxQueuedPerClient) {
      this.forgetIfIdle(clientKey, client);
      return Promise.reject(
        new ServerBusy(
          `${this.queued} new certificate chains are waiting to be verified; retry shortly (gateways verified before are answered meanwhile)`,
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => execute().then(resolve, reject),
        timer: setTimeout(() => {
          const at = client.waiting.indexOf(waiter);
          if (at < 0) return;
          client.waiting.splice(at, 1);
          if (client.waiting.length === 0) this.waitingClients.delete(client);
          this.queued--;
          this.forgetIfIdle(clientKey, client);
          reject(new ServerBusy(`the certificate chain waited ${this.limits.maxWaitMs} ms for its turn to be verified; retry shortly`));
        }, this.limits.maxWaitMs),
      };
      waiter.timer.unref();
      client.waiting.push(waiter);
      this.waitingClients.add(client);
      this.queued++;
    });
  }

  /** Tasks running and waiting, for tests and metrics. */
  get load(): { running: number; queued: number; clients: number } {
    return { running: this.running, queued: this.queued, clients: this.clients.size };
  }

  private clientOf(key: string): Client {
    let client = this.clients.get(key);
    if (!client) {
      client = { used: this.virtualTime, waiting: [], running: 0 };
      this.clients.set(key, client);
    }
    return client;
  }

  /** An idle client is kept only while it is ahead of the clock, so leaving does not wipe its debt. */
  private forgetIfIdle(key: string, client: Client): void {
    if (client.running === 0 && client.waiting.length === 0 && client.used <= this.virtualTime) this.clients.delete(key);
  }

  private dispatch(): void {
    while (this.running < this.limits.concurrency && this.queued > 0) {
      let next: Client | undefined;
      for (const client of this.waitingClients) if (!next || client.used < next.used) next = client;
      const waiter = next!.waiting.shift()!;
      if (next!.waiting.length === 0) this.waitingClients.delete(next!);
      this.queued--;
      clearTimeout(waiter.timer);
      this.virtualTime = Math.max(this.virtualTime, next!.used);
      waiter.start();
    }
    // Clients ahead of the clock are kept while idle; past a bound the oldest idle ones go anyway.
    if (this.clients.size > this.limits.maxQueued) {
      for (const [key, client] of this.clients) {
        if (this.clients.size <= this.limits.maxQueued / 2) break;
        if (client.running === 0 && client.waiting.length === 0) this.clients.delete(key);
      }
    }
  }
}
