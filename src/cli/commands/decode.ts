import type { Command } from 'commander';
import { decodeUpdateInfoResponse } from '../../../protocol/index.ts';
import { describeResponse } from '../describe-response.ts';
import { readInput } from '../read-input.ts';

export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description('print a binary update-info response (file or standard input) as JSON; no key or token is shown')
    .argument('[file]', 'the response bytes; standard input when omitted')
    .action(async (file: string | undefined) => {
      const response = decodeUpdateInfoResponse(await readInput(file));
      process.stdout.write(`${JSON.stringify(describeResponse(response), null, 2)}\n`);
    });
}
