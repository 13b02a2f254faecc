/** Where a command's output goes: the process's streams, or a test's. */
export interface CliIo {
  stdout: { write(chunk: string | Uint8Array): unknown };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
}

export const PROCESS_IO: CliIo = { stdout: process.stdout, stderr: process.stderr };

export interface Table {
  header: string[];
  rows: string[][];
}

/**
 * What a command returns for the one printer: JSON, tables, lines of text or raw bytes, with
 * `notices` for standard error (what was skipped, what to do next).
 */
export type CommandOutput = ({ json: unknown } | { tables: Table[] } | { lines: string[] } | { bytes: Uint8Array }) & {
  notices?: string[];
};

function tableText({ header, rows }: Table): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map(
      (row) =>
        `${row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

export function printOutput(io: CliIo, output: CommandOutput): void {
  if ('json' in output) io.stdout.write(`${JSON.stringify(output.json, null, 2)}\n`);
  else if ('tables' in output) io.stdout.write(output.tables.map(tableText).join('\n'));
  else if ('lines' in output) io.stdout.write(output.lines.map((line) => `${line}\n`).join(''));
  else io.stdout.write(output.bytes);
  for (const notice of output.notices ?? []) io.stderr.write(`${notice}\n`);
}

/** A commander action that returns its output, printed by the one printer. */
export const printing =
  <A extends unknown[]>(io: CliIo, action: (...args: A) => CommandOutput | undefined | Promise<CommandOutput | undefined>) =>
  async (...args: A): Promise<void> => {
    const output = await action(...args);
    if (output) printOutput(io, output);
  };
