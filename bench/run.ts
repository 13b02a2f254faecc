import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { benchAttack } from './attack.ts';
import { benchChainVerify } from './chain-verify.ts';
import { benchCheckCosts } from './check-costs.ts';
import { benchFirmwareMemory } from './firmware-memory.ts';
import { benchHttp } from './http.ts';
import { MACHINE } from './machine.ts';
import { benchPkiIssue } from './pki-issue.ts';
import { renderResults } from './render-results.ts';
import { benchScale } from './scale.ts';
import { benchStorm } from './storm.ts';

/** `npm run bench [-- http storm chain scale firmware pki attack]`: ratios against baselines measured in the same run. */
console.log(`machine: ${MACHINE}\n`);
const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.includes(name);

const http = wanted('http') ? await benchHttp() : [];
const storm = wanted('storm') ? await benchStorm((line) => console.log(line)) : [];
const chain = wanted('chain') ? await benchChainVerify() : [];
const costs = wanted('chain') ? benchCheckCosts() : [];
const scale = wanted('scale') ? await benchScale((line) => console.log(line)) : undefined;
const memory = wanted('firmware') ? await benchFirmwareMemory() : [];
const pki = wanted('pki') ? benchPkiIssue() : [];
const attack = wanted('attack') ? await benchAttack() : undefined;

const results = { machine: MACHINE, date: new Date().toISOString(), http, storm, chain, costs, scale, memory, pki, attack };
export type BenchResults = typeof results;
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const latest = new URL('./results/latest.json', import.meta.url);
writeFileSync(latest, JSON.stringify(results, null, 2));
// The tables are read back from the file: the page says what latest.json holds, nothing else.
const written = JSON.parse(readFileSync(latest, 'utf8')) as BenchResults;
const lines = renderResults(written);
console.log(lines.join('\n'));
const missed =
  [...http, ...storm, ...chain, ...costs].some((f) => f.met === false) ||
  pki.some((r) => !r.met) ||
  memory.some((run) => !run.met) ||
  (scale && !scale.met) ||
  (attack && !attack.met);
if (missed) console.log('\nSome targets were MISSED: see the rows above.');
writeFileSync(new URL('./results/latest.md', import.meta.url), `${lines.join('\n')}\n\nMachine: ${written.machine}\n`);
// A whole run is the performance page: its tables are this run's, never typed by hand.
if (only.length === 0) {
  const method = readFileSync(new URL('./method.md', import.meta.url), 'utf8');
  const page = [
    '# Performance',
    '',
    `Written by \`npm run bench\` from \`bench/results/latest.json\` of ${written.date.slice(0, 10)}, on ${written.machine}, loopback. ` +
      (missed ? 'Some targets were MISSED: see the rows marked so.' : 'Every target met.'),
    '',
    ...lines,
    '',
    method,
  ];
  writeFileSync(new URL('../docs/performance.md', import.meta.url), page.join('\n'));
}
if (missed) process.exitCode = 1;
