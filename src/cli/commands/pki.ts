import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { GatewayExists, InvalidGateway, OutputExists } from '../../errors.ts';
import { initCa, issuerOf, readIssuingCa } from '../../pki/ca-folder.ts';
import { euiList } from '../../pki/eui-list.ts';
import { describeIssued, type IssuedGateway } from '../../pki/gateway-certificate.ts';
import { issueFleet } from '../../pki/issue-fleet.ts';
import { KEY_TYPES, type KeyType } from '../../pki/keys.ts';
import { signGatewayCsr } from '../../pki/sign-csr.ts';
import { stationConf } from '../../pki/station-conf.ts';
import { buildEndpoint } from '../../provisioning/endpoint-credentials.ts';
import { type CliIo, printing } from '../output.ts';
import { progressBar } from '../progress.ts';
import { readFlagFile } from '../read-input.ts';
import { dbOption, type RegistryFlags, secretKeyFileOption, withRegistry } from '../registry-flags.ts';
import { tenantOf } from './gateway.ts';

const days = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 36500) throw new InvalidGateway(`--days must be 1 to 36500, got "${value}"`);
  return n;
};

const MANIFEST_COLUMNS = ['eui', 'serial', 'sha256', 'not_after'];

/** Appends to OUT/manifest.csv, writing the header when the file is new. */
function writeManifest(out: string, issued: IssuedGateway[]): void {
  const file = join(out, 'manifest.csv');
  const rows = issued.map((g) => [g.eui, g.serial, g.sha256, g.notAfter]);
  if (existsSync(file)) appendFileSync(file, stringify(rows));
  else writeFileSync(file, stringify([MANIFEST_COLUMNS, ...rows]));
}

interface IssueFlags extends RegistryFlags {
  ca: string;
  out: string;
  eui?: string;
  euiRange?: string;
  euiFile?: string;
  key: KeyType;
  days: number;
  cupsUri?: string;
  cupsTrust?: string;
  stationConf?: string;
  register?: boolean;
  tenant?: string;
  lnsUri?: string;
  lnsTrust?: string;
  lnsClientCert?: boolean;
}

