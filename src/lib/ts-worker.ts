import { Worker } from 'node:worker_threads';

/** A worker thread running a TypeScript module: the thread registers tsx before importing it. */
export function startTsWorker(module: URL, workerData: unknown): Worker {
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}
