import { accessSync, constants, mkdirSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { GatewayExists, GatewayNotFound, RegistryUnavailable, StorageFull, StorageReadOnly } from '../errors.ts';
import type { CredentialsField, Gateway, GatewayChanges, GatewayStore, LastContact, NewGateway, SqlExecutor } from './gateway.ts';
import { CHANGE_COLUMNS, CREDENTIAL_COLUMNS, columnValue, type GatewayRow, MIGRATIONS, toGateway } from './schema.ts';

/** How stale a read may be after another process commits: far inside the promised second. */
const CHANGE_CHECK_MS = 200;
const MAX_CACHED_READS = 200_000;

/** SQLite failures that mean "the file cannot be used now", not a bug: answered as 503. */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|NOTADB|CORRUPT|READONLY|FULL|PERM)/;

function unavailable(error: unknown, context: string, file: string): Error {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message;
  // Said apart from "unavailable": each needs its own fix, and nothing was written (one transaction each).
  if (code.startsWith('SQLITE_FULL'))
    return new StorageFull(
      `${context}: the disk holding ${file} is full (${message}); nothing was written: free space there and try again`,
      {
        cause: error,
      },
    );
  if (code.startsWith('SQLITE_READONLY'))
    return new StorageReadOnly(
      `${context}: ${file} or its folder is read-only (${message}); nothing was written: make both writable and try again`,
      {
        cause: error,
      },
    );
  if (UNAVAILABLE.test(code) || !code) return new RegistryUnavailable(`${context}: ${message}`, { cause: error });
  return error as Error;
}

function folderProblem(folder: string): 'read-only' | 'full' | undefined {
  try {
    accessSync(folder, constants.W_OK);
    return statfsSync(folder).bavail === 0 ? 'full' : undefined;
  } catch {
    return 'read-only';
  }
}

/** Applies the schema migrations not yet applied, each in its own transaction. */
function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set(
    db
      .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
      .all()
      .map((r) => r.version),
  );
  MIGRATIONS.forEach((migration, index) => {
    const version = index + 1;
    if (applied.has(version)) return;
    db.transaction(() => {
      db.exec(migration({ blob: 'BLOB' }));
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, new Date().toISOString());
    })();
  });
}

function newRow(gateway: NewGateway, now: string): Record<string, unknown> {
  return {
    eui: gateway.eui,
    tenant: gateway.tenant,
    name: gateway.name,
    lnsUri: gateway.lnsUri,
    lnsCredentials: gateway.lnsCredentials,
    cupsUri: gateway.cupsUri,
    cupsCredentials: gateway.cupsCredentials,
    pinned: columnValue('pinnedCertificates', gateway.pinnedCertificates ?? []),
    now,
  };
}

function prepareStatements(db: Database.Database) {
  return {
    get: db.prepare<[string], GatewayRow>('SELECT * FROM gateways WHERE eui = ?'),
    list: db.prepare<[], GatewayRow>('SELECT * FROM gateways ORDER BY tenant, eui'),
    listTenant: db.prepare<[string], GatewayRow>('SELECT * FROM gateways WHERE tenant = ? ORDER BY eui'),
    insert: db.prepare(
      `INSERT INTO gateways (eui, tenant, name, lns_uri, lns_credentials, cups_uri, cups_credentials, pinned_certificates, created_at, updated_at)
       VALUES (@eui, @tenant, @name, @lnsUri, @lnsCredentials, @cupsUri, @cupsCredentials, @pinned, @now, @now)`,
    ),
    remove: db.prepare<[string]>('DELETE FROM gateways WHERE eui = ?'),
    contact: db.prepare(
      `UPDATE gateways SET last_contact_at = @at, last_station = @station, last_model = @model, last_package = @package, last_peer = @peer
       WHERE eui = @eui`,
    ),
    getSetting: db.prepare<[string], { value: Buffer }>('SELECT value FROM settings WHERE name = ?'),
    setSetting: db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
    ping: db.prepare('SELECT count(*) FROM settings'),
  };
}

interface Connection {
  db: Database.Database;
  statements: ReturnType<typeof prepareStatements>;
  /** Statements of the portable SQL executor, prepared once per connection. */
  prepared: Map<string, Database.Statement>;
}

