import { Command } from 'commander';
import { reportError } from './fail.ts';
import { registerDecode } from './commands/decode.ts';
import { registerGateway } from './commands/gateway.ts';
import { registerId6 } from './commands/id6.ts';
import { registerFirmware } from './commands/firmware.ts';
import { registerPki } from './commands/pki.ts';
import { registerUpdateInfo } from './commands/update-info.ts';
import { registerSecrets } from './commands/secrets.ts';
import { registerServe } from './commands/serve.ts';
import { registerTrust } from './commands/trust.ts';

const program = new Command('cups')
  .description('LoRaWAN CUPS server for LoRa Basics Station gateways')
  .showHelpAfterError()
  .exitOverride();

registerDecode(program);
registerId6(program);
registerServe(program);
registerGateway(program);
registerTrust(program);
registerSecrets(program);
registerPki(program);
registerUpdateInfo(program);
registerFirmware(program);

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
