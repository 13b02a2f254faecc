import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { SERVE_DEFAULTS } from '../../config/serve-options.ts';
import { InvalidImportRow } from '../../errors.ts';
import { cupsCertificateCheck } from '../../provisioning/check-cups-certificate.ts';
import { formatOf, formatRecords, gatewayToRecord, parseRecords } from '../../provisioning/gateway-records.ts';
import { importGateways, recordsToGateways } from '../../provisioning/import-gateways.ts';
import { type CliIo, printing } from '../output.ts';
import { progressBar } from '../progress.ts';
import { auditByCli, dbOption, type RegistryFlags, secretKeyFileOption, withRegistry } from '../registry-flags.ts';

const formatOption = () => new Option('--format <format>', 'csv or jsonl (default: from the file name)').choices(['csv', 'jsonl']);

export function registerGatewayBulk(gateway: Command, io: CliIo): void {
  gateway
    .command('import')
    .description('register a fleet from CSV or JSON lines, all or nothing, in one transaction')
    .argument('<file>', 'columns: eui, tenant, name, lns_uri, lns_trust, lns_cert, lns_key, lns_token, cups_*, pinned_sha256 (PEM inline)')
    .addOption(formatOption())
    .option('--tenants <dir>', 'the trust store, to check cups_cert against', SERVE_DEFAULTS.tenants)
    .addOption(dbOption())
    .addOption(secretKeyFileOption())
    .action(
      printing(io, async (file: string, flags: RegistryFlags & { format?: string; tenants: string }) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          throw new InvalidImportRow(`cannot read ${file}: ${(error as Error).message}`);
        }
        const records = parseRecords(text, formatOf(file, flags.format));
        const checking = progressBar(io, 'checking', records.length);
        const gateways = await recordsToGateways(records, cupsCertificateCheck(resolve(flags.tenants)), {
          onProgress: (checked) => checking.update(checked),
        }).finally(() => checking.stop());
        await withRegistry(io, flags, 'write', async (registry) => {
          const writing = progressBar(io, 'writing', gateways.length);
          try {
            await importGateways(registry, records, gateways, (written) => writing.update(written));
          } finally {
            writing.stop();
          }
          await auditByCli(registry, {
            action: 'gateway.import',
            detail: { file, gateways: gateways.length, tenants: [...new Set(gateways.map((g) => g.tenant))] },
          });
        });
        return { lines: [`imported ${gateways.length} gateways from ${file}`] };
      }),
    );

  gateway
    .command('export')
    .description('write every gateway in the import format; private keys and tokens only with --with-secrets')
    .option('--out <file>', 'write here instead of standard output')
    .option('--tenant <id>', 'only this tenant')
    .option('--with-secrets', 'include private keys and tokens in clear', false)
    .addOption(formatOption().default('csv'))
    .addOption(dbOption())
    .addOption(secretKeyFileOption())
    .action(
      printing(io, async (flags: RegistryFlags & { out?: string; tenant?: string; withSecrets: boolean; format: 'csv' | 'jsonl' }) => {
        const gateways = await withRegistry(io, flags, 'read', (registry) => registry.list(flags.tenant ? { tenant: flags.tenant } : {}));
        const output = formatRecords(
          gateways.map((g) => gatewayToRecord(g, flags.withSecrets)),
          flags.format,
        );
        if (!flags.out) return { bytes: Buffer.from(output) };
        replaceFile(flags.out, output, flags.withSecrets ? 0o600 : 0o644);
        return undefined;
      }),
    );
}

/**
 * Writes a new file with exactly `mode` and moves it over `path`: an existing file's mode (say,
 * 0644) never carries over to secrets, and a failed write leaves the old file whole.
 */
function replaceFile(path: string, content: string, mode: number): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, content, { mode, flag: 'wx' });
    chmodSync(temporary, mode);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
