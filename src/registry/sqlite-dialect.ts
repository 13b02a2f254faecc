import { accessSync, constants, mkdirSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { RegistryUnavailable, StorageFull, StorageReadOnly } from '../errors.ts';
import type { ChangeWatch, DialectExecutor, SqlDialect } from './sql-dialect.ts';

/** How stale a kept read may be after another process commits: far inside the promised second. */
const CHANGE_CHECK_MS = 200;

/** SQLite failures that mean "the file cannot be used now", not a bug: answered as 503. */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|NOTADB|CORRUPT|READONLY|FULL|PERM)/;

function classify(error: unknown, file: string): unknown {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message;
  const context = `the SQLite registry ${file} cannot be used`;
  // Said apart from "unavailable": each needs its own fix, and nothing was written (one transaction each).
  if (code.startsWith('SQLITE_FULL'))
    return new StorageFull(`${context}: the disk holding it is full (${message}); nothing was written: free space there and try again`, {
      cause: error,
    });
  if (code.startsWith('SQLITE_READONLY'))
    return new StorageReadOnly(
      `${context}: it or its folder is read-only (${message}); nothing was written: make both writable and try again`,
      {
        cause: error,
      },
    );
  if (UNAVAILABLE.test(code) || !code) return new RegistryUnavailable(`${context}: ${message}`, { cause: error });
  return error;
}

function folderProblem(folder: string): 'read-only' | 'full' | undefined {
  try {
    accessSync(folder, constants.W_OK);
    return statfsSync(folder).bavail === 0 ? 'full' : undefined;
  } catch {
    return 'read-only';
  }
}

/**
 * Transactions of this process in progress, by file. A connection waiting for SQLite's write lock
 * blocks the whole process (better-sqlite3 is synchronous), so while one is open here, every other
 * call on the same file waits in JavaScript for it to end instead; other processes wait in SQLite.
 */
const transactionsEnding = new Map<string | symbol, Promise<void>>();

interface Connection {
  db: Database.Database;
  /** Statements prepared once per connection, by their text. */
  statements: Map<string, Database.Statement>;
}

/**
 * The embedded database: one SQLite file, WAL mode so the CLI and the server share it safely
 * (readers never wait for a writer). A connection that finds the file unreadable is dropped and
 * reopened on the next call, so the service recovers by itself once the file is good again.
 * better-sqlite3 is synchronous, so a transaction holds the connection: calls from outside it wait
 * until it ends rather than joining it.
 */
export class SqliteDialect implements SqlDialect {
  readonly serialKeyType = 'INTEGER PRIMARY KEY';
  readonly blobType = 'BLOB';
  private connection: Connection | undefined;
  /** The file, or this connection for an in-memory database: what a transaction holds. */
  private readonly lockKey: string | symbol;

  constructor(
    private readonly file: string,
    private readonly options: { busyTimeoutMs?: number } = {},
  ) {
    this.lockKey = file === ':memory:' ? Symbol(file) : file;
    this.connect();
  }

  private connect(): Connection {
    if (this.connection) return this.connection;
    let db: Database.Database | undefined;
    try {
      if (this.file !== ':memory:') mkdirSync(dirname(this.file), { recursive: true });
      db = new Database(this.file);
      db.pragma('journal_mode = WAL');
      // WAL with NORMAL sync: no corruption on power loss, and no fsync on every contact record.
      db.pragma('synchronous = NORMAL');
      db.pragma(`busy_timeout = ${this.options.busyTimeoutMs ?? 2000}`);
      this.connection = { db, statements: new Map() };
      return this.connection;
    } catch (error) {
      db?.close();
      // SQLite says only "unable to open" or "disk I/O error": its WAL and shared-memory files
      // need a writable folder with room, so look at the folder to say which.
      const problem = this.file === ':memory:' ? undefined : folderProblem(dirname(this.file));
      if (problem === 'read-only') {
        throw new StorageReadOnly(
          `cannot open the SQLite registry ${this.file}: its folder is not writable (SQLite keeps its WAL files there); make it writable and try again`,
        );
      }
      if (problem === 'full') {
        throw new StorageFull(
          `cannot open the SQLite registry ${this.file}: the disk holding it is full (SQLite needs room for its WAL files); free space there and try again`,
        );
      }
      throw classify(error, this.file);
    }
  }

