import { existsSync, readFileSync } from 'node:fs';

/** The version in the project's package.json: two folders up from the sources, three from the built dist/. */
export function packageVersion(): string {
  const file = [new URL('../../package.json', import.meta.url), new URL('../../../package.json', import.meta.url)].find((url) =>
    existsSync(url),
  )!;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
