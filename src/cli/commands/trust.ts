import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { pemBlocks } from '../../../protocol/lib/der.ts';
import { SERVE_DEFAULTS } from '../../config/serve-options.ts';
import { CnNotEui } from '../../errors.ts';
import { loadTrustStore } from '../../trust/trust-store.ts';
import { certificateEui, scopeAllows, verifyClientChain } from '../../trust/verify-chain.ts';
import { CliError } from '../fail.ts';
import { printTable, tenantOf } from './gateway.ts';

function certificatesIn(file: string): Buffer[] {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (error) {
    throw new CliError('file_unreadable', `cannot read ${file}: ${(error as Error).message}`);
  }
  const blocks = text.includes('-----BEGIN') ? pemBlocks(text).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der) : [Buffer.from(text, 'latin1')];
  if (blocks.length === 0) throw new CliError('no_certificate', `${file} holds no CERTIFICATE block`);
  return blocks;
}

export function registerTrust(program: Command): void {
  program
    .command('ca')
    .description('inspect the trust store')
    .command('list')
    .description('show what the trust store holds: tenant, subject, notAfter, fingerprint')
    .option('--tenants <dir>', 'trust store folder', SERVE_DEFAULTS.tenants)
    .action(async (flags: { tenants: string }) => {
      const store = await loadTrustStore(resolve(flags.tenants)).catch((error: Error) => {
        throw new CliError('tenants_unreadable', `cannot read the trust store ${flags.tenants}: ${error.message}`);
      });
      const rows = store.certificates.flatMap((cert) =>
        [...cert.tenants].map((tenant) => [tenant, cert.subjectText, cert.anchor ? 'root' : 'intermediate', cert.notAfter.toISOString(), cert.fingerprint]),
      );
      printTable(['TENANT', 'SUBJECT', 'KIND', 'NOT AFTER', 'SHA-256'], rows.sort((a, b) => a[0]!.localeCompare(b[0]!)));
      for (const problem of store.problems) process.stderr.write(`skipped ${problem.file}: ${problem.reason}\n`);
    });

  program
    .command('verify')
    .description("run the server's certificate checks on a gateway certificate and say which one fails")
    .argument('<cert>', 'the gateway certificate (PEM or DER); further PEM blocks count as its chain')
    .requiredOption('--tenant <id>', 'the tenant the gateway belongs to')
    .option('--tenants <dir>', 'trust store folder', SERVE_DEFAULTS.tenants)
    .option('--chain <file>', 'intermediates the gateway presents (PEM)')
    .action(async (file: string, flags: { tenant: string; tenants: string; chain?: string }) => {
      tenantOf(flags.tenant);
      const [leaf, ...presented] = certificatesIn(file);
      const chain = [...presented, ...(flags.chain ? certificatesIn(flags.chain) : [])];
      const store = await loadTrustStore(resolve(flags.tenants));
      const verified = await verifyClientChain(leaf!, chain, store);
      const eui = certificateEui(verified.leaf);
      if (!eui) {
        throw new CnNotEui(`the certificate's CN must be exactly one value of 16 hex digits, got ${JSON.stringify(verified.leaf.commonNames)}`);
      }
      if (!scopeAllows(verified.scope, flags.tenant)) {
        throw new CliError('tenant_mismatch', `the chain's CAs are trusted for ${[...(verified.scope as Set<string>)].join(', ')}, not for tenant ${flags.tenant}`);
      }
      process.stdout.write(`OK: ${eui} for tenant ${flags.tenant}\n`);
      for (const cert of verified.path) process.stdout.write(`  ${cert.subjectText}  (until ${cert.notAfter.toISOString()})\n`);
    });
}
