import { type ErrorCode, Failure } from '../errors.ts';
import type { CliIo } from './output.ts';

/** Exit statuses other than 1: a command called the wrong way is 2, as commander's own usage errors are. */
const EXIT_STATUS: Partial<Record<ErrorCode, number>> = { no_input: 2 };

/** File-system failures every command can meet, said the way the registry says them, with the next step. */
const STORAGE_ERRORS: Record<string, [code: string, advice: string]> = {
  ENOSPC: ['storage_full', 'the disk is full; free space there and run the command again (it wrote nothing it could not finish)'],
  EDQUOT: ['storage_full', 'the disk quota is used up; free space and run the command again'],
  EROFS: ['storage_read_only', 'the file system is read-only; use a writable folder and run the command again'],
};

/** Prints an error as `error [code]: message`, the way every subcommand does, and returns the exit status. */
export function reportError(error: unknown, io: CliIo): number {
  let code = (error as { code?: unknown }).code;
  let message = error instanceof Error ? error.message : String(error);
  const storage = typeof code === 'string' ? STORAGE_ERRORS[code] : undefined;
  if (storage) {
    message = `${message}: ${storage[1]}`;
    code = storage[0];
  }
  io.stderr.write(`error${typeof code === 'string' ? ` [${code}]` : ''}: ${message}\n`);
  return error instanceof Failure ? (EXIT_STATUS[error.code] ?? 1) : 1;
}
