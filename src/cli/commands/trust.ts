import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { pemBlocks } from '../../../protocol/lib/der.ts';
import { SERVE_DEFAULTS } from '../../config/serve-options.ts';
import { CnNotEui, Failure } from '../../errors.ts';
import { addTenantCas, CaRefused } from '../../trust/add-tenant-cas.ts';
import { removeTenantCa } from '../../trust/remove-tenant-ca.ts';
import { isTenantId, loadTrustStore, TENANT_ID_RULE } from '../../trust/trust-store.ts';
import { certificateEui, scopeAllows, verifyClientChain } from '../../trust/verify-chain.ts';
import { type CliIo, printing, printOutput } from '../output.ts';
import { auditFolderChange, dbOption, type RegistryFlags, secretKeyFileOption } from '../registry-flags.ts';
import { tenantOf } from './gateway.ts';

function certificatesIn(file: string): Buffer[] {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (error) {
    throw new Failure('file_unreadable', `cannot read ${file}: ${(error as Error).message}`);
  }
  const blocks = text.includes('-----BEGIN')
    ? pemBlocks(text)
        .filter((b) => b.label === 'CERTIFICATE')
        .map((b) => b.der)
    : [Buffer.from(text, 'latin1')];
  if (blocks.length === 0) throw new Failure('no_certificate', `${file} holds no CERTIFICATE block`);
  return blocks;
}

function tenantFolderOf(tenant: string): string {
  if (!isTenantId(tenant)) throw new Failure('invalid_tenant', `--tenant "${tenant}" is not a tenant id (${TENANT_ID_RULE})`);
  return tenant;
}

/** A CA refusal as the CLI reports it, with what was (not) done. */
const refusedCa =
  (outcome: string) =>
  (error: unknown): never => {
    if (error instanceof CaRefused) throw new Failure('ca_refused', `${error.message}; ${outcome}`);
    throw error;
  };

