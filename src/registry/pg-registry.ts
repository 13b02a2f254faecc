import { createRequire } from 'node:module';
import type pg from 'pg';
import { GatewayExists, GatewayNotFound, RegistryUnavailable, StorageFull, StorageReadOnly } from '../errors.ts';
import type { CredentialsField, Gateway, GatewayChanges, GatewayStore, LastContact, NewGateway, SqlExecutor } from './gateway.ts';
import { CHANGE_CHANNEL, PgChangeFeed } from './pg-change-feed.ts';
import { CHANGE_COLUMNS, CREDENTIAL_COLUMNS, columnValue, GATEWAY_COLUMNS, type GatewayRow, MIGRATIONS, toGateway } from './schema.ts';

/** Any key shared by the instances that migrate one database: they take turns. */
const MIGRATION_LOCK = 0x43555053; // "CUPS"
const UNIQUE_VIOLATION = '23505';

const INSERT = `INSERT INTO gateways (eui, tenant, name, lns_uri, lns_credentials, cups_uri, cups_credentials, pinned_certificates, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`;

/**
 * The statements of the request path, named: node-postgres prepares each once per pooled
 * connection, and PostgreSQL parses it once there. Columns are listed, not `*`: a column
 * that a newer instance's migration adds would otherwise change a prepared statement's result,
 * which PostgreSQL refuses ("cached plan must not change result type").
 */
const GET_GATEWAY = { name: 'cups_get_gateway', text: `SELECT ${GATEWAY_COLUMNS.join(', ')} FROM gateways WHERE eui = $1` };
const RECORD_CONTACTS = {
  name: 'cups_record_contacts',
  // One statement for the whole batch: a column array each, joined to the rows by EUI.
  text: `UPDATE gateways SET last_contact_at = c.at, last_station = c.station, last_model = c.model, last_package = c.package, last_peer = c.peer
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS c (eui, at, station, model, package, peer)
    WHERE gateways.eui = c.eui`,
};

function insertValues(gateway: NewGateway, now: string): unknown[] {
  return [
    gateway.eui,
    gateway.tenant,
    gateway.name,
    gateway.lnsUri,
    gateway.lnsCredentials,
    gateway.cupsUri,
    gateway.cupsCredentials,
    columnValue('pinnedCertificates', gateway.pinnedCertificates ?? []),
    now,
  ];
}

/** node-postgres, loaded when a PostgreSQL registry is opened: a SQLite server never pays for it. */
function loadPg(): typeof pg {
  return createRequire(import.meta.url)('pg') as typeof pg;
}

/** How long a read may be served from memory at most: changes made by hand in SQL, without NOTIFY, are seen by then. */
const READ_TTL_MS = 30_000;
const MAX_CACHED_READS = 200_000;

/**
 * The registry for several stateless instances on one PostgreSQL. A server keeps reads in memory
 * (`keepReadsFresh`): every write, from any instance or CLI, notifies CHANGE_CHANNEL in its
 * transaction, and every server drops what it holds when told, so a change made anywhere is served
 * everywhere within milliseconds. While the LISTEN connection is down, every read goes to the
 * database. When the database cannot be reached, calls fail fast with RegistryUnavailable and the
 * pool reconnects by itself when it returns; migrations run on first use and are retried until
 * they succeed.
 */
export class PgRegistry implements GatewayStore {
  private readonly pool: pg.Pool;
  private migrated: Promise<void> | undefined;
  private feed: PgChangeFeed | undefined;
  private readonly reads = new Map<string, { value: unknown; at: number }>();
  /** Bumped on every change: a read that started before one is not kept. */
  private generation = 0;

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

  /** Serves reads from memory from now on, kept fresh by LISTEN (a long-running server's choice; the CLI reads afresh). */
  async keepReadsFresh(): Promise<void> {
    this.feed ??= new PgChangeFeed(
      () => new (loadPg().Client)({ connectionString: this.url, connectionTimeoutMillis: 2000 }),
      () => this.forgetReads(),
      this.onError,
    );
    await this.feed.start();
  }

  private forgetReads(): void {
    this.generation++;
    this.reads.clear();
  }

