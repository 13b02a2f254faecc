import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** `../shared` beside the checkout, as CI lays it out. */
export const SHARED = join(REPO_ROOT, '..', 'shared');
export const VECTORS = join(SHARED, 'vectors');
export const CUPS_BIN = join(REPO_ROOT, 'bin', 'cups.js');
