import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** One load's figures: mean requests a second and latency percentiles in ms. */
export interface Load {
  rps: number;
  p50: number;
  p99: number;
  /** The server's CPU time (user and system) per request answered, in µs, where measured. */
  cpuUs?: number;
}

/**
 * Short rounds of each load in turn, the order reversed every other round (A B C, C B A, ...).
 * On shared cores the machine's speed drifts over seconds: taking turns closely puts every side
 * in the same weather, and reversing the order keeps any side from always following another.
 */
export async function alternate<K extends string, T>(
  loads: Record<K, () => Promise<T>>,
  rounds: number,
  /** Where the reversals stand: rounds taken before these, by `alternateOverProcesses`. */
  firstRound = 0,
): Promise<Record<K, T[]>> {
  const names = Object.keys(loads) as K[];
  const runs = Object.fromEntries(names.map((name) => [name, [] as T[]])) as Record<K, T[]>;
  for (let round = firstRound; round < firstRound + rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) runs[name].push(await loads[name]());
  }
  return runs;
}

/** How many sets of server processes the rounds of a comparison are spread over. */
export const PROCESS_GENERATIONS = 4;

/**
 * `alternate`, its rounds spread over `generations` sets of servers, each started anew (by
 * `start`, told which set it starts, for `startInOrder`) and
 * stopped (`stop`) before the next set starts; the last set is left running and returned. A
 * server process keeps whatever speed V8 settled on while it started (its inline caches) for as
 * long as it lives, a few percent either way, so a single pair of processes would put that luck
 * into every round of a ratio; several pairs average it out.
 */
export async function alternateOverProcesses<S, K extends string, T>(
  { rounds, generations = PROCESS_GENERATIONS }: { rounds: number; generations?: number },
  start: (generation: number) => Promise<S>,
  loads: (servers: S) => Record<K, () => Promise<T>>,
  stop: (servers: S) => Promise<void>,
): Promise<{ runs: Record<K, T[]>; last: S }> {
  let runs: Record<K, T[]> | undefined;
  let servers: S | undefined;
  for (let generation = 0, done = 0; generation < generations; generation++) {
    if (servers !== undefined) await stop(servers);
    servers = await start(generation);
    const share = Math.round(((generation + 1) * rounds) / generations) - done;
    const taken = await alternate(loads(servers), share, done);
    done += share;
    if (!runs) runs = taken;
    else for (const name of Object.keys(taken) as K[]) runs[name].push(...taken[name]);
  }
  return { runs: runs!, last: servers! };
}

/** Starts the named servers one after another; odd generations start them in the other order. */
export async function startInOrder<N extends string, P>(starters: Record<N, () => Promise<P>>, generation: number): Promise<Record<N, P>> {
  const names = Object.keys(starters) as N[];
  const started = {} as Record<N, P>;
  for (const name of generation % 2 === 0 ? names : names.reverse()) started[name] = await starters[name]();
  return started;
}

/** Stops every server process of a set and waits until each has exited, so that none takes CPU from the next set. */
export async function stopServers(servers: Record<string, { child: ChildProcess }>): Promise<void> {
  await Promise.all(
    Object.values(servers).map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }),
  );
}

const middle = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const half = sorted.length >> 1;
  return sorted.length % 2 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
};

/** The median of the round-by-round ratios: each pair ran seconds apart, so drift cancels, and no single disturbed round decides. */
export const pairedRatio = (subject: Load[], baseline: Load[]): number => middle(subject.map((run, i) => run.rps / baseline[i]!.rps));

/** A side's figures over its rounds: the median of each, and every round's rate for the record. */
export interface Rounds extends Load {
  rounds: number[];
}

export const typical = (runs: Load[]): Rounds => ({
  rps: middle(runs.map((r) => r.rps)),
  p50: middle(runs.map((r) => r.p50)),
  p99: middle(runs.map((r) => r.p99)),
  ...(runs.every((r) => r.cpuUs !== undefined) ? { cpuUs: middle(runs.map((r) => r.cpuUs!)) } : {}),
  rounds: runs.map((r) => Math.round(r.rps)),
});
