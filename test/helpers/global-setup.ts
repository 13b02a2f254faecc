import { existsSync } from 'node:fs';
import { VECTORS } from './paths.ts';

export default function setup(): void {
  if (!existsSync(VECTORS)) {
    throw new Error(`the shared vectors are missing at ${VECTORS}: check out ../shared beside this repository`);
  }
}
