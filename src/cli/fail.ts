/** A failure the CLI reports as `error [code]: message` with a non-zero exit status. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** File-system failures every command can meet, said the way the registry says them, with the next step. */
const STORAGE_ERRORS: Record<string, [code: string, advice: string]> = {
  ENOSPC: ['storage_full', 'the disk is full; free space there and run the command again (it wrote nothing it could not finish)'],
  EDQUOT: ['storage_full', 'the disk quota is used up; free space and run the command again'],
  EROFS: ['storage_read_only', 'the file system is read-only; use a writable folder and run the command again'],
};

/** Prints an error the way every subcommand does and sets the exit status. */
export function reportError(error: unknown): void {
  let code = (error as { code?: unknown }).code;
  let message = error instanceof Error ? error.message : String(error);
  const storage = typeof code === 'string' ? STORAGE_ERRORS[code] : undefined;
  if (storage) {
    message = `${message}: ${storage[1]}`;
    code = storage[0];
  }
  process.stderr.write(`error${typeof code === 'string' ? ` [${code}]` : ''}: ${message}\n`);
  process.exitCode = error instanceof CliError ? error.exitCode : 1;
}
