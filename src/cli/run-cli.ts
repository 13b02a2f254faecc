import { Command } from 'commander';
import { packageVersion } from '../lib/package-version.ts';
import { reportError } from './fail.ts';
import { type CliIo, PROCESS_IO } from './output.ts';

type Register = (program: Command, io: CliIo) => void;

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
  [['admin', 'tenant'], async () => (await import('./commands/admin.ts')).registerAdmin],
];

/**
 * Runs the `cups` command line on `args` (without the node and script names), printing to `io`,
 * and returns the exit status. The binary runs it on the process's arguments; tests run it in-process.
 */
export async function runCli(args: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const program = new Command('cups')
    .description('LoRaWAN CUPS server for LoRa Basics Station gateways')
    .version(packageVersion(), '-V, --version', 'print the version')
    // Options before a command are the program's: `cups firmware add --version 2.0.7` is the firmware's.
    .enablePositionalOptions()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError()
    .exitOverride();
  const named = MODULES.filter(([commands]) => commands.includes(args[0] ?? ''));
  for (const [, load] of named.length ? named : MODULES) (await load())(program, io);
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (error) {
    const commanderCode = (error as { code?: string }).code;
    if (commanderCode === 'commander.helpDisplayed' || commanderCode === 'commander.version') return 0;
    if (commanderCode?.startsWith('commander.')) return 2;
    return reportError(error, io);
  }
}
