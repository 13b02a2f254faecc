import { type FSWatcher, watch } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { BOOTSTRAP_FOLDER, loadTrustStore, TrustStore, tenantFolders } from './trust-store.ts';

/** After a change event, wait this long for the rest of a copy or move before reading. */
const SETTLE_MS = 50;

/**
 * Keeps a trust store in step with its folder. The folder and each tenant folder are watched
 * (inotify), so a change is read within tens of milliseconds; a full check of a cheap signature
 * (names, sizes, mtimes, inodes) also runs every `fullCheckMs`, for changes a watch can miss, and
 * every `intervalMs` while the folder cannot be watched. Any difference reloads the store. If the
 * folder vanishes or cannot be read, the last good store keeps serving and the error is logged
 * once per change of state. A thousand tenant folders cost nothing while nothing changes.
 */
export class TrustStoreWatcher {
  private store = new TrustStore([]);
  private signature: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private checkAgain = false;
  /** Watched folders by path, with the inode watched: a folder deleted and made again is watched anew. */
  private readonly watchers = new Map<string, { watcher: FSWatcher; inode: number | undefined }>();
  private lastFullCheck = 0;
  private readonly listeners: ((store: TrustStore) => void)[] = [];
  private lastError: string | undefined;
  private stopped = false;

  constructor(
    readonly dir: string,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs = 500,
    private readonly fullCheckMs = 30_000,
  ) {}

  get current(): TrustStore {
    return this.store;
  }

  onChange(listener: (store: TrustStore) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => {
      const watched = this.watchers.has(this.dir);
      if (!watched || Date.now() - this.lastFullCheck >= this.fullCheckMs) this.checkSoon(0);
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.settle);
    for (const { watcher } of this.watchers.values()) watcher.close();
    this.watchers.clear();
    await this.polling;
  }

  private checkSoon(delayMs = SETTLE_MS): void {
    if (this.settle || this.stopped) return;
    this.settle = setTimeout(() => {
      this.settle = undefined;
      this.runCheck();
    }, delayMs);
    this.settle.unref();
  }

  /** One check at a time; a change seen while one runs (it may have read the folder already) gets a check after it. */
  private runCheck(): void {
    if (this.polling) {
      this.checkAgain = true;
      return;
    }
    this.polling = this.check().finally(() => {
      this.polling = undefined;
      if (this.checkAgain && !this.stopped) {
        this.checkAgain = false;
        this.runCheck();
      }
    });
  }

  private async check(): Promise<void> {
    this.lastFullCheck = Date.now();
    try {
      const { signature, folders } = await folderSignature(this.dir);
      this.watchFolders([{ path: this.dir, inode: undefined }, ...folders]);
      if (signature === this.signature) return;
      const store = await loadTrustStore(this.dir);
      this.signature = signature;
      this.store = store;
      this.lastError = undefined;
      for (const problem of [...store.problems, ...store.crlProblems])
        this.log.error({ file: problem.file }, `trust store file skipped: ${problem.reason}`);
      this.log.info(
        { dir: this.dir, certificates: store.certificates.length, anchors: store.certificates.filter((c) => c.anchor).length },
        'trust store loaded',
      );
      for (const listener of this.listeners) listener(store);
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.lastError) {
        this.log.error({ dir: this.dir }, `trust store folder unreadable, keeping the last good store: ${message}`);
        this.lastError = message;
      }
      this.signature = undefined;
      this.watchFolders([]);
    }
  }

  /** Watches exactly these folders; one that cannot be watched is left to the periodic check. */
  private watchFolders(folders: { path: string; inode: number | undefined }[]): void {
    if (this.stopped) return;
    const wanted = new Map(folders.map((f) => [f.path, f.inode]));
    for (const [folder, { watcher, inode }] of this.watchers) {
      if (!wanted.has(folder) || wanted.get(folder) !== inode) {
        watcher.close();
        this.watchers.delete(folder);
      }
    }
    for (const [folder, inode] of wanted) {
      if (this.watchers.has(folder)) continue;
      try {
        const watcher = watch(folder, { persistent: false }, () => this.checkSoon());
        watcher.on('error', () => {
          watcher.close();
          if (this.watchers.get(folder)?.watcher === watcher) this.watchers.delete(folder);
          this.checkSoon();
        });
        this.watchers.set(folder, { watcher, inode });
      } catch {
        // gone or unreadable: the periodic check notices
      }
    }
  }
}

async function folderSignature(dir: string): Promise<{ signature: string; folders: { path: string; inode: number | undefined }[] }> {
  const parts: string[] = [];
  const folders: { path: string; inode: number | undefined }[] = [];
  for (const tenant of await tenantFolders(dir)) {
    parts.push(`${tenant.name}/@${tenant.inode}:${tenant.problem ?? ''}`);
    if (tenant.problem) continue;
    folders.push({ path: tenant.path, inode: tenant.inode });
    const bootstrap = join(tenant.path, BOOTSTRAP_FOLDER);
    const bootstrapInfo = await stat(bootstrap).catch(() => undefined);
    if (bootstrapInfo?.isDirectory()) folders.push({ path: bootstrap, inode: bootstrapInfo.ino });
    for (const [folder, prefix] of [
      [tenant.path, ''],
      [bootstrap, `${BOOTSTRAP_FOLDER}/`],
    ] as const) {
      const names = (await readdir(folder).catch(() => [] as string[])).filter((n) => n.endsWith('.pem') || n.endsWith('.crl')).sort();
      for (const name of names) {
        const info = await stat(join(folder, name)).catch(() => undefined);
        parts.push(`${tenant.name}/${prefix}${name}:${info?.size}:${info?.mtimeMs}:${info?.ino}`);
      }
    }
  }
  return { signature: parts.join('\n'), folders };
}
