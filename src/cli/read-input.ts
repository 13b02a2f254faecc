import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Failure } from '../errors.ts';

/** Reads a whole file, or standard input when no file (or `-`) is named. */
export async function readInput(file: string | undefined): Promise<Buffer> {
  if (file && file !== '-') {
    try {
      return await readFile(file);
    } catch (error) {
      throw new Failure('file_unreadable', `cannot read ${file}: ${(error as Error).message}`);
    }
  }
  if (process.stdin.isTTY) throw new Failure('no_input', 'no FILE given and nothing piped to standard input');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The file a flag names; a file that cannot be read is refused with `refusal`, naming the flag. */
export function readFlagFile(path: string, flag: string, refusal: new (message: string) => Error): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new refusal(`${flag}: cannot read ${path}: ${(error as Error).message}`);
  }
}