  private async cachedRead<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (!this.feed?.live) return load();
    const now = Date.now();
    const known = this.reads.get(key);
    if (known && now - known.at < READ_TTL_MS) return known.value as T;
    const generation = this.generation;
    const value = await load();
    if (this.feed.live && generation === this.generation) {
      if (this.reads.size >= MAX_CACHED_READS) this.reads.clear();
      this.reads.set(key, { value, at: now });
    }
    return value;
  }

  /** Runs a write and its notification in one transaction; this instance forgets its reads at once. */
  private async write<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      return await this.transaction(async (client) => {
        const result = await work(client);
        await client.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, '']);
        return result;
      });
    } finally {
      this.forgetReads();
    }
  }

  private ready(): Promise<void> {
    this.migrated ??= this.migrate().catch((error: unknown) => {
      this.migrated = undefined;
      throw error;
    });
    return this.migrated;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
      const applied = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
      );
      for (const [index, migration] of MIGRATIONS.entries()) {
        if (applied.has(index + 1)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration({ blob: 'BYTEA' }));
          await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [index + 1, new Date().toISOString()]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
      client.release();
    }
  }

  /** Runs database work, turning connection failures into RegistryUnavailable. */
  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      await this.ready();
      return await work();
    } catch (error) {
      if (error instanceof GatewayExists || error instanceof GatewayNotFound || error instanceof RegistryUnavailable) throw error;
      const code = (error as { code?: string }).code;
      if (code === '53100')
        throw new StorageFull(
          `the PostgreSQL server's disk is full (${(error as Error).message}); nothing was written: free space there and try again`,
          { cause: error },
        );
      if (code === '25006')
        throw new StorageReadOnly(
          `the PostgreSQL server is read-only (${(error as Error).message}); nothing was written: point --db at the primary`,
          { cause: error },
        );
      // SQLSTATE classes 08 (connection), 53 (resources), 57 (shutdown) and socket errors: try later.
      if (!code || /^(08|53|57)/.test(code) || /^E[A-Z]+$/.test(code)) {
        throw new RegistryUnavailable(`the PostgreSQL registry cannot be reached: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    }
  }

  private async query<R extends pg.QueryResultRow>(
    statement: string | { name: string; text: string },
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    return this.run(() => this.pool.query<R>(typeof statement === 'string' ? { text: statement, values } : { ...statement, values }));
  }

  /** Runs `work` in one transaction on one connection. */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.run(async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    });
  }

  async get(eui: string): Promise<Gateway | undefined> {
    return this.cachedRead(`gateway\n${eui}`, async () => {
      const { rows } = await this.query<GatewayRow>(GET_GATEWAY, [eui]);
      return rows[0] && toGateway(rows[0]);
    });
  }

  async list(filter: { tenant?: string } = {}): Promise<Gateway[]> {
    const { rows } = filter.tenant
      ? await this.query<GatewayRow>('SELECT * FROM gateways WHERE tenant = $1 ORDER BY eui', [filter.tenant])
      : await this.query<GatewayRow>('SELECT * FROM gateways ORDER BY tenant, eui');
    return rows.map(toGateway);
  }

  private static taken(error: unknown, gateway: NewGateway, index?: number): unknown {
    return (error as { code?: string }).code === UNIQUE_VIOLATION
      ? new GatewayExists(`gateway ${gateway.eui} is already registered`, index)
      : error;
  }

  async add(gateway: NewGateway): Promise<Gateway> {
    await this.write((client) => client.query(INSERT, insertValues(gateway, new Date().toISOString()))).catch((error: unknown) => {
      throw PgRegistry.taken(error, gateway);
    });
    return (await this.get(gateway.eui))!;
  }

  async addMany(gateways: NewGateway[], onProgress?: (written: number) => void): Promise<void> {
    const now = new Date().toISOString();
    await this.write(async (client) => {
      for (const [index, gateway] of gateways.entries()) {
        // A savepoint-free insert: the first failure aborts the whole transaction, as wanted.
        await client.query(INSERT, insertValues(gateway, now)).catch((error: unknown) => {
          throw PgRegistry.taken(error, gateway, index);
        });
        if (onProgress && (index + 1) % 250 === 0) onProgress(index + 1);
      }
    });
    onProgress?.(gateways.length);
  }

  async update(eui: string, changes: GatewayChanges): Promise<Gateway> {
    const fields = (Object.keys(changes) as (keyof GatewayChanges)[]).filter((key) => changes[key] !== undefined);
    const values = fields.map((key) => columnValue(key, changes[key]));
    const assignments = [...fields.map((key, i) => `${CHANGE_COLUMNS[key]} = $${i + 1}`), `updated_at = $${fields.length + 1}`].join(', ');
    const result = await this.write((client) =>
      client.query(`UPDATE gateways SET ${assignments} WHERE eui = $${fields.length + 2}`, [...values, new Date().toISOString(), eui]),
    );
    if (result.rowCount === 0) throw new GatewayNotFound(`gateway ${eui} is not registered`);
    return (await this.get(eui))!;
  }

  async remove(eui: string): Promise<boolean> {
    return ((await this.write((client) => client.query('DELETE FROM gateways WHERE eui = $1', [eui]))).rowCount ?? 0) > 0;
  }

  async recordContacts(contacts: ReadonlyMap<string, LastContact>): Promise<void> {
    const column = (pick: (contact: LastContact) => string | null) => [...contacts.values()].map(pick);
    await this.query(RECORD_CONTACTS, [
      [...contacts.keys()],
      column((c) => c.at),
      column((c) => c.station),
      column((c) => c.model),
      column((c) => c.package),
      column((c) => c.peer),
    ]);
    // Neither notified nor forgotten here: no answer depends on a contact, and a fleet's contacts
    // would flush every instance's reads. A kept record shows an older contact until it changes.
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async getSetting(name: string): Promise<Buffer | undefined> {
    return (await this.query<{ value: Buffer }>('SELECT value FROM settings WHERE name = $1', [name])).rows[0]?.value;
  }

  async setSetting(name: string, value: Buffer): Promise<void> {
    await this.write((client) =>
      client.query('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [
        name,
        value,
      ]),
    );
  }

  async rewriteCredentials(rewrite: (eui: string, field: CredentialsField, stored: Buffer) => Buffer | undefined): Promise<number> {
    return this.write(async (client) => {
      let changed = 0;
      const { rows } = await client.query<GatewayRow>('SELECT * FROM gateways ORDER BY eui FOR UPDATE');
      for (const row of rows) {
        for (const [field, column] of Object.entries(CREDENTIAL_COLUMNS) as [CredentialsField, keyof GatewayRow][]) {
          const stored = row[column] as Buffer | null;
          const next = stored && rewrite(row.eui, field, stored);
          if (!next) continue;
          await client.query(`UPDATE gateways SET ${column} = $1 WHERE eui = $2`, [next, row.eui]);
          changed++;
        }
      }
      return changed;
    });
  }

  private executor(query: (text: string, values: unknown[]) => Promise<pg.QueryResult>): SqlExecutor {
    // Portable `?` placeholders become PostgreSQL's $1, $2, …
    const numbered = (sql: string) => {
      let n = 0;
      return sql.replace(/\?/g, () => `$${++n}`);
    };
    return {
      all: async <T>(sql: string, params: unknown[] = []) => (await query(numbered(sql), params)).rows as T[],
      run: async (sql: string, params: unknown[] = []) => (await query(numbered(sql), params)).rowCount ?? 0,
      transaction: <T>(work: (tx: SqlExecutor) => Promise<T>) =>
        this.write((client) => work(this.executor((text, values) => client.query(text, values)))),
    };
  }

  /** The firmware catalog's SQL: reads kept like gateways, writes notified. */
  readonly sql: SqlExecutor = (() => {
    const direct = this.executor((text, values) => this.run(() => this.pool.query(text, values)));
    const notified = this.executor((text, values) => this.write((client) => client.query(text, values)));
    return {
      all: <T>(sql: string, params: unknown[] = []) =>
        this.cachedRead(`sql\n${sql}\n${JSON.stringify(params)}`, () => direct.all<T>(sql, params)),
      run: notified.run,
      transaction: direct.transaction,
    };
  })();

  async close(): Promise<void> {
    await this.feed?.stop();
    await this.pool.end();
  }
}
