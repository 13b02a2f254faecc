import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Issuing a fleet with `cups pki issue` against the three openssl commands per gateway a vendor
 * runs today (key, CSR, signed certificate), timed on a sample in the same run and scaled.
 */
const CUPS = fileURLToPath(new URL('../bin/cups.js', import.meta.url));
const FLEET = 10_000;

export interface PkiBenchRow {
  name: string;
  gateways: number;
  cupsSeconds: number;
  opensslSeconds: number;
  opensslSample: number;
  ratio: number;
  target: number;
  met: boolean;
}

function seconds(work: () => void): number {
  const start = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function opensslPerGateway(ca: string, dir: string, key: 'ec' | 'rsa2048', count: number): number {
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  const genpkey =
    key === 'ec' ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  return seconds(() => {
    for (let i = 0; i < count; i++) {
      const eui = (0xb827eb0000000000n + BigInt(i)).toString(16).toUpperCase();
      run(['genpkey', ...genpkey, '-out', `${eui}.key`]);
      run(['req', '-new', '-key', `${eui}.key`, '-subj', `/CN=${eui}`, '-out', `${eui}.csr`]);
      run([
        'x509',
        '-req',
        '-in',
        `${eui}.csr`,
        '-CA',
        join(ca, 'intermediate.pem'),
        '-CAkey',
        join(ca, 'intermediate.key'),
        '-set_serial',
        `0x${(i + 1).toString(16)}`,
        '-days',
        '825',
        '-extfile',
        'client.ext',
        '-out',
        `${eui}.crt`,
      ]);
    }
  });
}

export function benchPkiIssue(): PkiBenchRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'cups-bench-pki-'));
  try {
    const ca = join(dir, 'ca');
    const cups = (...args: string[]) => {
      const result = spawnSync(process.execPath, [CUPS, ...args], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(result.stderr);
    };
    cups('pki', 'init-ca', '--out', ca, '--intermediate');
    const rows: PkiBenchRow[] = [];
    for (const [key, ours, sample, target] of [
      ['ec', FLEET, 100, 10],
      ['rsa2048', 1000, 20, 1.5],
    ] as const) {
      const out = join(dir, `out-${key}`);
      const cupsSeconds = seconds(() =>
        cups('pki', 'issue', '--ca', ca, '--out', out, '--eui-range', `B827EBFFFE000000:${ours}`, '--key', key),
      );
      const scratch = join(dir, `openssl-${key}`);
      mkdirSync(scratch);
      const opensslSeconds = opensslPerGateway(ca, scratch, key, sample);
      const cupsPer = cupsSeconds / ours;
      const opensslPer = opensslSeconds / sample;
      rows.push({
        name: `issue ${FLEET} gateways, ${key === 'ec' ? 'P-256' : 'RSA-2048'} keys`,
        gateways: ours,
        cupsSeconds: cupsPer * FLEET,
        opensslSeconds: opensslPer * FLEET,
        opensslSample: sample,
        ratio: opensslPer / cupsPer,
        target,
        met: opensslPer / cupsPer >= target,
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
