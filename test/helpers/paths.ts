import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Byte vectors from real stations, servers and proxies (their sources: fixtures/vectors/README.md). */
export const VECTORS = join(REPO_ROOT, 'fixtures', 'vectors');
export const CUPS_BIN = join(REPO_ROOT, 'bin', 'cups.js');
