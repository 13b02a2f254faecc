import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { reportError } from './fail.ts';

type Register = (program: Command) => void;

/**
 * Each module's top-level commands, loaded only when one of them runs (all of them for help), so
 * that `cups serve` does not carry the PKI and PostgreSQL code it may never use.
 */
const MODULES: [commands: string[], load: () => Promise<Register>][] = [
  [['decode'], async () => (await import('./commands/decode.ts')).registerDecode],
  [['id6'], async () => (await import('./commands/id6.ts')).registerId6],
  [['serve'], async () => (await import('./commands/serve.ts')).registerServe],
  [['gateway'], async () => (await import('./commands/gateway.ts')).registerGateway],
  [['ca', 'verify'], async () => (await import('./commands/trust.ts')).registerTrust],
  [['secrets'], async () => (await import('./commands/secrets.ts')).registerSecrets],
  [['pki'], async () => (await import('./commands/pki.ts')).registerPki],
  [['update-info'], async () => (await import('./commands/update-info.ts')).registerUpdateInfo],
  [['firmware'], async () => (await import('./commands/firmware.ts')).registerFirmware],
];

/** The project's package.json: two folders up from the sources, three from the built dist/. */
const packageJson = [new URL('../../package.json', import.meta.url), new URL('../../../package.json', import.meta.url)].find((url) =>
  existsSync(url),
)!;
const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };

const program = new Command('cups')
  .description('LoRaWAN CUPS server for LoRa Basics Station gateways')
  .version(version, '-V, --version', 'print the version')
  // Options before a command are the program's: `cups firmware add --version 2.0.7` is the firmware's.
  .enablePositionalOptions()
  .showHelpAfterError()
  .exitOverride();

const named = MODULES.filter(([commands]) => commands.includes(process.argv[2] ?? ''));
for (const [, load] of named.length ? named : MODULES) (await load())(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const commanderCode = (error as { code?: string }).code;
  if (commanderCode === 'commander.helpDisplayed' || commanderCode === 'commander.version') {
    process.exitCode = 0;
  } else if (commanderCode?.startsWith('commander.')) {
    process.exitCode = 2;
  } else {
    reportError(error);
  }
}
