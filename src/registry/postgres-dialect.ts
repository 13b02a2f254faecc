import { createRequire } from 'node:module';
import type pg from 'pg';
import { RegistryUnavailable, StorageFull, StorageReadOnly } from '../errors.ts';
import { CHANGE_CHANNEL, PgChangeFeed } from './pg-change-feed.ts';
import type { ChangeWatch, DialectExecutor, SqlDialect } from './sql-dialect.ts';

/** Any key shared by the instances that migrate one database: they take turns. */
const MIGRATION_LOCK = 0x43555053; // "CUPS"

/** node-postgres, loaded when a PostgreSQL registry is opened: a SQLite server never pays for it. */
function loadPg(): typeof pg {
  return createRequire(import.meta.url)('pg') as typeof pg;
}

function classify(error: unknown): unknown {
  if (error instanceof RegistryUnavailable) return error;
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  if (code === '53100')
    return new StorageFull(`the PostgreSQL server's disk is full (${message}); nothing was written: free space there and try again`, {
      cause: error,
    });
  if (code === '25006')
    return new StorageReadOnly(`the PostgreSQL server is read-only (${message}); nothing was written: point --db at the primary`, {
      cause: error,
    });
  // SQLSTATE classes 08 (connection), 53 (resources), 57 (shutdown) and socket errors: try later.
  if (!code || /^(08|53|57)/.test(code) || /^E[A-Z]+$/.test(code))
    return new RegistryUnavailable(`the PostgreSQL registry cannot be reached: ${message}`, { cause: error });
  return error;
}

/** Portable `?` placeholders become PostgreSQL's $1, $2, … */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * Several stateless instances on one PostgreSQL. Every statement is named, so node-postgres
 * prepares it once per pooled connection and PostgreSQL parses it once there; statements list
 * their columns rather than `*`, since a column that a newer instance's migration adds would
 * change a prepared statement's result, which PostgreSQL refuses. Calls fail fast with
 * RegistryUnavailable while the database cannot be reached, and the pool reconnects by itself.
 */
export class PostgresDialect implements SqlDialect {
  readonly serialKeyType = 'BIGSERIAL PRIMARY KEY';
  readonly blobType = 'BYTEA';
  private readonly pool: pg.Pool;
  /** Statement names by their text, the same in every connection of this process. */
  private readonly names = new Map<string, string>();

  constructor(
    private readonly url: string,
    private readonly onError: (error: Error) => void = () => {},
  ) {
    this.pool = new (loadPg().Pool)({
      connectionString: url,
      max: 10,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 10_000,
      query_timeout: 5000,
    });
    // An idle client losing its connection (database restarted) must not crash the process.
    this.pool.on('error', onError);
  }

  private statement(sql: string, values: unknown[]): pg.QueryConfig {
    let name = this.names.get(sql);
    if (!name) this.names.set(sql, (name = `cups_${this.names.size + 1}`));
    return { name, text: numbered(sql), values };
  }

  private executor(run: <R extends pg.QueryResultRow>(query: pg.QueryConfig | string) => Promise<pg.QueryResult<R>>): DialectExecutor {
    const attempt = async <T>(work: () => Promise<T>) => {
      try {
        return await work();
      } catch (error) {
        throw classify(error);
      }
    };
    const inTransaction = run !== this.poolQuery;
    const executor: DialectExecutor = {
      all: <T>(sql: string, params: unknown[] = []) => attempt(async () => (await run(this.statement(sql, params))).rows as T[]),
      run: (sql: string, params: unknown[] = []) => attempt(async () => (await run(this.statement(sql, params))).rowCount ?? 0),
      exec: (script: string) => attempt(async () => void (await run(script))),
      transaction: async <T>(work: (tx: DialectExecutor) => Promise<T>) => {
        if (inTransaction) return work(executor);
        const client = await attempt(() => this.pool.connect());
        try {
          await attempt(() => client.query('BEGIN'));
          // The work's own failures are its own: only the driver's are the registry's.
          const result = await work(this.executor((query) => client.query(query)));
          await attempt(() => client.query('COMMIT'));
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        } finally {
          client.release();
        }
      },
    };
    return executor;
  }

  private readonly poolQuery = <R extends pg.QueryResultRow>(query: pg.QueryConfig | string) => this.pool.query<R>(query);

  readonly sql = this.executor(this.poolQuery);

  async lockSchema(tx: DialectExecutor): Promise<void> {
    await tx.all('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
  }

  async announceChange(tx: DialectExecutor): Promise<void> {
    await tx.all('SELECT pg_notify(?, ?)', [CHANGE_CHANNEL, '']);
  }

  /** A LISTEN connection: every writer notifies CHANGE_CHANNEL in its transaction. */
  async watchChanges(onChange: () => void): Promise<ChangeWatch> {
    const feed = new PgChangeFeed(
      () => new (loadPg().Client)({ connectionString: this.url, connectionTimeoutMillis: 2000 }),
      onChange,
      this.onError,
    );
    await feed.start();
    return feed;
  }

  isUniqueViolation(error: unknown): boolean {
    return (error as { code?: string }).code === '23505';
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