  private disconnect(): void {
    try {
      this.connection?.db.close();
    } catch {
      // already unusable
    }
    this.connection = undefined;
  }

  /** Runs work on the connection, turning "file busy, locked or unreadable" into the registry's errors. */
  private use<T>(work: (connection: Connection) => T): T {
    const connection = this.connect();
    try {
      return work(connection);
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      // A busy or locked file clears by itself; anything else may need a fresh connection.
      if (UNAVAILABLE.test(code) && !/^SQLITE_(BUSY|LOCKED)/.test(code)) this.disconnect();
      throw classify(error, this.file);
    }
  }

  private static statement(connection: Connection, sql: string): Database.Statement {
    let statement = connection.statements.get(sql);
    if (!statement) connection.statements.set(sql, (statement = connection.db.prepare(sql)));
    return statement;
  }

  /** Waits while a transaction of this process holds the file, unless called from inside it. */
  private async turn(inTransaction: boolean): Promise<void> {
    while (!inTransaction && transactionsEnding.has(this.lockKey)) await transactionsEnding.get(this.lockKey);
  }

  private executor(inTransaction: boolean): DialectExecutor {
    const executor: DialectExecutor = {
      all: async <T>(sql: string, params: unknown[] = []) => {
        await this.turn(inTransaction);
        return this.use((connection) => SqliteDialect.statement(connection, sql).all(...params) as T[]);
      },
      run: async (sql: string, params: unknown[] = []) => {
        await this.turn(inTransaction);
        return this.use((connection) => SqliteDialect.statement(connection, sql).run(...params).changes);
      },
      exec: async (script: string) => {
        await this.turn(inTransaction);
        this.use(({ db }) => db.exec(script));
      },
      transaction: async <T>(work: (tx: DialectExecutor) => Promise<T>) => {
        if (inTransaction) return work(executor);
        // Checked and taken with no await between: two callers cannot both pass.
        while (transactionsEnding.has(this.lockKey)) await transactionsEnding.get(this.lockKey);
        let end = () => {};
        transactionsEnding.set(this.lockKey, new Promise((resolve) => (end = resolve)));
        try {
          this.use(({ db }) => db.exec('BEGIN IMMEDIATE'));
          try {
            const result = await work(this.executor(true));
            this.use(({ db }) => db.exec('COMMIT'));
            return result;
          } catch (error) {
            this.use(({ db }) => db.inTransaction && db.exec('ROLLBACK'));
            throw error;
          }
        } finally {
          transactionsEnding.delete(this.lockKey);
          end();
        }
      },
    };
    return executor;
  }

  readonly sql = this.executor(false);

  async lockSchema(): Promise<void> {
    // BEGIN IMMEDIATE already holds the file's one write lock.
  }

  async announceChange(): Promise<void> {
    // Other processes see commits through PRAGMA data_version (watchChanges).
  }

  /** Watches PRAGMA data_version, which changes when another connection commits. */
  async watchChanges(onChange: () => void): Promise<ChangeWatch> {
    let watched: Connection | undefined;
    let version = -1;
    let live = false;
    let checkedAt = 0;
    let stopped = false;
    const check = () => {
      checkedAt = Date.now();
      try {
        const connection = this.connect();
        const now = connection.db.pragma('data_version', { simple: true }) as number;
        // A new connection counts from its own start: what happened in between is unknown.
        if (connection !== watched || now !== version) onChange();
        watched = connection;
        version = now;
        live = true;
      } catch {
        if (live) onChange();
        live = false;
      }
    };
    check();
    // Checked when a read asks and the last check is CHANGE_CHECK_MS old: a read after a quiet
    // spell sees a commit made a moment before, and a busy server checks five times a second.
    return {
      get live() {
        if (stopped) return false;
        if (Date.now() - checkedAt >= CHANGE_CHECK_MS) check();
        return live;
      },
      stop: async () => {
        stopped = true;
      },
    };
  }

  isUniqueViolation(error: unknown): boolean {
    return /^SQLITE_CONSTRAINT_(PRIMARYKEY|UNIQUE)$/.test((error as { code?: string }).code ?? '');
  }

  async close(): Promise<void> {
    this.disconnect();
  }
}
