import type { Worker } from 'node:worker_threads';
import { RegistryUnavailable } from '../errors.ts';
import { startWorker } from '../lib/start-worker.ts';

type Reply = { id: number; rows?: unknown[]; error?: string };

/**
 * Long reads of a SQLite registry (counts over every gateway) on a thread of their own, with a
 * read-only connection: better-sqlite3 is synchronous, and on the event loop such a read would
 * hold up every gateway's answer while it runs. The thread starts with the first read.
 */
export class SqliteReadThread {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (rows: unknown[]) => void; reject: (error: Error) => void }>();

  constructor(private readonly file: string) {}

  all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<T[]>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (rows: unknown[]) => void, reject });
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage({ id, sql, params });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker('sqlite-read-worker', import.meta.url, { file: this.file });
    const settle = (reply: Reply) => {
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if (reply.error !== undefined)
        waiting.reject(new RegistryUnavailable(`the SQLite registry ${this.file} cannot be read: ${reply.error}`));
      else waiting.resolve(reply.rows!);
    };
    worker.on('message', settle);
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      for (const id of [...this.waiting.keys()]) settle({ id, error: 'its reading thread ended' });
    });
    // A thread that failed (the file is gone, say) fails what waits on it; the next read starts another.
    worker.on('error', (error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const id of [...this.waiting.keys()]) settle({ id, error: error.message });
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
