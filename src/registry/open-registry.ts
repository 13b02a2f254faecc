import { resolve } from 'node:path';
import { InvalidOption } from '../errors.ts';
import type { SecretKeyring } from '../secrets/keyring.ts';
import type { GatewayStore } from './gateway-registry.ts';
import { PostgresDialect } from './postgres-dialect.ts';
import { SealedRegistry } from './sealed-registry.ts';
import { SqlGatewayStore } from './sql-gateway-store.ts';
import { SqliteDialect } from './sqlite-dialect.ts';
import { SqliteReadThread } from './sqlite-read-thread.ts';

export const DEFAULT_DB_URL = 'sqlite:./data/cups.db';

/** The SQLite file a `--db` URL names (`:memory:` as it is, a path resolved from the working folder), or undefined for another database. */
function sqliteFileOf(url: string): string | undefined {
  if (!url.startsWith('sqlite:')) return undefined;
  const path = url.slice('sqlite:'.length);
  if (!path) throw new InvalidOption('the sqlite: URL needs a file path, e.g. sqlite:./data/cups.db');
  return path === ':memory:' ? path : resolve(path);
}

/** The storage a `--db` URL names: `sqlite:PATH` (relative to the working folder) or `postgres://…`. */
export function openStore(url: string, onError?: (error: Error) => void): GatewayStore {
  const file = sqliteFileOf(url);
  if (file) return new SqlGatewayStore(new SqliteDialect(file));
  if (/^postgres(ql)?:\/\//.test(url)) return new SqlGatewayStore(new PostgresDialect(url, onError));
  throw new InvalidOption(`unsupported --db URL "${url}": use sqlite:PATH or postgres://USER@HOST:PORT/DATABASE`);
}

/**
 * Where reads over every gateway go: for a SQLite file, a thread of their own (off the event loop
 * that answers gateways); for PostgreSQL (and an in-memory SQLite, which no other connection can
 * open), the store's direct connection.
 */
export function longReadsFor(url: string, store: GatewayStore): LongReads {
  const file = sqliteFileOf(url);
  if (file && file !== ':memory:') return new SqliteReadThread(file);
  return {
    all: <T>(sql: string, params?: unknown[]) => store.directSql.all<T>(sql, params),
    close: async () => {},
  };
}

/** Reads that take long (every gateway counted), kept off the way of gateways' answers. */
export interface LongReads {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** The registry with its secrets sealed under `keyring`. */
export function openRegistry(url: string, keyring: SecretKeyring, onError?: (error: Error) => void): SealedRegistry {
  return new SealedRegistry(openStore(url, onError), keyring);
}
