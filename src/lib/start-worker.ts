import { Worker } from 'node:worker_threads';

/**
 * A worker thread running the module `name` beside `from` (an import.meta.url): the built `.js`
 * when `from` is built JavaScript, the `.ts` source otherwise, with tsx registered in the thread
 * first (tests and development run the sources).
 */
export function startWorker(name: string, from: string, workerData: unknown): Worker {
  const typescript = from.endsWith('.ts');
  const module = new URL(`./${name}${typescript ? '.ts' : '.js'}`, from);
  if (!typescript) return new Worker(module, { workerData });
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}