export function registerPki(program: Command, io: CliIo): void {
  const pki = program.command('pki').description('issue gateway certificates for a fleet, as a vendor does');

  pki
    .command('init-ca')
    .description('make a root CA (and with --intermediate an issuing intermediate and chain.pem); keys are written 0600')
    .requiredOption('--out <dir>', 'folder for the CA')
    .option('--cn <name>', 'the root CA common name', 'Gateway Root CA')
    .addOption(new Option('--key <type>', 'key type').choices([...KEY_TYPES]).default('ec'))
    .option('--days <n>', 'validity', days, 3650)
    .option('--intermediate', 'also make an issuing intermediate CA', false)
    .action(
      printing(io, async (flags: { out: string; cn: string; key: KeyType; days: number; intermediate: boolean }) => {
        const { root, intermediate } = await initCa(flags.out, {
          cn: flags.cn,
          keyType: flags.key,
          days: flags.days,
          intermediate: flags.intermediate,
        });
        return {
          lines: [
            `root CA ${describeIssued(flags.cn, root).sha256} in ${flags.out}${intermediate ? ', issuing intermediate and chain.pem beside it' : ''}`,
            `next, trust it for a tenant: npx cups ca add --tenant <tenant> ${flags.out}`,
          ],
        };
      }),
    );

  pki
    .command('issue')
    .description('issue one client certificate per gateway (CN = EUI) into station folders OUT/<EUI>/, plus OUT/manifest.csv')
    .requiredOption('--ca <dir>', 'CA folder made by init-ca')
    .requiredOption('--out <dir>', 'where the station folders go')
    .option('--eui <eui>', 'one gateway')
    .option('--eui-range <first:count>', 'COUNT consecutive EUIs from FIRST')
    .option('--eui-file <file>', 'one EUI per line')
    .addOption(new Option('--key <type>', 'gateway key type').choices(['ec', 'rsa2048']).default('ec'))
    .option('--days <n>', 'validity', days, 825)
    .option('--cups-uri <uri>', 'write cups.uri into each folder')
    .option('--cups-trust <pem>', "write this CUPS server's CA as cups.trust into each folder")
    .option(
      '--station-conf <template>',
      "write each folder's station.conf from this template (radio settings as they are), routerid set to its EUI",
    )
    .option('--register', 'also register every gateway, in the same run: all or nothing', false)
    .option('--tenant <id>', 'with --register: the tenant')
    .option('--lns-uri <uri>', 'with --register: the LNS URI')
    .option('--lns-trust <pem>', "with --register: the LNS server's CA")
    .option('--lns-client-cert', "with --register: each gateway's new certificate and key are its LNS client credentials too", false)
    .addOption(dbOption())
    .addOption(secretKeyFileOption())
    .action(
      printing(io, async (flags: IssueFlags) => {
        // Everything that can be refused is refused before anything is written.
        const euis = euiList(flags);
        const ca = readIssuingCa(flags.ca);
        const taken = euis.find((eui) => existsSync(join(flags.out, eui)));
        if (taken) throw new OutputExists(`${join(flags.out, taken)} already exists; nothing was issued`);
        if (!!flags.cupsUri !== !!flags.cupsTrust && flags.cupsUri?.startsWith('https:'))
          throw new InvalidGateway('--cups-uri https://… needs --cups-trust');
        const cupsTrustPem = flags.cupsTrust ? readFlagFile(flags.cupsTrust, '--cups-trust', InvalidGateway).toString('utf8') : undefined;
        const lnsTrust = flags.lnsTrust ? readFlagFile(flags.lnsTrust, '--lns-trust', InvalidGateway).toString('utf8') : undefined;
        const stationConfTemplate = flags.stationConf
          ? readFlagFile(flags.stationConf, '--station-conf', InvalidGateway).toString('utf8')
          : undefined;
        if (stationConfTemplate) {
          try {
            stationConf(stationConfTemplate, euis[0]!);
          } catch (error) {
            throw new InvalidGateway(`--station-conf: ${(error as Error).message}; nothing was issued`);
          }
        }
        let tenant: string | undefined;
        if (flags.register) {
          tenant = tenantOf(flags.tenant);
          if (!flags.lnsUri) throw new InvalidGateway('--register needs --lns-uri');
          buildEndpoint('lns', { uri: flags.lnsUri, ...(lnsTrust ? { trust: lnsTrust } : {}) });
          await withRegistry(io, flags, 'read', async (registry) => {
            for (const eui of euis) {
              if (await registry.get(eui)) throw new GatewayExists(`gateway ${eui} is already registered; nothing was issued`);
            }
          });
        }
        const staging = join(flags.out, `.staging-${randomBytes(4).toString('hex')}`);
        mkdirSync(staging, { recursive: true });
        try {
          const bar = progressBar(io, 'issuing', euis.length);
          const issued = await issueFleet(ca, staging, euis, {
            keyType: flags.key,
            days: flags.days,
            files: {
              chainPem: ca.chainPem,
              ...(flags.cupsUri ? { cupsUri: flags.cupsUri } : {}),
              ...(cupsTrustPem ? { cupsTrustPem } : {}),
              ...(stationConfTemplate ? { stationConfTemplate } : {}),
            },
            onProgress: (done) => bar.update(done),
          }).finally(() => bar.stop());
          if (flags.register) {
            await withRegistry(io, flags, 'write', async (registry) => {
              const writing = progressBar(io, 'registering', issued.length);
              await registry
                .addMany(
                  issued.map((gateway) => {
                    const lns = buildEndpoint('lns', {
                      uri: flags.lnsUri!,
                      ...(lnsTrust ? { trust: lnsTrust } : {}),
                      ...(flags.lnsClientCert ? { cert: gateway.certPem, key: gateway.keyPem } : {}),
                    });
                    return {
                      eui: gateway.eui,
                      tenant: tenant!,
                      name: null,
                      lnsUri: lns.uri,
                      lnsCredentials: lns.credentials,
                      cupsUri: null,
                      cupsCredentials: null,
                    };
                  }),
                  (done) => writing.update(done),
                )
                .finally(() => writing.stop());
            });
          }
          for (const { eui } of issued) renameSync(join(staging, eui), join(flags.out, eui));
          writeManifest(flags.out, issued);
          return {
            lines: [
              `issued ${issued.length} gateway certificates into ${flags.out}${flags.register ? `, registered for tenant ${tenant}` : ''}`,
            ],
          };
        } finally {
          rmSync(staging, { recursive: true, force: true });
        }
      }),
    );

  pki
    .command('sign-csr')
    .description("certify gateways' own keys: each CSR's CN must be the EUI and its signature must verify")
    .requiredOption('--ca <dir>', 'CA folder made by init-ca')
    .requiredOption('--out <dir>', 'where OUT/<EUI>/cups.crt goes')
    .option('--days <n>', 'validity', days, 825)
    .argument('<csr...>', 'PEM or DER certificate requests')
    .action(
      printing(io, async (files: string[], flags: { ca: string; out: string; days: number }) => {
        const ca = readIssuingCa(flags.ca);
        const issuer = await issuerOf(ca);
        const signed = [];
        for (const file of files) signed.push(await signGatewayCsr(issuer, readFileSync(file), flags.days, file));
        const taken = signed.find(({ eui }) => existsSync(join(flags.out, eui, 'cups.crt')));
        if (taken) throw new OutputExists(`${join(flags.out, taken.eui, 'cups.crt')} already exists; nothing was written`);
        for (const { eui, cert } of signed) {
          mkdirSync(join(flags.out, eui), { recursive: true });
          writeFileSync(join(flags.out, eui, 'cups.crt'), cert.pem + ca.chainPem);
        }
        writeManifest(
          flags.out,
          signed.map(({ eui, cert }) => describeIssued(eui, cert)),
        );
        return { lines: [`signed ${signed.length} certificate requests into ${flags.out}`] };
      }),
    );
}
