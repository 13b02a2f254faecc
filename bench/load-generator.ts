import { type ChildProcess, fork } from 'node:child_process';
import autocannon from 'autocannon';
import type { Load } from './rounds.ts';

/** One request as a station sends it: its headers (the forwarded certificate among them) and body. */
export interface StationRequest {
  headers: Record<string, string>;
  body: string;
}

type Message =
  | { define: string; requests: StationRequest[] }
  | { run: string; id: number; port: number; path: string; connections: number; seconds?: number; amount?: number };

/**
 * autocannon in a process of its own: the server under test and its baseline share no core, no
 * heap and no event loop with the client. Request sets are sent once and then named by each run;
 * a run's requests take turns through its set.
 */
export class LoadGenerator {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (load: Load) => void; reject: (error: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: { id: number; load?: Load; error?: string }) => {
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.load!);
    });
  }

  static start(): LoadGenerator {
    return new LoadGenerator(
      fork(new URL(import.meta.url), ['generate'], { execArgv: ['--import', 'tsx/esm'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
  }

  define(name: string, requests: StationRequest[]): void {
    this.child.send({ define: name, requests } satisfies Message);
  }

  /** Runs the named set against a port; any answer but 2xx, or any error, fails the bench. */
  run(name: string, port: number, path: string, options: { connections: number; seconds?: number; amount?: number }): Promise<Load> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ run: name, id, port, path, ...options } satisfies Message);
    });
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

async function generate(): Promise<void> {
  const sets = new Map<string, StationRequest[]>();
  process.on('message', async (message: Message) => {
    if ('define' in message) {
      sets.set(message.define, message.requests);
      return;
    }
    const requests = sets.get(message.run)!;
    let i = 0;
    try {
      const result = await autocannon({
        url: `http://127.0.0.1:${message.port}`,
        connections: message.connections,
        ...(message.amount ? { amount: message.amount } : { duration: message.seconds ?? 3 }),
        requests: [
          {
            method: 'POST',
            path: message.path,
            setupRequest: (req) => {
              const request = requests[i++ % requests.length]!;
              return { ...req, headers: request.headers, body: request.body };
            },
          },
        ],
      });
      if (result.non2xx > 0 || result.errors > 0)
        throw new Error(`${message.path}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
      process.send!({ id: message.id, load: { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 } });
    } catch (error) {
      process.send!({ id: message.id, error: (error as Error).message });
    }
  });
}

if (process.argv[2] === 'generate') await generate();
