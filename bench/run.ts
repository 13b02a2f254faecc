import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { benchPkiIssue } from './pki-issue.ts';

/** `npm run bench`: every benchmark, ratios against a baseline measured in the same run. */
const machine = `${availableParallelism()} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
console.log(`machine: ${machine}\n`);

const pki = benchPkiIssue();
const lines = [
  '| benchmark | cups | openssl per gateway (scaled) | ratio | target | |',
  '|---|---|---|---|---|---|',
  ...pki.map(
    (r) =>
      `| ${r.name} | ${r.cupsSeconds.toFixed(1)} s${r.gateways === 10_000 ? '' : ` (from ${r.gateways})`} | ${r.opensslSeconds.toFixed(1)} s (from ${r.opensslSample}) | ${r.ratio.toFixed(1)}× | ≥ ${r.target}× | ${r.met ? 'met' : 'MISSED'} |`,
  ),
];
console.log(lines.join('\n'));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify({ machine, date: new Date().toISOString(), pki }, null, 2));
writeFileSync(new URL('./results/latest.md', import.meta.url), `${lines.join('\n')}\n\nMachine: ${machine}\n`);
if (pki.some((r) => !r.met)) process.exitCode = 1;
