/** Portable SQL over either database: `?` placeholders, results as plain rows. */
export interface SqlExecutor {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  /** Runs `work` in one transaction: everything or nothing. Inside one, it runs in the same transaction. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}

/** A database's executor, which also runs scripts: several statements without parameters (migrations). */
export interface DialectExecutor extends SqlExecutor {
  exec(script: string): Promise<void>;
  transaction<T>(work: (tx: DialectExecutor) => Promise<T>): Promise<T>;
}

/** Says when other processes may have changed the database. */
export interface ChangeWatch {
  /** False while changes could go unseen: nothing may be served from memory then. */
  readonly live: boolean;
  stop(): Promise<void>;
}

/**
 * What differs between the databases under the one SQL store (sql-gateway-store.ts): the
 * connection, the placeholders, the column type of bytes, how errors read, and how a change made
 * by one process reaches the others. Every failure of its executor is already one of the
 * registry's errors (RegistryUnavailable, StorageFull, StorageReadOnly), except a unique-key
 * violation, which is passed on as the driver raised it.
 */
export interface SqlDialect {
  /** The column type of bytes. */
  readonly blobType: string;
  /** A primary key column that numbers rows by itself. */
  readonly serialKeyType: string;
  readonly sql: DialectExecutor;
  /** Inside a migration's transaction: waits until no other process is migrating the database. */
  lockSchema(tx: DialectExecutor): Promise<void>;
  /** Inside a write's transaction: tells other processes, once it commits, that the registry changed. */
  announceChange(tx: DialectExecutor): Promise<void>;
  /** Calls `onChange` after other processes commit, and whenever changes may have been missed. */
  watchChanges(onChange: () => void): Promise<ChangeWatch>;
  isUniqueViolation(error: unknown): boolean;
  close(): Promise<void>;
}
