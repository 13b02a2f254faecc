import { parentPort, workerData } from 'node:worker_threads';
import { issueIntoFolder, type StationFiles } from './issue-one.ts';
import type { KeyType } from './keys.ts';
import { loadIssuer } from './load-issuer.ts';

/** One worker's share of a fleet: issues its EUIs, reporting progress, then the results. */
export interface IssueJob {
  issuerCertPem: string;
  issuerKeyPem: string;
  dir: string;
  euis: string[];
  keyType: KeyType;
  days: number;
  files: StationFiles;
}

const job = workerData as IssueJob;
const issuer = await loadIssuer(job.issuerCertPem, job.issuerKeyPem);
const results = [];
for (const [index, eui] of job.euis.entries()) {
  results.push(await issueIntoFolder(issuer, job.dir, eui, job));
  if ((index + 1) % 20 === 0) parentPort!.postMessage({ progress: 20 });
}
parentPort!.postMessage({ progress: job.euis.length % 20, results });
