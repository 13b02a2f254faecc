import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { certificateDer } from '../../../protocol/index.ts';
import { AdminTokens } from '../../admin/admin-tokens.ts';
import { TenantDirectory } from '../../admin/tenant-directory.ts';
import { parseDuration, SERVE_DEFAULTS } from '../../config/serve-options.ts';
import { CaRefused, CaUnreadable, InvalidOption, TokenNotFound } from '../../errors.ts';
import { issuerOf, readIssuingCa } from '../../pki/ca-folder.ts';
import { KEY_TYPES, type KeyType } from '../../pki/keys.ts';
import { issuerKeyOwner } from '../../registry/sealed-registry.ts';
import { TenantIssuers } from '../../renewal/tenant-issuers.ts';
import { parseCertificate } from '../../trust/certificate-facts.ts';
import { DatabaseTrust } from '../../trust/database-trust.ts';
import { COMMON_TENANT, loadTrustStore } from '../../trust/trust-store.ts';
import { type CliIo, printing } from '../output.ts';
import { readFlagFile } from '../read-input.ts';
import { auditByCli, dbOption, type RegistryFlags, secretKeyFileOption, withRegistry } from '../registry-flags.ts';

const withRegistryOptions = (command: Command) => command.addOption(dbOption()).addOption(secretKeyFileOption());

