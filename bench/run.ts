import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { benchFirmwareMemory } from './firmware-memory.ts';
import { benchPkiIssue } from './pki-issue.ts';

/** `npm run bench`: every benchmark, ratios against a baseline measured in the same run. */
const machine = `${availableParallelism()} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
console.log(`machine: ${machine}\n`);

const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.includes(name);

const memory = wanted('firmware') ? await benchFirmwareMemory() : undefined;
const pki = wanted('pki') ? benchPkiIssue() : [];
const lines = [
  '| benchmark | cups | openssl per gateway (scaled) | ratio | target | |',
  '|---|---|---|---|---|---|',
  ...pki.map(
    (r) =>
      `| ${r.name} | ${r.cupsSeconds.toFixed(1)} s${r.gateways === 10_000 ? '' : ` (from ${r.gateways})`} | ${r.opensslSeconds.toFixed(1)} s (from ${r.opensslSample}) | ${r.ratio.toFixed(1)}× | ≥ ${r.target}× | ${r.met ? 'met' : 'MISSED'} |`,
  ),
];
if (memory) {
  lines.push('', '| benchmark | server RSS idle | server peak RSS | limit | |', '|---|---|---|---|---|');
  lines.push(`| ${memory.name} | ${memory.idleMb.toFixed(0)} MB | ${memory.peakMb.toFixed(0)} MB | < ${memory.limitMb} MB | ${memory.met ? 'met' : 'MISSED'} |`);
}
console.log(lines.join('\n'));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify({ machine, date: new Date().toISOString(), pki, memory }, null, 2));
writeFileSync(new URL('./results/latest.md', import.meta.url), `${lines.join('\n')}\n\nMachine: ${machine}\n`);
if (pki.some((r) => !r.met) || (memory && !memory.met)) process.exitCode = 1;
