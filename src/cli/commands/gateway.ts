import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { certificateDer, formatEuiHex, parseEui } from '../../../protocol/index.ts';
import { SERVE_DEFAULTS } from '../../config/serve-options.ts';
import { GatewayNotFound, InvalidGateway } from '../../errors.ts';
import { checkCupsCertificate } from '../../provisioning/check-cups-certificate.ts';
import { buildEndpoint, type EndpointInput } from '../../provisioning/endpoint-credentials.ts';
import type { Gateway, GatewayChanges } from '../../registry/gateway-registry.ts';
import { gatewayTenantProblem } from '../../trust/trust-store.ts';
import { describeCredentials } from '../describe-response.ts';
import { readFlagFile } from '../read-input.ts';
import { dbOption, type RegistryFlags, secretKeyFileOption, withRegistry } from '../registry-flags.ts';
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

function endpointInput(kind: 'lns' | 'cups', flags: EndpointFlags, uri: string): EndpointInput {
  const get = (part: string) => flags[`${kind}${part}` as keyof EndpointFlags];
  const input: EndpointInput = { uri };
  const trust = readFile(get('Trust'), `--${kind}-trust`);
  const cert = readFile(get('Cert'), `--${kind}-cert`);
  const key = readFile(get('Key'), `--${kind}-key`);
  const token = get('Token');
  if (trust) input.trust = trust;
  if (cert) input.cert = cert;
  if (key) input.key = key;
  if (token) input.token = token;
  return input;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** The SHA-256 fingerprint of a certificate file, as pins are stored. */
function pinOf(file: string): string {
  const der = certificateDer(readFile(file, '--pin-cert')!, 'pinned certificate');
  return new X509Certificate(der).fingerprint256.replace(/:/g, '').toLowerCase();
}

function euiOf(value: string | undefined): string {
  if (!value) throw new InvalidGateway('--eui is required');
  return formatEuiHex(parseEui(value));
}

export function tenantOf(value: string | undefined): string {
  if (!value) throw new InvalidGateway('--tenant is required');
  const problem = gatewayTenantProblem(value);
  if (problem) throw new InvalidGateway(`--tenant ${problem}`);
  return value;
}

function touchesEndpoint(kind: 'lns' | 'cups', flags: EndpointFlags): boolean {
  return ['Uri', 'Trust', 'Cert', 'Key', 'Token'].some((part) => flags[`${kind}${part}` as keyof EndpointFlags] !== undefined);
}

/** Public view of a gateway: credentials described, never their key or token bytes. */
function describeGateway(gateway: Gateway) {
  return {
    ...gateway,
    lnsCredentials: gateway.lnsCredentials ? describeCredentials(gateway.lnsCredentials) : null,
    cupsCredentials: gateway.cupsCredentials ? describeCredentials(gateway.cupsCredentials) : null,
  };
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function registerGateway(program: Command): void {
  const gateway = program.command('gateway').description('manage the gateway registry');
  registerGatewayBulk(gateway);

  withEndpointOptions(
    gateway
      .command('add')
      .description('register a gateway; all input is checked before anything is written')
      .requiredOption('--tenant <id>', 'tenant the gateway belongs to')
      .requiredOption('--eui <eui>', 'gateway EUI in any spelling')
      .option('--name <name>', 'a label for operators')
      .option('--pin-cert <pem>', 'accept only this client certificate for the gateway (repeatable)', collect, [])
      .option('--tenants <dir>', 'the trust store, to check --cups-cert against', SERVE_DEFAULTS.tenants)
      .addOption(dbOption())
      .addOption(secretKeyFileOption()),
  ).action(async (flags: GatewayFlags) => {
    const eui = euiOf(flags.eui);
    const tenant = tenantOf(flags.tenant);
    const pins = flags.pinCert.map(pinOf);
    if (!flags.lnsUri) throw new InvalidGateway('--lns-uri is required');
    const lns = buildEndpoint('lns', endpointInput('lns', flags, flags.lnsUri));
    if (!flags.cupsUri && touchesEndpoint('cups', flags)) throw new InvalidGateway('--cups-trust/--cups-cert/--cups-token need --cups-uri');
    const cups = flags.cupsUri ? buildEndpoint('cups', endpointInput('cups', flags, flags.cupsUri)) : undefined;
    if (flags.cupsCert) await checkCupsCertificate(readFile(flags.cupsCert, '--cups-cert')!, { eui, tenant }, resolve(flags.tenants!));
    const added = await withRegistry(flags, 'write', (registry) =>
      registry.add({
        eui,
        tenant,
        name: flags.name ?? null,
        lnsUri: lns.uri,
        lnsCredentials: lns.credentials,
        cupsUri: cups?.uri ?? null,
        cupsCredentials: cups?.credentials ?? null,
        pinnedCertificates: pins,
      }),
    );
    print(describeGateway(added));
  });

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
  ).action(async (flags: GatewayFlags) => {
    const eui = euiOf(flags.eui);
    const changes: GatewayChanges = {};
    if (flags.unpin && flags.pinCert.length) throw new InvalidGateway('give --pin-cert or --unpin, not both');
    const pins = flags.pinCert.map(pinOf);
    if (flags.tenant !== undefined) changes.tenant = tenantOf(flags.tenant);
    if (flags.name !== undefined) changes.name = flags.name;
    await withRegistry(flags, 'write', async (registry) => {
      const current = await registry.get(eui);
      if (!current) throw new GatewayNotFound(`gateway ${eui} is not registered`);
      if (flags.unpin) changes.pinnedCertificates = [];
      if (flags.firmwareChannel !== undefined) changes.firmwareChannel = flags.firmwareChannel;
      if (flags.firmwarePin !== undefined) changes.firmwarePin = flags.firmwarePin;
      if (flags.firmwareUnpin) changes.firmwarePin = null;
      if (pins.length) changes.pinnedCertificates = [...new Set([...current.pinnedCertificates, ...pins])];
      if (touchesEndpoint('lns', flags)) {
        const lns = buildEndpoint('lns', endpointInput('lns', flags, flags.lnsUri ?? current.lnsUri));
        changes.lnsUri = lns.uri;
        changes.lnsCredentials = lns.credentials;
      }
      if (touchesEndpoint('cups', flags)) {
        const uri = flags.cupsUri ?? current.cupsUri;
        if (!uri) throw new InvalidGateway('--cups-trust/--cups-cert/--cups-token need --cups-uri');
        const cups = buildEndpoint('cups', endpointInput('cups', flags, uri));
        if (flags.cupsCert)
          await checkCupsCertificate(
            readFile(flags.cupsCert, '--cups-cert')!,
            { eui, tenant: changes.tenant ?? current.tenant },
            resolve(flags.tenants!),
          );
        changes.cupsUri = cups.uri;
        changes.cupsCredentials = cups.credentials;
      }
      print(describeGateway(await registry.update(eui, changes)));
    });
  });

  gateway
    .command('list')
    .description('list registered gateways')
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'print JSON instead of a table')
    .addOption(dbOption())
    .addOption(secretKeyFileOption())
    .action(async (flags: GatewayFlags) => {
      const gateways = await withRegistry(flags, 'read', (registry) => registry.list(flags.tenant ? { tenant: flags.tenant } : {}));
      if (flags.json) {
        print(gateways.map(describeGateway));
        return;
      }
      const rows = gateways.map((g) => [g.eui, g.tenant, g.lnsUri, g.lastContact?.at ?? 'never', g.name ?? '']);
      printTable(['EUI', 'TENANT', 'LNS URI', 'LAST CONTACT', 'NAME'], rows);
    });

  gateway
    .command('show')
    .description('show one gateway, credentials described (never key or token bytes)')
    .requiredOption('--eui <eui>', 'gateway EUI in any spelling')
    .addOption(dbOption())
    .addOption(secretKeyFileOption())
    .action(async (flags: GatewayFlags) => {
      const eui = euiOf(flags.eui);
      const found = await withRegistry(flags, 'read', (registry) => registry.get(eui));
      if (!found) throw new GatewayNotFound(`gateway ${eui} is not registered`);
      print(describeGateway(found));
    });

  gateway
    .command('remove')
    .description('remove a gateway')
    .requiredOption('--eui <eui>', 'gateway EUI in any spelling')
    .addOption(dbOption())
    .addOption(secretKeyFileOption())
    .action(async (flags: GatewayFlags) => {
      const eui = euiOf(flags.eui);
      const removed = await withRegistry(flags, 'write', (registry) => registry.remove(eui));
      if (!removed) throw new GatewayNotFound(`gateway ${eui} is not registered`);
      process.stdout.write(`removed ${eui}\n`);
    });
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows])
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
}