export function registerAdmin(program: Command, io: CliIo): void {
  const token = program
    .command('admin')
    .description('the admin API of cups serve (--admin-port)')
    .command('token')
    .description('bearer tokens for the admin API: an operator token reaches every tenant, a tenant token its own');

  withRegistryOptions(
    token
      .command('create')
      .description('make a token and print it once; only its SHA-256 is kept')
      .requiredOption('--name <name>', 'a name for it (who or what uses it)')
      .option('--operator', 'a token for every tenant')
      .option('--tenant <id>', 'a token for this tenant only'),
  ).action(
    printing(io, async (flags: RegistryFlags & { name: string; operator?: boolean; tenant?: string }) => {
      if (!!flags.operator === (flags.tenant !== undefined)) throw new InvalidOption('give --operator or --tenant <id>, one of them');
      const text = await withRegistry(io, flags, 'write', async (registry) => {
        if (flags.tenant !== undefined) await new TenantDirectory(registry.store.directSql).get(flags.tenant);
        const made = await new AdminTokens(registry.store.directSql).create(flags.name, flags.tenant ?? null);
        await auditByCli(registry, { action: 'token.create', tenant: flags.tenant ?? null, detail: { name: flags.name } });
        return made;
      });
      return { lines: [text], notices: [`token ${flags.name} made: it is shown this once; keep it where its user can read it`] };
    }),
  );

  withRegistryOptions(token.command('list').description('tokens by name, whom they speak for, and whether revoked')).action(
    printing(io, async (flags: RegistryFlags) => {
      const tokens = await withRegistry(io, flags, 'read', (registry) => new AdminTokens(registry.store.directSql).list());
      const rows = tokens.map((t) => [t.name, t.tenant ?? '(operator)', t.createdAt, t.revokedAt ?? '']);
      return { tables: [{ header: ['NAME', 'TENANT', 'CREATED', 'REVOKED'], rows }] };
    }),
  );

  withRegistryOptions(
    token.command('revoke').description('refuse a token from now on, on every instance').requiredOption('--name <name>', 'the token'),
  ).action(
    printing(io, async (flags: RegistryFlags & { name: string }) => {
      await withRegistry(io, flags, 'write', async (registry) => {
        if (!(await new AdminTokens(registry.store.directSql).revoke(flags.name)))
          throw new TokenNotFound(`no live token is named ${flags.name}`);
        await auditByCli(registry, { action: 'token.revoke', detail: { name: flags.name } });
      });
      return { lines: [`revoked ${flags.name}`] };
    }),
  );

  const tenant = program.command('tenant').description('tenants: each has its gateways and the CAs it trusts');
  withRegistryOptions(tenant.command('list').description('tenants and how many gateways each has')).action(
    printing(io, async (flags: RegistryFlags) => {
      const tenants = await withRegistry(io, flags, 'read', (registry) => new TenantDirectory(registry.store.directSql).list());
      return { tables: [{ header: ['TENANT', 'GATEWAYS', 'CREATED'], rows: tenants.map((t) => [t.id, String(t.gateways), t.createdAt]) }] };
    }),
  );
  withRegistryOptions(tenant.command('add').description('make a tenant').requiredOption('--tenant <id>', 'its id')).action(
    printing(io, async (flags: RegistryFlags & { tenant: string }) => {
      await withRegistry(io, flags, 'write', async (registry) => {
        await new TenantDirectory(registry.store.directSql).add(flags.tenant);
        await auditByCli(registry, { action: 'tenant.add', tenant: flags.tenant, detail: {} });
      });
      return { lines: [`added tenant ${flags.tenant}`] };
    }),
  );
  withRegistryOptions(
    tenant.command('remove').description('remove a tenant with no gateway left').requiredOption('--tenant <id>', 'its id'),
  ).action(
    printing(io, async (flags: RegistryFlags & { tenant: string }) => {
      await withRegistry(io, flags, 'write', async (registry) => {
        await new TenantDirectory(registry.store.directSql).remove(flags.tenant);
        await auditByCli(registry, { action: 'tenant.remove', tenant: flags.tenant, detail: {} });
      });
      return { lines: [`removed tenant ${flags.tenant}`] };
    }),
  );
  withRegistryOptions(
    tenant
      .command('update')
      .description("change a tenant's settings")
      .requiredOption('--tenant <id>', 'the tenant')
      .option('--allow-self-signed', 'accept its gateways registered with a self-signed certificate (--self-signed-cert)')
      .option('--no-allow-self-signed', 'accept none of them'),
  ).action(
    printing(io, async (flags: RegistryFlags & { tenant: string; allowSelfSigned?: boolean }) => {
      if (flags.allowSelfSigned === undefined) throw new InvalidOption('give --allow-self-signed or --no-allow-self-signed');
      await withRegistry(io, flags, 'write', async (registry) => {
        await new TenantDirectory(registry.store.directSql).setAllowSelfSigned(flags.tenant, flags.allowSelfSigned!);
        await auditByCli(registry, { action: 'tenant.update', tenant: flags.tenant, detail: { allowSelfSigned: flags.allowSelfSigned } });
      });
      return { lines: [`tenant ${flags.tenant}: self-signed gateway certificates ${flags.allowSelfSigned ? 'allowed' : 'refused'}`] };
    }),
  );
  withRegistryOptions(
    tenant
      .command('set-issuer')
      .description("renew the tenant's gateway certificates over CUPS with this CA (its key kept sealed under the master key)")
      .requiredOption('--tenant <id>', 'the tenant')
      .requiredOption('--ca <dir>', 'a "cups pki init-ca" folder: its issuing CA, which the tenant must trust')
      .requiredOption('--cups-trust <file>', "the CUPS server certificate's CA, as stations must hold it in cups.trust (PEM or DER)")
      .option('--renew-before <duration>', 'renew a certificate expiring within this', '30d')
      .option('--validity <days>', 'days each new certificate is valid (longer than --renew-before)', '365')
      .addOption(new Option('--key <type>', "the new keys' type (default: as the key of the certificate replaced)").choices([...KEY_TYPES]))
      .option('--revoke-old-after <duration>', 'refuse the old certificate this long after the gateway presents the new one')
      .option('--tenants <dir>', 'the trust store folder', SERVE_DEFAULTS.tenants),
  ).action(
    printing(
      io,
      async (
        flags: RegistryFlags & {
          tenant: string;
          ca: string;
          cupsTrust: string;
          renewBefore: string;
          validity: string;
          key?: KeyType;
          revokeOldAfter?: string;
          tenants: string;
        },
      ) => {
        const renewBeforeMs = parseDuration(flags.renewBefore, '--renew-before');
        const validityDays = Number(flags.validity);
        if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 3650 || validityDays * 86_400_000 <= renewBeforeMs)
          throw new InvalidOption(
            `--validity must be a whole number of days, at most 3650, and longer than --renew-before (${flags.renewBefore}): ` +
              'a shorter certificate would be renewed as soon as it is issued',
          );
        const revokeOldAfterMs = flags.revokeOldAfter === undefined ? null : parseDuration(flags.revokeOldAfter, '--revoke-old-after');
        const ca = readIssuingCa(flags.ca);
        const issuer = await issuerOf(ca).catch((error: Error) => {
          throw new CaUnreadable(`${flags.ca}: its issuing CA and key do not load (${error.message})`);
        });
        const cupsTrust = certificateDer(readFlagFile(flags.cupsTrust, '--cups-trust', InvalidOption), '--cups-trust');
        const { fingerprint, subjectText } = parseCertificate(issuer.der);
        await withRegistry(io, flags, 'write', async (registry) => {
          await new TenantDirectory(registry.store.directSql).require(flags.tenant);
          // The gateways' new certificates must verify: the CA is one the tenant trusts, from its folder or the API.
          const store = await loadTrustStore(resolve(flags.tenants)).catch(() => undefined);
          const inFolder = store?.certificates.some(
            (c) => c.fingerprint === fingerprint && (c.tenants.has(flags.tenant) || c.tenants.has(COMMON_TENANT)),
          );
          const inDatabase = (await new DatabaseTrust(registry.store.directSql).all()).some(
            (row) => row.sha256 === fingerprint && (row.tenant === flags.tenant || row.tenant === COMMON_TENANT),
          );
          if (!inFolder && !inDatabase)
            throw new CaRefused(
              `tenant ${flags.tenant} does not trust ${subjectText}: ` +
                `its gateways' new certificates would be refused; trust it first (npx cups ca add --tenant ${flags.tenant} ${flags.ca})`,
            );
          await new TenantIssuers(registry.store.sql).set({
            tenant: flags.tenant,
            caPem: ca.certPem,
            caKeySealed: registry.sealSecret(Buffer.from(ca.keyPem), issuerKeyOwner(flags.tenant)),
            cupsTrust,
            renewBeforeMs,
            validityDays,
            keyType: flags.key ?? null,
            revokeOldAfterMs,
          });
          await auditByCli(registry, {
            action: 'tenant.set-issuer',
            tenant: flags.tenant,
            detail: { issuer: fingerprint, renewBeforeMs, validityDays, revokeOldAfterMs },
          });
        });
        return {
          lines: [
            `tenant ${flags.tenant}: certificates expiring within ${flags.renewBefore} are renewed over CUPS by ${fingerprint.slice(0, 16)}…` +
              (revokeOldAfterMs === null ? '' : `; the old one is refused ${flags.revokeOldAfter} after the new one is presented`),
          ],
        };
      },
    ),
  );
}
