import { availableParallelism, cpus, totalmem } from 'node:os';

/** The machine a result was measured on, as the README and results files name it. */
export const MACHINE = `${availableParallelism()} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
