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
export async function alternate<K extends string, T>(loads: Record<K, () => Promise<T>>, rounds: number): Promise<Record<K, T[]>> {
  const names = Object.keys(loads) as K[];
  const runs = Object.fromEntries(names.map((name) => [name, [] as T[]])) as Record<K, T[]>;
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) runs[name].push(await loads[name]());
  }
  return runs;
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
