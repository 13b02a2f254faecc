import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// The built module, in a process of its own: the log goes to that process's real standard output.
const LOG_OUTPUT = new URL('../../../dist/src/server/log-output.js', import.meta.url).href;

/** Runs `script` (an ES module) in a new Node process; resolves with its standard output and exit code. */
function run(script: string): Promise<{ stdout: string; code: number | null }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ stdout, code })));
}

describe('the log output', () => {
  it('writes every line whole and in order, multi-byte text included, even when the process exits at once', async () => {
    // Far more than a pipe holds (64 KiB) and than one write takes: most lines wait while earlier
    // ones are written, and those still waiting at process.exit are written then.
    const { stdout, code } = await run(`
      import { logOutput } from ${JSON.stringify(LOG_OUTPUT)};
      const output = logOutput();
      for (let n = 0; n < 20000; n++) output.write(JSON.stringify({ n, msg: 'passerelle ✓ 网关 ' + 'x'.repeat(n % 300) }) + '\\n');
      process.exit(0);
    `);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line))).toEqual(
      Array.from({ length: 20000 }, (_, n) => ({ n, msg: `passerelle ✓ 网关 ${'x'.repeat(n % 300)}` })),
    );
  });
});
