import type { Command } from 'commander';
import { formatEuiHex, formatId6, parseEui } from '../../../protocol/index.ts';
import { type CliIo, printing } from '../output.ts';

export function registerId6(program: Command, io: CliIo): void {
  program
    .command('id6')
    .description('convert an EUI in any accepted spelling to ID6 (first line) and 16 uppercase hex digits (second line)')
    .argument('<eui>', 'e.g. 58A0CBFFFE800019, 58-A0-CB-FF-FE-80-00-19 or 58a0:cbff:fe80:19')
    .action(
      printing(io, (value: string) => {
        const eui = parseEui(value);
        return { lines: [formatId6(eui), formatEuiHex(eui)] };
      }),
    );
}
