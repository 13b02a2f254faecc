import type { Command } from 'commander';
import { type CliIo, printing } from '../output.ts';
import { dbOption, type RegistryFlags, secretKeyFileOption, withRegistry } from '../registry-flags.ts';

export function registerSecrets(program: Command, io: CliIo): void {
  program
    .command('secrets')
    .description('manage the master keys that seal stored private keys and tokens')
    .command('rotate')
    .description(
      're-seal every stored secret under the first configured key. Without downtime: give every server ' +
        'the new key first and the old one second, rotate, then drop the old key',
    )
    .addOption(dbOption())
    .addOption(secretKeyFileOption())
    .action(
      printing(io, async (flags: RegistryFlags) => {
        const changed = await withRegistry(io, flags, 'write', (registry) => registry.rotate());
        return { lines: [`re-sealed ${changed} stored secrets under the first configured key`] };
      }),
    );
}
