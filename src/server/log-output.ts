import pino from 'pino';

/** Where the service's log lines go: pino writes each line, as text, with `write`. */
export interface LogOutput {
  write(line: string): boolean;
}

/**
 * Standard output, written asynchronously: a busy server's lines go out together, not a write
 * each, and what is still waiting at exit is written then (pino's destination sees to that). The
 * lines wait as bytes, in sonic-boom's buffer mode: waiting as text, every new line had the whole
 * text still waiting measured again, which a profile of first contacts showed in every answer.
 */
export function logOutput(): LogOutput {
  // Its types know only text; in buffer mode it takes bytes.
  const output = pino.destination({ dest: 1, sync: false, contentMode: 'buffer' }) as unknown as { write(bytes: Buffer): boolean };
  return { write: (line) => output.write(Buffer.from(line)) };
}