export function registerTrust(program: Command, io: CliIo): void {
  const ca = program.command('ca').description('the trust store: the CAs each tenant (or common, every tenant) trusts');
  ca.command('list')
    .description('show what the trust store holds: tenant, subject, notAfter, fingerprint')
    .option('--tenants <dir>', 'trust store folder', SERVE_DEFAULTS.tenants)
    .action(
      printing(io, async (flags: { tenants: string }) => {
        const store = await loadTrustStore(resolve(flags.tenants)).catch((error: Error) => {
          throw new Failure('tenants_unreadable', `cannot read the trust store ${flags.tenants}: ${error.message}`);
        });
        const rows = store.certificates.flatMap((cert) =>
          [...cert.tenants].map((tenant) => [
            tenant,
            cert.subjectText,
            cert.anchor ? 'root' : 'intermediate',
            cert.notAfter.toISOString(),
            cert.fingerprint,
          ]),
        );
        return {
          tables: [
            { header: ['TENANT', 'SUBJECT', 'KIND', 'NOT AFTER', 'SHA-256'], rows: rows.sort((a, b) => a[0]!.localeCompare(b[0]!)) },
          ],
          notices: store.problems.map((problem) => `skipped ${problem.file}: ${problem.reason}`),
        };
      }),
    );

  ca.command('add')
    .description("trust a vendor's CAs for a tenant: the root and every intermediate, each checked as the server loads it")
    .requiredOption('--tenant <id>', 'the tenant, or common for every tenant')
    .option('--tenants <dir>', 'trust store folder', SERVE_DEFAULTS.tenants)
    .option('--bootstrap', "a vendor's factory CA: its certificates only enrol, getting an operational one from the tenant's issuer")
    .addOption(dbOption())
    .addOption(secretKeyFileOption())
    .argument('<source...>', 'PEM files or folders (a cups pki init-ca folder); keys in them are passed over')
    .action(
      printing(io, async (sources: string[], flags: RegistryFlags & { tenant: string; tenants: string; bootstrap?: boolean }) => {
        const added = await addTenantCas(resolve(flags.tenants), tenantFolderOf(flags.tenant), sources, {
          bootstrap: !!flags.bootstrap,
        }).catch(refusedCa('nothing was added'));
        const lines = added.map(({ facts, file }) => {
          const kind = facts.selfSigned ? 'root' : 'intermediate';
          return `${file ? 'added' : 'already trusted'}: ${facts.subjectText} (${kind}, until ${facts.notAfter.toISOString()})${file ? ` as ${file}` : ''}`;
        });
        const written = added.filter((a) => a.file);
        const unaudited = written.length
          ? await auditFolderChange(io, flags, {
              action: 'ca.add',
              tenant: flags.tenant,
              detail: {
                folder: true,
                bootstrap: !!flags.bootstrap,
                added: written.map((a) => ({ sha256: a.facts.fingerprint, subject: a.facts.subjectText })),
              },
            })
          : undefined;
        return { lines: [...lines, 'a running cups serve uses them within 2 s', ...(unaudited ? [unaudited] : [])] };
      }),
    );

  ca.command('remove')
    .description('stop trusting a CA for a tenant (cups ca list shows the SHA-256 fingerprints)')
    .requiredOption('--tenant <id>', 'the tenant, or common')
    .option('--tenants <dir>', 'trust store folder', SERVE_DEFAULTS.tenants)
    .option('--sha256 <hex>', 'the SHA-256 fingerprint of the CA certificate')
    .addOption(dbOption())
    .addOption(secretKeyFileOption())
    .argument('[files...]', 'or the CA certificates themselves (PEM)')
    .action(
      printing(io, async (files: string[], flags: RegistryFlags & { tenant: string; tenants: string; sha256?: string }) => {
        const fingerprints = [
          ...(flags.sha256 ? [flags.sha256] : []),
          ...files.flatMap(certificatesIn).map((der) => createHash('sha256').update(der).digest('hex')),
        ];
        if (fingerprints.length === 0) throw new Failure('nothing_to_remove', 'give --sha256 HEX or the CA files to remove');
        const tenant = tenantFolderOf(flags.tenant);
        const lines: string[] = [];
        for (const fingerprint of fingerprints) {
          let changed: string[];
          try {
            changed = removeTenantCa(resolve(flags.tenants), tenant, fingerprint);
          } catch (error) {
            // What was removed before the refusal is said, then the refusal.
            printOutput(io, { lines });
            return refusedCa('nothing more was removed')(error);
          }
          lines.push(`removed ${fingerprint} from ${changed.join(', ')}`);
          const unaudited = await auditFolderChange(io, flags, {
            action: 'ca.remove',
            tenant,
            detail: { folder: true, sha256: fingerprint },
          });
          if (unaudited) lines.push(unaudited);
        }
        return { lines: [...lines, 'a running cups serve stops trusting it within 2 s'] };
      }),
    );

  program
    .command('verify')
    .description("run the server's certificate checks on a gateway certificate and say which one fails")
    .argument('<cert>', 'the gateway certificate (PEM or DER); further PEM blocks count as its chain')
    .requiredOption('--tenant <id>', 'the tenant the gateway belongs to')
    .option('--tenants <dir>', 'trust store folder', SERVE_DEFAULTS.tenants)
    .option('--chain <file>', 'intermediates the gateway presents (PEM)')
    .action(
      printing(io, async (file: string, flags: { tenant: string; tenants: string; chain?: string }) => {
        tenantOf(flags.tenant);
        const [leaf, ...presented] = certificatesIn(file);
        const chain = [...presented, ...(flags.chain ? certificatesIn(flags.chain) : [])];
        const store = await loadTrustStore(resolve(flags.tenants));
        const verified = await verifyClientChain(leaf!, chain, store);
        const eui = certificateEui(verified.leaf);
        if (!eui) {
          throw new CnNotEui(
            `the certificate's CN must be exactly one value of 16 hex digits, got ${JSON.stringify(verified.leaf.commonNames)}`,
          );
        }
        if (!scopeAllows(verified.scope, flags.tenant)) {
          throw new Failure(
            'tenant_mismatch',
            `the chain's CAs are trusted for ${[...(verified.scope as Set<string>)].join(', ')}, not for tenant ${flags.tenant}`,
          );
        }
        return {
          lines: [
            `OK: ${eui} for tenant ${flags.tenant}`,
            ...verified.path.map((cert) => `  ${cert.subjectText}  (until ${cert.notAfter.toISOString()})`),
          ],
        };
      }),
    );
}
