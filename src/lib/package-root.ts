import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The project's folder: two folders up from the sources (src/lib), three from the built dist/src/lib. */
export function packageRoot(): string {
  const root = [new URL('../../', import.meta.url), new URL('../../../', import.meta.url)].find((url) =>
    existsSync(new URL('package.json', url)),
  )!;
  return fileURLToPath(root);
}
