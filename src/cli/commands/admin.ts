import type { Command } from 'commander';
import { AdminTokens } from '../../admin/admin-tokens.ts';
import { TenantDirectory } from '../../admin/tenant-directory.ts';
import { InvalidOption, TokenNotFound } from '../../errors.ts';
import { type CliIo, printing } from '../output.ts';
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
}
