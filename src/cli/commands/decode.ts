import type { Command } from 'commander';
import { decodeUpdateInfoResponse } from '../../../protocol/index.ts';
import { describeResponse } from '../../provisioning/describe-response.ts';
import { type CliIo, printing } from '../output.ts';
import { readInput } from '../read-input.ts';

export function registerDecode(program: Command, io: CliIo): void {
  program
    .command('decode')
    .description('print a binary update-info response (file or standard input) as JSON; no key or token is shown')
    .argument('[file]', 'the response bytes; standard input when omitted')
    .action(
      printing(io, async (file: string | undefined) => ({ json: describeResponse(decodeUpdateInfoResponse(await readInput(file))) })),
    );
}
