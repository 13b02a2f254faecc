import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { rawSigningPublicKey, signingKeyCrc, signUpdate } from '../../../protocol/index.ts';
import { InvalidFirmware, OutputExists } from '../../errors.ts';
import { DEFAULT_CHANNEL, FirmwareCatalog } from '../../firmware/catalog.ts';
import { checkSignatures, keyCrcText } from '../../firmware/check-signatures.ts';
import { DEFAULT_FIRMWARE_DIR, firmwareImagesFor } from '../../firmware/image-store.ts';
import { type CliIo, printing } from '../output.ts';
import { readFlagFile } from '../read-input.ts';
import { auditByCli, dbOption, type RegistryFlags, secretKeyFileOption, withRegistry } from '../registry-flags.ts';

const collect = (value: string, previous: string[]) => [...previous, value];
const firmwareDirOption = () =>
  new Option('--firmware-dir <dir>', 'where images are stored, by hash').default(DEFAULT_FIRMWARE_DIR).env('CUPS_FIRMWARE_DIR');

const readFile = (path: string, flag: string) => readFlagFile(path, flag, InvalidFirmware);

/** Runs work on the firmware catalog of the registry the flags name. */
const withCatalog = <T>(
  io: CliIo,
  flags: RegistryFlags,
  access: 'read' | 'write',
  work: (catalog: FirmwareCatalog, audit: (action: string, detail: Record<string, unknown>) => Promise<void>) => Promise<T>,
) =>
  withRegistry(io, flags, access, (registry) =>
    work(new FirmwareCatalog(registry.store.sql), (action, detail) => auditByCli(registry, { action, detail })),
  );

function withRegistryOptions(command: Command): Command {
  return command.addOption(dbOption()).addOption(secretKeyFileOption());
}

