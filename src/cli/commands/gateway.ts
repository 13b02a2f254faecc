import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { certificateDer } from '../../../protocol/index.ts';
import { TenantDirectory } from '../../admin/tenant-directory.ts';
import { parseDuration, SERVE_DEFAULTS } from '../../config/serve-options.ts';
import { GatewayNotFound, InvalidGateway } from '../../errors.ts';
import { cupsCertificateCheck } from '../../provisioning/check-cups-certificate.ts';
import { auditView, describeGateway } from '../../provisioning/describe-response.ts';
import {
  checkEui,
  checkGatewayEdit,
  checkNewGateway,
  checkTenant,
  type FieldNames,
  type GatewayEdit,
  type GatewayInput,
} from '../../provisioning/gateway-input.ts';
import { revocationChange, revocationEntry } from '../../provisioning/revoke-certificate.ts';
import { selfSignedFingerprint } from '../../provisioning/self-signed.ts';
import type { SealedRegistry } from '../../registry/sealed-registry.ts';
import { type CliIo, type CommandOutput, printing } from '../output.ts';
import { readFlagFile } from '../read-input.ts';
import { auditByCli, dbOption, type RegistryFlags, secretKeyFileOption, withRegistry } from '../registry-flags.ts';
import { registerGatewayBulk } from './gateway-bulk.ts';

interface EndpointFlags {
  lnsUri?: string;
  lnsTrust?: string;
  lnsCert?: string;
  lnsKey?: string;
  lnsToken?: string;
  cupsUri?: string;
  cupsTrust?: string;
  cupsCert?: string;
  cupsKey?: string;
  cupsToken?: string;
}

interface GatewayFlags extends EndpointFlags, RegistryFlags {
  pinCert: string[];
  unpin?: boolean;
  firmwareChannel?: string;
  firmwarePin?: string;
  firmwareUnpin?: boolean;
  tenant?: string;
  tenants?: string;
  eui?: string;
  name?: string;
  json?: boolean;
}

function withEndpointOptions(command: Command): Command {
  for (const kind of ['lns', 'cups'] as const) {
    command
      .option(`--${kind}-uri <uri>`, kind === 'lns' ? 'LNS URI (ws:// or wss://)' : 'CUPS URI to hand over (http:// or https://)')
      .option(`--${kind}-trust <pem>`, `file: the ${kind.toUpperCase()} server's CA certificate (PEM or DER)`)
      .option(`--${kind}-cert <pem>`, `file: the gateway's ${kind.toUpperCase()} client certificate`)
      .option(`--${kind}-key <pem>`, `file: its private key`)
      .option(`--${kind}-token <value>`, `token sent as "Authorization: <value>" instead of a client certificate`);
  }
  return command;
}

function readFile(path: string | undefined, flag: string): Buffer | undefined {
  return path === undefined ? undefined : readFlagFile(path, flag, InvalidGateway);
}

/** The fields of a gateway as the flags name them. */
const FLAG_NAMES: FieldNames = (field) => (field === 'pins' ? '--pin-cert' : `--${field.replace('.', '-')}`);

