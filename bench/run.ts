import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ATTACK_TARGETS, benchAttack } from './attack.ts';
import { benchChainVerify, IN_FLIGHT } from './chain-verify.ts';
import { benchCheckCosts } from './check-costs.ts';
import { benchFirmwareMemory } from './firmware-memory.ts';
import { benchHttp } from './http.ts';
import { MACHINE } from './machine.ts';
import { benchPkiIssue } from './pki-issue.ts';
import { benchScale, SCALE_LIMITS } from './scale.ts';

/** `npm run bench [-- http chain scale firmware pki attack]`: ratios against baselines measured in the same run. */
console.log(`machine: ${MACHINE}\n`);
const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.includes(name);
const verdict = (met: boolean | undefined) => (met === undefined ? '' : met ? 'met' : 'MISSED');

const http = wanted('http') ? await benchHttp() : [];
const chain = wanted('chain') ? await benchChainVerify() : [];
const costs = wanted('chain') ? benchCheckCosts() : [];
const scale = wanted('scale') ? await benchScale((line) => console.log(line)) : undefined;
const memory = wanted('firmware') ? await benchFirmwareMemory() : undefined;
const pki = wanted('pki') ? benchPkiIssue() : [];
const attack = wanted('attack') ? await benchAttack() : undefined;

const lines: string[] = [];
if (http.length) {
  lines.push('| HTTP | req/s | p50 ms | p99 ms | ratio | target | |', '|---|---|---|---|---|---|---|');
  for (const f of http) {
    lines.push(
      `| ${f.name} | ${f.rps.toFixed(0)} | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} | ${f.ratio ? `${f.ratio.toFixed(2)}× ${f.baseline}` : ''} | ${f.target ? `≥ ${f.target}×` : ''} | ${verdict(f.met)} |`,
    );
  }
  lines.push('');
}
if (chain.length) {
  lines.push(`| chain verification, every cache off, ${IN_FLIGHT} in flight | verifications/s | target | |`, '|---|---|---|---|');
  for (const f of chain) lines.push(`| ${f.name} | ${f.perSecond.toFixed(0)} | ${f.target ? `≥ ${f.target}/s` : ''} | ${verdict(f.met)} |`);
  lines.push('');
}
if (costs.length) {
  lines.push(
    '| one signature check, by issuer key | measured µs | counted µs (path-building budget) | target | |',
    '|---|---|---|---|---|',
  );
  for (const c of costs)
    lines.push(`| ${c.name} | ${c.measuredUs.toFixed(0)} | ${c.countedUs.toFixed(0)} | counted ≥ half the measured | ${verdict(c.met)} |`);
  lines.push('');
}
if (scale) {
  lines.push(
    '| scale: 1,000 tenants, 1,000,000 gateways vs 1 tenant | 1 tenant req/s | 1,000 tenants req/s | ratio | target | |',
    '|---|---|---|---|---|---|',
  );
  for (const r of scale.rows)
    lines.push(
      `| ${r.name} | ${r.small.rps.toFixed(0)} | ${r.large.rps.toFixed(0)} | ${r.ratio.toFixed(2)}× | ≥ ${SCALE_LIMITS.ratio}× | ${verdict(r.met)} |`,
    );
  lines.push(
    `| server peak RSS, 1,000,000 gateways | | ${scale.peakRssMb.toFixed(0)} MB | | ≤ ${SCALE_LIMITS.rssMb} MB | ${verdict(scale.peakRssMb <= SCALE_LIMITS.rssMb)} |`,
  );
  lines.push(
    `| start-up to listening, 1,000,000 gateways | | ${scale.startupSeconds.toFixed(2)} s | | ≤ ${SCALE_LIMITS.startupSeconds} s | ${verdict(scale.startupSeconds <= SCALE_LIMITS.startupSeconds)} |`,
  );
  lines.push(`| CPU while idle, 1,000 tenant folders watched | | ${(scale.idleCpuShare * 100).toFixed(1)} % of a core | | | |`, '');
}
if (memory) {
  lines.push('| firmware | server RSS idle | server peak RSS | limit | |', '|---|---|---|---|---|');
  lines.push(
    `| ${memory.name} | ${memory.idleMb.toFixed(0)} MB | ${memory.peakMb.toFixed(0)} MB | < ${memory.limitMb} MB | ${verdict(memory.met)} |`,
    '',
  );
}
if (pki.length) {
  lines.push('| fleet issuance | cups | openssl per gateway (scaled) | ratio | target | |', '|---|---|---|---|---|---|');
  for (const r of pki) {
    lines.push(
      `| ${r.name} | ${r.cupsSeconds.toFixed(1)} s${r.gateways === 10_000 ? '' : ` (from ${r.gateways})`} | ${r.opensslSeconds.toFixed(1)} s (from ${r.opensslSample}) | ${r.ratio.toFixed(1)}× | ≥ ${r.target}× | ${verdict(r.met)} |`,
    );
  }
}
if (attack) {
  lines.push(
    '',
    '| under attack: look-alike P-521 chains from one address at its limit | p50 ms | p99 ms | target | |',
    '|---|---|---|---|---|',
  );
  lines.push(`| a cached gateway, quiet | ${attack.quiet.p50.toFixed(1)} | ${attack.quiet.p99.toFixed(1)} | | |`);
  lines.push(
    `| a cached gateway, during ${attack.attackRequests} attack requests | ${attack.underAttack.p50.toFixed(1)} | ${attack.underAttack.p99.toFixed(1)} | p50 < ${ATTACK_TARGETS.p50Ms} ms | ${verdict(attack.underAttack.p50 < ATTACK_TARGETS.p50Ms)} |`,
  );
  lines.push(`| a new gateway from another address, during the attack | ${attack.newGatewayMs.toFixed(1)} (its first answer, 200) | | | |`);
  const growth = attack.afterUntrustedRssMb - attack.idleRssMb;
  lines.push(
    '',
    '| memory: 10,000 distinct untrusted certificates | idle RSS | RSS after | growth | target | |',
    '|---|---|---|---|---|---|',
  );
  lines.push(
    `| server | ${attack.idleRssMb.toFixed(0)} MB | ${attack.afterUntrustedRssMb.toFixed(0)} MB | ${growth.toFixed(0)} MB | ≤ ${ATTACK_TARGETS.rssGrowthMb} MB | ${verdict(growth <= ATTACK_TARGETS.rssGrowthMb)} |`,
  );
}
console.log(lines.join('\n'));
const missed =
  [...http, ...chain, ...costs].some((f) => f.met === false) ||
  pki.some((r) => !r.met) ||
  (memory && !memory.met) ||
  (scale && !scale.met) ||
  (attack && !attack.met);
if (missed) console.log('\nSome targets were MISSED: see the rows above.');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/latest.json', import.meta.url),
  JSON.stringify({ machine: MACHINE, date: new Date().toISOString(), http, chain, costs, scale, memory, pki, attack }, null, 2),
);
writeFileSync(new URL('./results/latest.md', import.meta.url), `${lines.join('\n')}\n\nMachine: ${MACHINE}\n`);
// A whole run is the performance page: its tables are this run's, never typed by hand.
if (only.length === 0) {
  const method = readFileSync(new URL('./method.md', import.meta.url), 'utf8');
  const page = [
    '# Performance',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, on ${MACHINE}, loopback. ${missed ? 'Some targets were MISSED: see the rows marked so.' : 'Every target met.'}`,
    '',
    ...lines,
    '',
    method,
  ];
  writeFileSync(new URL('../docs/performance.md', import.meta.url), page.join('\n'));
}
if (missed) process.exitCode = 1;
