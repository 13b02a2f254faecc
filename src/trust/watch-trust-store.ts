import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { loadTrustStore, TrustStore } from './trust-store.ts';

/**
 * Keeps a trust store in step with its folder: polls a cheap signature (names, sizes, mtimes,
 * inodes) and reloads on any change, so adding, replacing or deleting a file takes effect within
 * `intervalMs` plus a load. If the folder vanishes or cannot be read, the last good store keeps
 * serving and the error is logged once per change of state.
 */
export class TrustStoreWatcher {
  private store = new TrustStore([]);
  private signature: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readonly listeners: ((store: TrustStore) => void)[] = [];
  private lastError: string | undefined;

  constructor(
    readonly dir: string,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs = 500,
  ) {}

  get current(): TrustStore {
    return this.store;
  }

  onChange(listener: (store: TrustStore) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => {
      this.polling ??= this.poll().finally(() => (this.polling = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  private async poll(): Promise<void> {
    try {
      const signature = await folderSignature(this.dir);
      if (signature === this.signature) return;
      const store = await loadTrustStore(this.dir);
      this.signature = signature;
      this.store = store;
      this.lastError = undefined;
      for (const problem of store.problems) this.log.error({ file: problem.file }, `trust store file skipped: ${problem.reason}`);
      this.log.info({ dir: this.dir, certificates: store.certificates.length, anchors: store.certificates.filter((c) => c.anchor).length }, 'trust store loaded');
      for (const listener of this.listeners) listener(store);
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.lastError) {
        this.log.error({ dir: this.dir }, `trust store folder unreadable, keeping the last good store: ${message}`);
        this.lastError = message;
      }
      this.signature = undefined;
    }
  }
}

async function folderSignature(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const tenant of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!tenant.isDirectory()) continue;
    const tenantDir = join(dir, tenant.name);
    const names = (await readdir(tenantDir).catch(() => [] as string[])).filter((n) => n.endsWith('.pem')).sort();
    for (const name of names) {
      const info = await stat(join(tenantDir, name)).catch(() => undefined);
      parts.push(`${tenant.name}/${name}:${info?.size}:${info?.mtimeMs}:${info?.ino}`);
    }
    parts.push(`${tenant.name}/`);
  }
  return parts.join('\n');
}
