import { availableParallelism } from 'node:os';
import { startWorker } from '../lib/start-worker.ts';
import type { IssuingCa } from './ca-folder.ts';
import type { IssuedIntoFolder, StationFiles } from './issue-one.ts';
import type { IssueJob } from './issue-worker.ts';
import type { KeyType } from './keys.ts';

/**
 * Issues certificates for many gateways on every core: the EUIs are split between worker
 * threads, each writing station folders under `dir`. Results come back in EUI order.
 */
export async function issueFleet(
  ca: IssuingCa,
  dir: string,
  euis: string[],
  options: { keyType: KeyType; days: number; files: StationFiles; onProgress?: (done: number) => void },
): Promise<IssuedIntoFolder[]> {
  const workers = Math.max(1, Math.min(availableParallelism(), Math.ceil(euis.length / 25)));
  const share = Math.ceil(euis.length / workers);
  let done = 0;
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const job: IssueJob = {
        issuerCertPem: ca.certPem,
        issuerKeyPem: ca.keyPem,
        dir,
        euis: euis.slice(w * share, (w + 1) * share),
        keyType: options.keyType,
        days: options.days,
        files: options.files,
      };
      return new Promise<IssuedIntoFolder[]>((resolve, reject) => {
        const worker = startWorker('issue-worker', import.meta.url, job);
        worker.on('message', (message: { progress: number; results?: IssuedIntoFolder[] }) => {
          done += message.progress;
          options.onProgress?.(done);
          if (message.results) {
            resolve(message.results);
            void worker.terminate();
          }
        });
        worker.on('error', reject);
        worker.on('exit', (code) => code !== 0 && reject(new Error(`an issuing worker stopped with code ${code}`)));
      });
    }),
  );
  return parts.flat();
}
