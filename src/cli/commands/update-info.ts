import { type Command, Option } from 'commander';
import { decodeUpdateInfoResponse } from '../../../protocol/index.ts';
import { CupsRefused } from '../../errors.ts';
import { applyAnswer, updateVerdict } from '../../station/apply-answer.ts';
import { callUpdateInfo, STATION_VERSIONS, type StationVersion } from '../../station/call-update-info.ts';
import { readStationHome, routerOf, stationRequestBody } from '../../station/station-home.ts';
import { type CliIo, printing } from '../output.ts';

export function registerUpdateInfo(program: Command, io: CliIo): void {
  program
    .command('update-info')
    .description('act as a Basics Station: read its folder, ask CUPS for updates, and write what the answer carries')
    .requiredOption('--home <dir>', 'the station folder (cups.uri, cups.trust, cups.crt, cups.key, tc.*, sig-N.key, version.txt)')
    .option('--router <eui>', "the router id, instead of the certificate's CN")
    .option('--dry-run', 'only print what would be written', false)
    .addOption(
      new Option('--station-version <version>', 'the station whose request bytes to send (2.0.3 sends no Content-Type and no SNI)')
        .choices(STATION_VERSIONS)
        .default('2.0.6'),
    )
    .action(
      printing(io, async (flags: { home: string; router?: string; dryRun: boolean; stationVersion: StationVersion }) => {
        const home = readStationHome(flags.home);
        const router = routerOf(home, flags.router);
        const body = stationRequestBody(home, router, flags.stationVersion);
        const reply = await callUpdateInfo(home, body, flags.stationVersion);
        if (reply.status !== 200) {
          let detail = reply.body.toString().slice(0, 500);
          try {
            const refusal = JSON.parse(detail) as { code: string; message: string };
            detail = `${refusal.code}: ${refusal.message}`;
          } catch {
            // not a JSON refusal: show it as it is
          }
          throw new CupsRefused(`CUPS answered ${reply.status} (${detail}); the station would fall back to its next credential set`);
        }
        const answer = decodeUpdateInfoResponse(reply.body);
        const written = applyAnswer(home.dir, answer, !flags.dryRun);
        const lines = [`router ${router} asked ${home.cupsUri}: 200, ${reply.body.length} bytes`];
        if (written.length === 0) lines.push('nothing to change');
        for (const file of written) lines.push(`${flags.dryRun ? 'would write' : 'wrote'} ${file.name} (${file.bytes} bytes)`);
        if (answer.tcUri) lines.push(`LNS: ${answer.tcUri}`);
        if (answer.cupsUri) lines.push(`CUPS: ${answer.cupsUri}`);
        const verdict = updateVerdict(answer, home.sigKeys);
        if (verdict) lines.push(`update: ${verdict}`);
        return { lines };
      }),
    );
}
