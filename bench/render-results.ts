import { ATTACK_TARGETS } from './attack.ts';
import { IN_FLIGHT } from './chain-verify.ts';
import { head, row } from './markdown.ts';
import type { BenchResults } from './run.ts';
import { SCALE_LIMITS } from './scale.ts';
import { STORM_TARGET } from './storm.ts';

const verdict = (met: boolean | undefined) => (met === undefined ? '' : met ? 'met' : 'MISSED');

/** A ratio to two decimals; to three where two would read as the target itself (1.302 is over 1.3). */
const ratioText = (ratio: number, target?: number) => {
  const two = ratio.toFixed(2);
  return target !== undefined && Number(two) === target ? ratio.toFixed(3) : two;
};

/** The tables of a bench run, from its results as `bench/results/latest.json` keeps them. */
export function renderResults({ http, storm, chain, costs, scale, memory, pki, attack }: BenchResults): string[] {
  const fixed = (n: number, digits = 0) => n.toFixed(digits);

  const lines: string[] = [];
  if (http.length) {
    lines.push(...head('HTTP', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'ratio', 'target', ''));
    for (const f of http) {
      const ratio = f.ratio ? `${ratioText(f.ratio, f.target)}× ${f.baseline}` : '';
      const cpu = f.cpuUs === undefined ? '' : fixed(f.cpuUs, 1);
      lines.push(row(f.name, fixed(f.rps), fixed(f.p50, 1), fixed(f.p99, 1), cpu, ratio, f.target ? `≥ ${f.target}×` : '', verdict(f.met)));
    }
    lines.push('');
  }
  if (storm.length) {
    lines.push(
      ...head('reconnect storm: time until every gateway has its answer', 'floor', 'floor s', 'ours s', 'ratio', 'not 200', 'target', ''),
    );
    for (const f of storm) {
      lines.push(
        row(
          f.name,
          f.floor,
          fixed(f.floorSeconds, 2),
          fixed(f.oursSeconds, 2),
          `${ratioText(f.ratio, STORM_TARGET)}×`,
          String(f.refused),
          `≤ ${STORM_TARGET}×, none`,
          verdict(f.met),
        ),
      );
    }
    lines.push('');
  }
  if (chain.length) {
    lines.push(...head(`chain verification, every cache off, ${IN_FLIGHT} in flight`, 'verifications/s', 'target', ''));
    for (const f of chain) lines.push(row(f.name, fixed(f.perSecond), f.target ? `≥ ${f.target}/s` : '', verdict(f.met)));
    lines.push('');
  }
  if (costs.length) {
    lines.push(...head('one signature check, by issuer key', 'measured µs', 'counted µs (path-building budget)', 'target', ''));
    for (const c of costs) lines.push(row(c.name, fixed(c.measuredUs), fixed(c.countedUs), 'counted ≥ half the measured', verdict(c.met)));
    lines.push('');
  }
  if (scale) {
    lines.push(
      ...head('scale: 1,000 tenants, 1,000,000 gateways vs 1 tenant', '1 tenant req/s', '1,000 tenants req/s', 'ratio', 'target', ''),
    );
    for (const r of scale.rows) {
      lines.push(
        row(
          r.name,
          fixed(r.small.rps),
          fixed(r.large.rps),
          `${ratioText(r.ratio, SCALE_LIMITS.ratio)}×`,
          `≥ ${SCALE_LIMITS.ratio}×`,
          verdict(r.met),
        ),
      );
    }
    const { rssMb, startupSeconds } = SCALE_LIMITS;
    lines.push(
      row(
        'server peak RSS, 1,000,000 gateways',
        '',
        `${fixed(scale.peakRssMb)} MB`,
        '',
        `≤ ${rssMb} MB`,
        verdict(scale.peakRssMb <= rssMb),
      ),
      row(
        'start-up to listening, 1,000,000 gateways',
        '',
        `${fixed(scale.startupSeconds, 2)} s`,
        '',
        `≤ ${startupSeconds} s`,
        verdict(scale.startupSeconds <= startupSeconds),
      ),
      row('CPU while idle, 1,000 tenant folders watched', '', `${fixed(scale.idleCpuShare * 100, 1)} % of a core`, '', '', ''),
      ...(['first', 'last'] as const).map((which) =>
        row(
          `admin API: the ${which} page of 100 of 1,000,000 gateways (p50, p99)`,
          '',
          `${fixed(scale.pages[which].p50, 1)} ms, ${fixed(scale.pages[which].p99, 1)} ms`,
          '',
          `p99 < ${SCALE_LIMITS.pageP99Ms} ms`,
          verdict(scale.pages[which].p99 < SCALE_LIMITS.pageP99Ms),
        ),
      ),
      row(
        'console: the gateways page, 50 of 1,000,000 (p50, p99)',
        '',
        `${fixed(scale.console.gatewaysPage.p50, 1)} ms, ${fixed(scale.console.gatewaysPage.p99, 1)} ms`,
        '',
        `p99 < ${SCALE_LIMITS.consolePageP99Ms} ms`,
        verdict(scale.console.gatewaysPage.p99 < SCALE_LIMITS.consolePageP99Ms),
      ),
      row('console: the overview, 1,000,000 gateways counted anew', '', `${fixed(scale.console.overviewCountMs, 0)} ms`, '', '', ''),
      '',
    );
  }
  if (memory?.length) {
    lines.push(...head('firmware', 'server RSS idle', 'server peak RSS', 'limit', ''));
    for (const run of memory)
      lines.push(row(run.name, `${fixed(run.idleMb)} MB`, `${fixed(run.peakMb)} MB`, `< ${run.limitMb} MB`, verdict(run.met)));
    lines.push('');
  }
  if (pki.length) {
    lines.push(...head('fleet issuance', 'cups', 'openssl per gateway (scaled)', 'ratio', 'target', ''));
    for (const r of pki) {
      const cups = `${fixed(r.cupsSeconds, 1)} s${r.gateways === 10_000 ? '' : ` (from ${r.gateways})`}`;
      const openssl = `${fixed(r.opensslSeconds, 1)} s (from ${r.opensslSample})`;
      lines.push(row(r.name, cups, openssl, `${fixed(r.ratio, 1)}×`, `≥ ${r.target}×`, verdict(r.met)));
    }
  }
  if (attack) {
    const { quiet, underAttack } = attack;
    lines.push('', ...head('under attack: look-alike P-521 chains from one address at its limit', 'p50 ms', 'p99 ms', 'target', ''));
    lines.push(
      row('a cached gateway, quiet', fixed(quiet.p50, 1), fixed(quiet.p99, 1), '', ''),
      row(
        `a cached gateway, during ${attack.attackRequests} attack requests`,
        fixed(underAttack.p50, 1),
        fixed(underAttack.p99, 1),
        `p50 < ${ATTACK_TARGETS.p50Ms} ms`,
        verdict(underAttack.p50 < ATTACK_TARGETS.p50Ms),
      ),
      row('a new gateway from another address, during the attack', `${fixed(attack.newGatewayMs, 1)} (its first answer, 200)`, '', '', ''),
    );
    const growth = attack.afterUntrustedRssMb - attack.idleRssMb;
    lines.push('', ...head('memory: 10,000 distinct untrusted certificates', 'idle RSS', 'RSS after', 'growth', 'target', ''));
    lines.push(
      row(
        'server',
        `${fixed(attack.idleRssMb)} MB`,
        `${fixed(attack.afterUntrustedRssMb)} MB`,
        `${fixed(growth)} MB`,
        `≤ ${ATTACK_TARGETS.rssGrowthMb} MB`,
        verdict(growth <= ATTACK_TARGETS.rssGrowthMb),
      ),
    );
  }
  return lines;
}
