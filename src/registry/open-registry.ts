import { resolve } from 'node:path';
import type { GatewayRegistry } from './gateway.ts';
import { SqliteRegistry } from './sqlite-registry.ts';

export const DEFAULT_DB_URL = 'sqlite:./data/cups.db';

/** Opens the registry a `--db` URL names: `sqlite:PATH` (relative to the working folder) or `sqlite::memory:`. */
export function openRegistry(url: string): GatewayRegistry {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (!path) throw new Error('the sqlite: URL needs a file path, e.g. sqlite:./data/cups.db');
    return new SqliteRegistry(path === ':memory:' ? path : resolve(path));
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    throw new Error('the PostgreSQL registry is not available in this version; use sqlite:PATH');
  }
  throw new Error(`unsupported --db URL "${url}": use sqlite:PATH`);
}
