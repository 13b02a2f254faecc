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

/** Prints an error the way every subcommand does and sets the exit status. */
export function reportError(error: unknown): void {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error${typeof code === 'string' ? ` [${code}]` : ''}: ${message}\n`);
  process.exitCode = error instanceof CliError ? error.exitCode : 1;
}