/** An endpoint's flags, with the files they name read. */
function endpointFlags(kind: 'lns' | 'cups', flags: EndpointFlags): GatewayInput['lns'] {
  const get = (part: string) => flags[`${kind}${part}` as keyof EndpointFlags];
  const parts: GatewayInput['lns'] = {};
  const uri = get('Uri');
  if (uri !== undefined) parts.uri = uri;
  for (const part of ['trust', 'cert', 'key'] as const) {
    const file = readFile(get(part[0]!.toUpperCase() + part.slice(1)), `--${kind}-${part}`);
    if (file) parts[part] = file;
  }
  const token = get('Token');
  if (token !== undefined) parts.token = token;
  return parts;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** The SHA-256 fingerprint of a certificate file, as pins are stored. */
function pinOf(file: string): string {
  const der = certificateDer(readFile(file, '--pin-cert')!, 'pinned certificate');
  return new X509Certificate(der).fingerprint256;
}

/** What the flags say about a gateway, files read. */
function gatewayInput(flags: GatewayFlags): GatewayInput {
  const input: GatewayInput = { lns: endpointFlags('lns', flags), cups: endpointFlags('cups', flags), pins: flags.pinCert.map(pinOf) };
  if (flags.eui !== undefined) input.eui = flags.eui;
  if (flags.tenant !== undefined) input.tenant = flags.tenant;
  if (flags.name !== undefined) input.name = flags.name;
  return input;
}

export const tenantOf = (value: string | undefined): string => checkTenant(value, FLAG_NAMES);

export function registerGateway(program: Command, io: CliIo): void {
  const gateway = program.command('gateway').description('manage the gateway registry');
  registerGatewayBulk(gateway, io);

  withEndpointOptions(
    gateway
      .command('add')
      .description('register a gateway; all input is checked before anything is written')
      .requiredOption('--tenant <id>', 'tenant the gateway belongs to')
      .requiredOption('--eui <eui>', 'gateway EUI in any spelling')
      .option('--name <name>', 'a label for operators')
      .option('--pin-cert <pem>', 'accept only this client certificate for the gateway (repeatable)', collect, [])
      .option('--self-signed-cert <pem>', 'accept it with exactly this self-signed certificate, no CA (its tenant must allow that)')
      .option('--tenants <dir>', 'the trust store, to check --cups-cert against', SERVE_DEFAULTS.tenants)
      .addOption(dbOption())
      .addOption(secretKeyFileOption()),
  ).action(
    printing(io, async (flags: GatewayFlags & { selfSignedCert?: string }) => {
      const gateway = await checkNewGateway(gatewayInput(flags), FLAG_NAMES, cupsCertificateCheck(resolve(flags.tenants!)));
      if (flags.selfSignedCert !== undefined) {
        const sha256 = selfSignedFingerprint(
          readFlagFile(flags.selfSignedCert, '--self-signed-cert', InvalidGateway),
          gateway.eui,
          '--self-signed-cert',
        );
        gateway.selfSignedCertificate = sha256;
        gateway.pinnedCertificates = [...new Set([...(gateway.pinnedCertificates ?? []), sha256])];
      }
      const added = await withRegistry(io, flags, 'write', async (registry) => {
        if (gateway.selfSignedCertificate) await requireSelfSignedAllowed(registry, gateway.tenant);
        const made = await registry.add(gateway);
        await auditByCli(registry, { action: 'gateway.add', tenant: made.tenant, eui: made.eui, detail: { after: auditView(made) } });
        return made;
      });
      return { json: describeGateway(added) };
    }),
  );

  withEndpointOptions(
    gateway
      .command('update')
      .description('change a gateway; an endpoint given is replaced whole (URI and credentials)')
      .requiredOption('--eui <eui>', 'gateway EUI in any spelling')
      .option('--tenant <id>', 'move it to another tenant')
      .option('--name <name>', 'a label for operators')
      .option('--pin-cert <pem>', 'also accept only this client certificate (repeatable; adds to the pins)', collect, [])
      .option('--unpin', 'remove every pin: any certificate that passes the checks is accepted again')
      .option('--firmware-channel <name>', "follow this firmware channel of the gateway's model (default: stable)")
      .option('--firmware-pin <version>', 'hold the gateway at this firmware version, whatever its channel says')
      .option('--firmware-unpin', 'follow the channel again')
      .option('--tenants <dir>', 'the trust store, to check --cups-cert against', SERVE_DEFAULTS.tenants)
      .addOption(dbOption())
      .addOption(secretKeyFileOption()),
  ).action(
    printing(io, async (flags: GatewayFlags) => {
      const eui = checkEui(flags.eui, FLAG_NAMES);
      const edit: GatewayEdit = { ...gatewayInput(flags), unpin: flags.unpin ?? false };
      if (flags.firmwareChannel !== undefined) edit.firmwareChannel = flags.firmwareChannel;
      if (flags.firmwarePin !== undefined) edit.firmwarePin = flags.firmwarePin;
      if (flags.firmwareUnpin) edit.firmwarePin = null;
      const updated = await withRegistry(io, flags, 'write', async (registry) => {
        const current = await registry.get(eui);
        if (!current) throw new GatewayNotFound(`gateway ${eui} is not registered`);
        const changed = await registry.update(
          eui,
          await checkGatewayEdit(current, edit, FLAG_NAMES, cupsCertificateCheck(resolve(flags.tenants!))),
        );
        await auditByCli(registry, {
          action: 'gateway.change',
          tenant: changed.tenant,
          eui,
          detail: { before: auditView(current), after: auditView(changed) },
        });
        return changed;
      });
      return { json: describeGateway(updated) };
    }),
  );

  gateway
    .command('list')
    .description('list registered gateways')
    .option('--tenant <id>', 'only this tenant')
    .option('--expiring <duration>', 'only gateways whose last presented certificate expires within this (30d, 12h), soonest first')
    .option('--json', 'print JSON instead of a table')
    .addOption(dbOption())
    .addOption(secretKeyFileOption())
    .action(
      printing(io, async (flags: GatewayFlags & { expiring?: string }) => {
        const expiringBefore =
          flags.expiring === undefined ? undefined : new Date(Date.now() + parseDuration(flags.expiring, '--expiring')).toISOString();
        const gateways = await withRegistry(io, flags, 'read', (registry) =>
          registry.list({ ...(flags.tenant ? { tenant: flags.tenant } : {}), ...(expiringBefore ? { expiringBefore } : {}) }),
        );
        if (flags.json) return { json: gateways.map(describeGateway) };
        if (expiringBefore) {
          const rows = gateways.map((g) => [
            g.eui,
            g.tenant,
            g.lastContact!.certificate!.notAfter,
            g.lastContact!.certificate!.serial,
            g.name ?? '',
          ]);
          return { tables: [{ header: ['EUI', 'TENANT', 'CERTIFICATE EXPIRES', 'SERIAL', 'NAME'], rows }] };
        }
        const rows = gateways.map((g) => [g.eui, g.tenant, g.lnsUri, g.lastContact?.at ?? 'never', g.name ?? '']);
        return { tables: [{ header: ['EUI', 'TENANT', 'LNS URI', 'LAST CONTACT', 'NAME'], rows }] };
      }),
    );

  gateway
    .command('revoke-cert')
    .description('refuse one client certificate of a gateway, on every instance, without a CRL (its other certificates still work)')
    .requiredOption('--eui <eui>', 'gateway EUI in any spelling')
    .option('--cert <file>', 'the certificate (PEM or DER): that certificate only')
    .option('--serial <hex>', 'its serial number: any certificate of that serial the gateway presents')
    .option('--sha256 <hex>', 'its SHA-256 fingerprint')
    .addOption(dbOption())
    .addOption(secretKeyFileOption())
    .action(
      printing(io, async (flags: RegistryFlags & { eui: string; cert?: string; serial?: string; sha256?: string }) => {
        const eui = checkEui(flags.eui, FLAG_NAMES);
        const entry = revocationEntry(
          {
            ...(flags.cert === undefined ? {} : { certificate: readFlagFile(flags.cert, '--cert', InvalidGateway) }),
            ...(flags.serial === undefined ? {} : { serial: flags.serial }),
            ...(flags.sha256 === undefined ? {} : { sha256: flags.sha256 }),
          },
          { certificate: '--cert', serial: '--serial', sha256: '--sha256' },
        );
        const changed = await withRegistry(io, flags, 'write', async (registry) => {
          const current = await registry.get(eui, { fresh: true });
          if (!current) throw new GatewayNotFound(`gateway ${eui} is not registered`);
          const change = revocationChange(current, entry);
          if (!change) return false;
          await registry.update(eui, change);
          await auditByCli(registry, { action: 'certificate.revoke', tenant: current.tenant, eui, detail: { revoked: entry } });
          return true;
        });
        return { lines: [changed ? `revoked ${entry} for ${eui}` : `${entry} was revoked for ${eui} already`] };
      }),
    );

  /** A command on one registered gateway, named by --eui. */
  const onOneGateway = <T>(
    name: string,
    description: string,
    access: 'read' | 'write',
    work: (registry: SealedRegistry, eui: string) => Promise<T | undefined | false>,
    output: (result: T, eui: string) => CommandOutput,
  ) =>
    gateway
      .command(name)
      .description(description)
      .requiredOption('--eui <eui>', 'gateway EUI in any spelling')
      .addOption(dbOption())
      .addOption(secretKeyFileOption())
      .action(
        printing(io, async (flags: GatewayFlags) => {
          const eui = checkEui(flags.eui, FLAG_NAMES);
          const result = await withRegistry(io, flags, access, (registry) => work(registry, eui));
          if (!result) throw new GatewayNotFound(`gateway ${eui} is not registered`);
          return output(result, eui);
        }),
      );
  onOneGateway(
    'show',
    'show one gateway, credentials described (never key or token bytes)',
    'read',
    (registry, eui) => registry.get(eui),
    (found) => ({ json: describeGateway(found) }),
  );
  onOneGateway(
    'remove',
    'remove a gateway',
    'write',
    async (registry, eui) => {
      const current = await registry.get(eui);
      if (!current || !(await registry.remove(eui))) return false;
      await auditByCli(registry, { action: 'gateway.remove', tenant: current.tenant, eui, detail: { before: auditView(current) } });
      return true;
    },
    (_removed, eui) => ({ lines: [`removed ${eui}`] }),
  );
}

/** A self-signed certificate is registered only where its tenant allows one, so that it is also accepted. */
async function requireSelfSignedAllowed(registry: SealedRegistry, tenant: string): Promise<void> {
  if (!(await new TenantDirectory(registry.store.directSql).allowsSelfSigned(tenant)))
    throw new InvalidGateway(
      `tenant ${tenant} does not allow self-signed gateway certificates: npx cups tenant update --tenant ${tenant} --allow-self-signed`,
    );
}
