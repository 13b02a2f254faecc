import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** A read-only connection of its own to the registry file, answering one query per message. */
const db = new Database((workerData as { file: string }).file, { readonly: true, fileMustExist: true });
parentPort!.on('message', ({ id, sql, params }: { id: number; sql: string; params: unknown[] }) => {
  try {
    parentPort!.postMessage({ id, rows: db.prepare(sql).all(...params) });
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message });
  }
});
