import cliProgress from 'cli-progress';
import type { CliIo } from './output.ts';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

/** A progress bar on standard error when it is a terminal; silent otherwise (pipes, CI logs). */
export function progressBar(io: CliIo, label: string, total: number): Progress {
  if (!io.stderr.isTTY || total === 0) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(9)} [{bar}] {percentage}% {value}/{total} {eta_formatted} left`,
      // A terminal is only ever the process's own standard error.
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