function prepared(connection: Connection, sql: string): Database.Statement {
  let statement = connection.prepared.get(sql);
  if (!statement) connection.prepared.set(sql, (statement = connection.db.prepare(sql)));
  return statement;
}

/**
 * The embedded registry: one SQLite file, WAL mode so the CLI and the server share it safely
 * (readers never wait for a writer). A connection that finds the file unreadable is dropped and
 * reopened on the next call, so the service recovers by itself once the file is good again.
 */
export class SqliteRegistry implements GatewayStore {
  private connection: Connection | undefined;
  /** Reads served from memory until this connection writes or another one commits: gateways by EUI, and portable SQL reads. */
  private readonly gatewayReads = new Map<string, unknown>();
  private readonly sqlReads = new Map<string, unknown>();
  private dataVersion = -1;
  private checkedAt = 0;

  constructor(
    private readonly file: string,
    private readonly options: { busyTimeoutMs?: number } = {},
  ) {
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
      migrate(db);
      this.connection = { db, statements: prepareStatements(db), prepared: new Map() };
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
      throw unavailable(error, `cannot open the SQLite registry ${this.file}`, this.file);
    }
  }

  /** Runs work on the connection, turning "file busy, locked or unreadable" into RegistryUnavailable. */
  private run<T>(work: (connection: Connection) => T): T {
    const connection = this.connect();
    try {
      return work(connection);
    } catch (error) {
      if (error instanceof GatewayExists || error instanceof GatewayNotFound) throw error;
      const code = (error as { code?: string }).code ?? '';
      // A busy or locked file clears by itself; anything else may need a fresh connection.
      if (UNAVAILABLE.test(code) && !/^SQLITE_(BUSY|LOCKED)/.test(code)) this.disconnect();
      throw unavailable(error, 'the SQLite registry cannot be used', this.file);
    }
  }

  /**
   * A read served from memory when nothing changed: writes through this connection clear the
   * cache, and commits by other processes (the CLI) are seen through `PRAGMA data_version`,
   * checked at most every CHANGE_CHECK_MS.
   */
  private cachedRead<T>(reads: Map<string, unknown>, key: string, load: (connection: Connection) => T): T {
    // The hot path: a read kept and no change check due touches neither the connection nor SQLite.
    const now = Date.now();
    if (now - this.checkedAt < CHANGE_CHECK_MS && reads.has(key)) return reads.get(key) as T;
    return this.run((connection) => {
      if (now - this.checkedAt >= CHANGE_CHECK_MS) {
        this.checkedAt = now;
        const version = connection.db.pragma('data_version', { simple: true }) as number;
        if (version !== this.dataVersion) {
          this.forgetReads();
          this.dataVersion = version;
        }
      }
      if (reads.has(key)) return reads.get(key) as T;
      const value = load(connection);
      if (reads.size >= MAX_CACHED_READS) reads.clear();
      if (!connection.db.inTransaction) reads.set(key, value);
      return value;
    });
  }

  /** Runs a write and forgets every cached read. */
  private write<T>(work: (connection: Connection) => T): T {
    try {
      return this.run(work);
    } finally {
      this.forgetReads();
    }
  }

  private forgetReads(): void {
    this.gatewayReads.clear();
    this.sqlReads.clear();
  }

  private disconnect(): void {
    this.forgetReads();
    try {
      this.connection?.db.close();
    } catch {
      // already unusable
    }
    this.connection = undefined;
  }

  async get(eui: string): Promise<Gateway | undefined> {
    return this.cachedRead(this.gatewayReads, eui, ({ statements }) => {
      const row = statements.get.get(eui);
      return row && toGateway(row);
    });
  }

  async list(filter: { tenant?: string } = {}): Promise<Gateway[]> {
    return this.run(({ statements }) => (filter.tenant ? statements.listTenant.all(filter.tenant) : statements.list.all())).map(toGateway);
  }

  private static insert(connection: Connection, gateway: NewGateway, now: string, index?: number): void {
    try {
      connection.statements.insert.run(newRow(gateway, now));
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new GatewayExists(`gateway ${gateway.eui} is already registered`, index);
      }
      throw error;
    }
  }

  async add(gateway: NewGateway): Promise<Gateway> {
    this.write((connection) => SqliteRegistry.insert(connection, gateway, new Date().toISOString()));
    return (await this.get(gateway.eui))!;
  }

  async addMany(gateways: NewGateway[], onProgress?: (written: number) => void): Promise<void> {
    const now = new Date().toISOString();
    this.write((connection) =>
      connection.db.transaction(() => {
        gateways.forEach((gateway, index) => {
          SqliteRegistry.insert(connection, gateway, now, index);
          if (onProgress && (index + 1) % 250 === 0) onProgress(index + 1);
        });
      })(),
    );
    onProgress?.(gateways.length);
  }

  async update(eui: string, changes: GatewayChanges): Promise<Gateway> {
    const fields = (Object.keys(changes) as (keyof GatewayChanges)[]).filter((key) => changes[key] !== undefined);
    const assignments = [...fields.map((key) => `${CHANGE_COLUMNS[key]} = @${key}`), 'updated_at = @now'].join(', ');
    const values = Object.fromEntries(fields.map((key) => [key, columnValue(key, changes[key])]));
    const result = this.write(({ db }) =>
      db.prepare(`UPDATE gateways SET ${assignments} WHERE eui = @eui`).run({ ...values, eui, now: new Date().toISOString() }),
    );
    if (result.changes === 0) throw new GatewayNotFound(`gateway ${eui} is not registered`);
    return (await this.get(eui))!;
  }

  async remove(eui: string): Promise<boolean> {
    return this.write(({ statements }) => statements.remove.run(eui).changes > 0);
  }

  async recordContacts(contacts: ReadonlyMap<string, LastContact>): Promise<void> {
    this.run(({ db, statements }) =>
      db.transaction(() => {
        for (const [eui, contact] of contacts) statements.contact.run({ eui, ...contact });
      })(),
    );
    // Only these gateways' rows and the (few) catalog reads can have changed.
    for (const eui of contacts.keys()) this.gatewayReads.delete(eui);
    this.sqlReads.clear();
  }

  async ping(): Promise<void> {
    this.run(({ statements }) => statements.ping.get());
  }

  async getSetting(name: string): Promise<Buffer | undefined> {
    return this.run(({ statements }) => statements.getSetting.get(name))?.value;
  }

  async setSetting(name: string, value: Buffer): Promise<void> {
    this.write(({ statements }) => statements.setSetting.run(name, value));
  }

  async rewriteCredentials(rewrite: (eui: string, field: CredentialsField, stored: Buffer) => Buffer | undefined): Promise<number> {
    return this.write(({ db, statements }) =>
      db.transaction(() => {
        let changed = 0;
        for (const row of statements.list.all()) {
          for (const [field, column] of Object.entries(CREDENTIAL_COLUMNS) as [CredentialsField, keyof GatewayRow][]) {
            const stored = row[column] as Buffer | null;
            const next = stored && rewrite(row.eui, field, stored);
            if (!next) continue;
            db.prepare(`UPDATE gateways SET ${column} = ? WHERE eui = ?`).run(next, row.eui);
            changed++;
          }
        }
        return changed;
      })(),
    );
  }

  readonly sql: SqlExecutor = {
    all: async <T>(sql: string, params: unknown[] = []) =>
      this.cachedRead(this.sqlReads, `${sql}\n${JSON.stringify(params)}`, (connection) => prepared(connection, sql).all(...params) as T[]),
    run: async (sql: string, params: unknown[] = []) => this.write((connection) => prepared(connection, sql).run(...params).changes),
    // The CLI is the only writer of these tables; an async transaction holds the write lock throughout.
    transaction: async <T>(work: (tx: SqlExecutor) => Promise<T>) => {
      this.run(({ db }) => db.exec('BEGIN IMMEDIATE'));
      try {
        const result = await work(this.sql);
        this.write(({ db }) => db.exec('COMMIT'));
        return result;
      } catch (error) {
        this.write(({ db }) => db.inTransaction && db.exec('ROLLBACK'));
        throw error;
      }
    },
  };

  async close(): Promise<void> {
    this.disconnect();
  }
}
