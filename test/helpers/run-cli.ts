import { spawn } from 'node:child_process';
import type { CliIo } from '../../src/cli/output.ts';
import { runCli as runCliMain } from '../../src/cli/run-cli.ts';
import { CUPS_BIN, REPO_ROOT } from './paths.ts';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** Runs the real `cups` binary as a user would, optionally piping bytes to its standard input. */
export function runCli(args: string[], options: { input?: Uint8Array; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CUPS_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({ status, stdout: stdoutBytes.toString(), stderr: Buffer.concat(err).toString(), stdoutBytes });
    });
    child.stdin.end(options.input ?? Buffer.alloc(0));
  });
}

/** Runs the `cups` command line in this process, its output captured: what the binary does, without a process. */
export async function runCliInProcess(args: string[]): Promise<CliResult> {
  const out: Buffer[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (chunk: string | Uint8Array) => out.push(Buffer.from(chunk)) },
    stderr: { write: (chunk: string) => err.push(chunk), isTTY: false },
  };
  const status = await runCliMain(args, io);
  const stdoutBytes = Buffer.concat(out);
  return { status, stdout: stdoutBytes.toString(), stderr: err.join(''), stdoutBytes };
}