export function registerFirmware(program: Command, io: CliIo): void {
  const firmware = program.command('firmware').description('signed firmware updates over CUPS, with staged rollout');

  firmware
    .command('key')
    .description('signing keys')
    .command('create')
    .description("make a P-256 signing key pair and the station's sig-N.key form (raw 64 bytes); keep signing.key offline")
    .requiredOption('--out <dir>', 'folder for signing.key (0600), signing.pub and sig-0.key')
    .action(
      printing(io, (flags: { out: string }) => {
        if (existsSync(join(flags.out, 'signing.key')))
          throw new OutputExists(`${join(flags.out, 'signing.key')} exists; choose another --out`);
        const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        mkdirSync(flags.out, { recursive: true });
        writeFileSync(join(flags.out, 'signing.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
        writeFileSync(join(flags.out, 'signing.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
        writeFileSync(join(flags.out, 'sig-0.key'), rawSigningPublicKey(publicKey));
        return {
          lines: [`key CRC ${keyCrcText(signingKeyCrc(publicKey))}: install ${join(flags.out, 'sig-0.key')} on stations as ~/sig-N.key`],
        };
      }),
    );

  firmware
    .command('sign')
    .description('sign an update (ECDSA P-256 over SHA-512, DER), as the station verifies it')
    .requiredOption('--key <pem>', 'the private signing key')
    .option('--out <file>', 'the signature file (default FILE.sig)')
    .argument('<file>', 'the update')
    .action(
      printing(io, (file: string, flags: { key: string; out?: string }) => {
        const key = readFile(flags.key, '--key');
        const signature = signUpdate(readFile(file, 'FILE'), key);
        const out = flags.out ?? `${file}.sig`;
        writeFileSync(out, signature);
        const crc = signingKeyCrc(createPublicKey(key));
        return { lines: [`wrote ${out} (${signature.length} bytes), key CRC ${keyCrcText(crc)}`] };
      }),
    );

  withRegistryOptions(
    firmware
      .command('add')
      .description('store an image once (by hash) with its signatures, each checked before it is accepted')
      .requiredOption('--model <model>', "the station model it is for (the request's model)")
      .requiredOption('--version <version>', 'the version it installs (what the station then reports as package)')
      .requiredOption('--file <file>', 'the update')
      .option('--sig <file>', 'a DER signature of the file (repeatable, paired with --pubkey in order)', collect, [])
      .option('--pubkey <file>', 'the public key of the --sig at the same place: PEM, DER or sig-N.key', collect, [])
      .option('--unsigned', 'accept the image with no signature (only stations holding no key can get it)', false)
      .option('--channel <name>', 'also make it the target of this channel, for all of its gateways')
      .addOption(firmwareDirOption()),
  ).action(
    printing(
      io,
      async (
        flags: RegistryFlags & {
          model: string;
          version: string;
          file: string;
          sig: string[];
          pubkey: string[];
          unsigned: boolean;
          channel?: string;
          firmwareDir: string;
        },
      ) => {
        if (flags.sig.length !== flags.pubkey.length) throw new InvalidFirmware('give one --pubkey for every --sig, in the same order');
        if (flags.sig.length === 0 && !flags.unsigned)
          throw new InvalidFirmware('give --sig and --pubkey, or --unsigned for an image without a signature');
        readFile(flags.file, '--file');
        const offered = flags.sig.map((sigFile, i) => ({
          publicKey: readFile(flags.pubkey[i]!, '--pubkey'),
          signature: readFile(sigFile, '--sig'),
          label: `${sigFile} (with --pubkey ${flags.pubkey[i]})`,
        }));
        const signatures = await checkSignatures(() => createReadStream(flags.file), offered, flags.unsigned);
        const stored = await withRegistry(io, flags, 'write', async (registry) => {
          const images = firmwareImagesFor(flags.db, resolve(flags.firmwareDir), registry.store.directSql);
          const image = await images.put(createReadStream(flags.file));
          const catalog = new FirmwareCatalog(registry.store.sql);
          await catalog.addImage({ ...image, model: flags.model, version: flags.version, signatures });
          if (flags.channel) await catalog.rollOut(flags.model, flags.channel, flags.version, 100);
          await auditByCli(registry, {
            action: 'firmware.image.add',
            detail: { model: flags.model, version: flags.version, ...image, signedBy: signatures.map((s) => keyCrcText(s.keyCrc)) },
          });
          return { ...image, where: images.where };
        });
        const signedBy = signatures.length ? `signatures by ${signatures.map((s) => keyCrcText(s.keyCrc)).join(', ')}` : 'no signature';
        return {
          lines: [
            `stored ${flags.model} ${flags.version} (${stored.size} bytes, sha256 ${stored.sha256}, in ${stored.where}) with ${signedBy}` +
              `${flags.channel ? `; target of channel ${flags.channel}` : ''}`,
          ],
        };
      },
    ),
  );

  const channelCommand = (name: string, description: string) =>
    withRegistryOptions(
      firmware
        .command(name)
        .description(description)
        .requiredOption('--model <model>', 'station model')
        .option('--channel <name>', 'channel', DEFAULT_CHANNEL),
    );

  channelCommand('rollout', "make a version the channel's target for a share of its gateways, chosen by EUI (raise it step by step)")
    .requiredOption('--version <version>', 'the target version')
    .option('--percent <n>', 'share of the gateways, 0 to 100', (v) => Number(v), 100)
    .option('--allow-unsigned', 'stations holding no key may get unsigned images of this channel')
    .option('--signed-only', 'never send unsigned images on this channel (the default)')
    .action(
      printing(
        io,
        async (
          flags: RegistryFlags & {
            model: string;
            channel: string;
            version: string;
            percent: number;
            allowUnsigned?: boolean;
            signedOnly?: boolean;
          },
        ) => {
          const allow = flags.allowUnsigned ? true : flags.signedOnly ? false : undefined;
          const channel = await withCatalog(io, flags, 'write', async (catalog, audit) => {
            const now = await catalog.rollOut(flags.model, flags.channel, flags.version, flags.percent, allow);
            await audit('firmware.rollout', { model: flags.model, channel: flags.channel, now });
            return now;
          });
          return {
            lines: [
              `${channel.model}/${channel.channel}: ${channel.targetVersion} to ${channel.rolloutPercent}% (rollback to ${channel.previousVersion ?? 'nothing'})`,
            ],
          };
        },
      ),
    );
  for (const [name, description, paused] of [
    ['pause', 'stop offering the target of a channel', true],
    ['resume', 'offer the target of a paused channel again', false],
  ] as const) {
    channelCommand(name, description).action(
      printing(io, async (flags: RegistryFlags & { model: string; channel: string }) => {
        await withCatalog(io, flags, 'write', async (catalog, audit) => {
          await catalog.setPaused(flags.model, flags.channel, paused);
          await audit(paused ? 'firmware.pause' : 'firmware.resume', { model: flags.model, channel: flags.channel });
        });
        return { lines: [`${flags.model}/${flags.channel}: ${paused ? 'paused' : 'resumed'}`] };
      }),
    );
  }
  channelCommand('rollback', 'return a channel to its previous target, for all of its gateways').action(
    printing(io, async (flags: RegistryFlags & { model: string; channel: string }) => {
      const channel = await withCatalog(io, flags, 'write', async (catalog, audit) => {
        const now = await catalog.rollBack(flags.model, flags.channel);
        await audit('firmware.rollback', { model: flags.model, channel: flags.channel, now });
        return now;
      });
      return { lines: [`${channel.model}/${channel.channel}: back to ${channel.targetVersion}`] };
    }),
  );

  withRegistryOptions(firmware.command('status').description('channels, images, and how many gateways report each version')).action(
    printing(io, async (flags: RegistryFlags) => {
      const [channels, images, versions] = await withCatalog(io, flags, 'read', (catalog) =>
        Promise.all([catalog.channels(), catalog.images(), catalog.reportedVersions()]),
      );
      const channelRows = channels.map((c) => [
        c.model,
        c.channel,
        c.targetVersion ?? '-',
        `${c.rolloutPercent}%`,
        c.paused ? 'yes' : 'no',
        c.allowUnsigned ? 'allowed' : 'never',
        c.previousVersion ?? '-',
      ]);
      return {
        tables: [
          { header: ['MODEL', 'CHANNEL', 'TARGET', 'ROLLOUT', 'PAUSED', 'UNSIGNED', 'ROLLBACK TO'], rows: channelRows },
          { header: ['MODEL', 'VERSION', 'BYTES', 'SHA-256'], rows: images.map((i) => [i.model, i.version, String(i.size), i.sha256]) },
          {
            header: ['MODEL', 'REPORTED VERSION', 'GATEWAYS'],
            rows: versions.map((v) => [v.model ?? '(no contact yet)', v.version ?? '-', String(v.gateways)]),
          },
        ],
      };
    }),
  );
}
