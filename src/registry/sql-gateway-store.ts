import type { LRUCache } from 'lru-cache';
import { formatEuiHex, parseEui } from '../../protocol/index.ts';
import { GatewayExists, GatewayNotFound } from '../errors.ts';
import { boundedCache } from '../lib/bounded-cache.ts';
import { inFixedBatches, placeholderRows } from './fixed-batches.ts';
import type {
  CredentialsField,
  Gateway,
  GatewayChanges,
  GatewayQuery,
  GatewayStore,
  LastContact,
  NewGateway,
  PendingRenewal,
} from './gateway-registry.ts';
import { CHANGE_COLUMNS, CREDENTIAL_COLUMNS, columnValue, GATEWAY_COLUMNS, type GatewayRow, MIGRATIONS, toGateway } from './schema.ts';
import type { ChangeWatch, DialectExecutor, SqlDialect, SqlExecutor } from './sql-dialect.ts';

/** How long a read may be kept at most: changes made by hand in SQL, which no watch sees, are served by then. */
const READ_TTL_MS = 30_000;
const MAX_KEPT_GATEWAYS = 200_000;
const MAX_KEPT_SQL_READS = 1_000;

const COLUMNS = GATEWAY_COLUMNS.join(', ');
const GET = `SELECT ${COLUMNS} FROM gateways WHERE eui = ?`;
const LIST = `SELECT ${COLUMNS} FROM gateways ORDER BY tenant, eui`;
const LIST_TENANT = `SELECT ${COLUMNS} FROM gateways WHERE tenant = ? ORDER BY eui`;
const INSERT = `INSERT INTO gateways (eui, tenant, name, lns_uri, lns_credentials, cups_uri, cups_credentials, pinned_certificates,
  self_signed_sha256, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const recordContactsSql = (count: number) =>
  `WITH c (eui, at, station, model, package, peer, cert_sha256, cert_serial, cert_not_after) AS (VALUES ${placeholderRows(count, 9)})
   UPDATE gateways SET last_contact_at = c.at, last_station = c.station, last_model = c.model, last_package = c.package, last_peer = c.peer,
     last_cert_sha256 = c.cert_sha256, last_cert_serial = c.cert_serial, last_cert_not_after = c.cert_not_after
   FROM c WHERE gateways.eui = c.eui`;

/** The EUI `text` spells, if it spells one. */
function euiOrUndefined(text: string): string | undefined {
  try {
    return formatEuiHex(parseEui(text));
  } catch {
    return undefined;
  }
}

const insertValues = (gateway: NewGateway, now: string): unknown[] => [
  gateway.eui,
  gateway.tenant,
  gateway.name,
  gateway.lnsUri,
  gateway.lnsCredentials,
  gateway.cupsUri,
  gateway.cupsCredentials,
  columnValue('pinnedCertificates', gateway.pinnedCertificates ?? []),
  gateway.selfSignedCertificate ?? null,
  now,
  now,
];

/**
 * The registry's storage, written once over a SQL dialect (SQLite or PostgreSQL): migrations,
 * reads kept in memory, writes, and credential rewriting. A long-running server keeps reads
 * (`keepReadsFresh`): every write here forgets them, and the dialect's watch says when another
 * process committed, so a change made anywhere is served everywhere within a second. While the
 * watch cannot see changes, every read goes to the database.
 */
export class SqlGatewayStore implements GatewayStore {
  private migrated: Promise<void> | undefined;
  private watch: ChangeWatch | undefined;
  private readonly keptGateways = boundedCache<string, { gateway: Gateway | undefined }>(MAX_KEPT_GATEWAYS, { ttlMs: READ_TTL_MS });
  private readonly keptSqlReads = boundedCache<string, unknown[]>(MAX_KEPT_SQL_READS, { ttlMs: READ_TTL_MS });
  /** Bumped on every change: a read that started before one is not kept. */
  private generation = 0;

  constructor(private readonly dialect: SqlDialect) {}

  async keepReadsFresh(): Promise<void> {
    this.watch ??= await this.dialect.watchChanges(() => this.forgetReads());
  }

  private forgetReads(): void {
    this.generation++;
    this.keptGateways.clear();
    this.keptSqlReads.clear();
  }

  private async kept<V extends {}>(reads: LRUCache<string, V>, key: string, load: () => Promise<V>): Promise<V> {
    if (!this.watch?.live) return load();
    const known = reads.get(key);
    if (known) return known;
    const generation = this.generation;
    const value = await load();
    if (this.watch.live && generation === this.generation) reads.set(key, value);
    return value;
  }

  private ready(): Promise<void> {
    this.migrated ??= this.migrate().catch((error: unknown) => {
      this.migrated = undefined;
      throw error;
    });
    return this.migrated;
  }

  /** Applies the migrations not yet applied, each once, in its own transaction, one process at a time. */
  private async migrate(): Promise<void> {
    const { sql } = this.dialect;
    await sql.transaction(async (tx) => {
      await this.dialect.lockSchema(tx);
      await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    });
    const applied = new Set(
      (await sql.all<{ version: number }>('SELECT version FROM schema_migrations')).map((row) => Number(row.version)),
    );
    for (const [index, migration] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (applied.has(version)) continue;
      await sql.transaction(async (tx) => {
        await this.dialect.lockSchema(tx);
        // Another process may have applied it while this one waited for the lock.
        if ((await tx.all('SELECT version FROM schema_migrations WHERE version = ?', [version])).length) return;
        await tx.exec(migration({ blob: this.dialect.blobType, serialKey: this.dialect.serialKeyType, now: new Date().toISOString() }));
        await tx.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [version, new Date().toISOString()]);
      });
    }
  }

  private async read<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    await this.ready();
    return this.dialect.sql.all<T>(sql, params);
  }

  /** Runs a write and its change announcement in one transaction; this process forgets its reads at once. */
  private async write<T>(work: (tx: DialectExecutor) => Promise<T>): Promise<T> {
    await this.ready();
    try {
      return await this.dialect.sql.transaction(async (tx) => {
        const result = await work(tx);
        await this.dialect.announceChange(tx);
        return result;
      });
    } finally {
      this.forgetReads();
    }
  }

  async get(eui: string, options: { fresh?: boolean } = {}): Promise<Gateway | undefined> {
    const load = async () => {
      const [row] = await this.read<GatewayRow>(GET, [eui]);
      return { gateway: row && toGateway(row) };
    };
    return (options.fresh ? await load() : await this.kept(this.keptGateways, eui, load)).gateway;
  }

  async list(filter: { tenant?: string; expiringBefore?: string } = {}): Promise<Gateway[]> {
    if (filter.expiringBefore !== undefined) {
      const rows = await this.read<GatewayRow>(
        `SELECT ${COLUMNS} FROM gateways WHERE last_cert_not_after < ?${filter.tenant ? ' AND tenant = ?' : ''} ORDER BY last_cert_not_after, eui`,
        filter.tenant ? [filter.expiringBefore, filter.tenant] : [filter.expiringBefore],
      );
      return rows.map(toGateway);
    }
    const rows = filter.tenant ? await this.read<GatewayRow>(LIST_TENANT, [filter.tenant]) : await this.read<GatewayRow>(LIST);
    return rows.map(toGateway);
  }

  async page({ tenant, q, after, limit, expiringBefore }: GatewayQuery): Promise<Gateway[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const and = (clause: string, value: unknown) => {
      where.push(clause);
      params.push(value);
    };
    if (tenant !== undefined) and('tenant = ?', tenant);
    if (after !== undefined) and('eui > ?', after);
    if (expiringBefore !== undefined) and('last_cert_not_after < ?', expiringBefore);
    const eui = q === undefined ? undefined : euiOrUndefined(q);
    // LIKE's wildcards in the text are matched as themselves.
    if (eui) and('eui = ?', eui);
    else if (q !== undefined) and("lower(name) LIKE lower(?) ESCAPE '\\'", `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    const sql = `SELECT ${COLUMNS} FROM gateways${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY eui LIMIT ?`;
    return (await this.read<GatewayRow>(sql, [...params, limit])).map(toGateway);
  }

  /** The tenant's row, made if missing: registering a gateway makes its tenant. */
  private static ensureTenant(tx: SqlExecutor, tenant: string, now: string): Promise<number> {
    return tx.run('INSERT INTO tenants (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING', [tenant, now]);
  }

  private async insert(tx: SqlExecutor, gateway: NewGateway, now: string, index?: number): Promise<void> {
    try {
      await tx.run(INSERT, insertValues(gateway, now));
    } catch (error) {
      if (this.dialect.isUniqueViolation(error)) throw new GatewayExists(`gateway ${gateway.eui} is already registered`, index);
      throw error;
    }
  }

  async add(gateway: NewGateway): Promise<Gateway> {
    const now = new Date().toISOString();
    await this.write(async (tx) => {
      await SqlGatewayStore.ensureTenant(tx, gateway.tenant, now);
      await this.insert(tx, gateway, now);
    });
    return (await this.get(gateway.eui))!;
  }

  async addMany(gateways: NewGateway[], onProgress?: (written: number) => void): Promise<void> {
    const now = new Date().toISOString();
    await this.write(async (tx) => {
      for (const tenant of new Set(gateways.map((g) => g.tenant))) await SqlGatewayStore.ensureTenant(tx, tenant, now);
      for (const [index, gateway] of gateways.entries()) {
        // The first failure ends the transaction: all or nothing.
        await this.insert(tx, gateway, now, index);
        if (onProgress && (index + 1) % 250 === 0) onProgress(index + 1);
      }
    });
    onProgress?.(gateways.length);
  }

  async update(eui: string, changes: GatewayChanges): Promise<Gateway> {
    const fields = (Object.keys(changes) as (keyof GatewayChanges)[]).filter((key) => changes[key] !== undefined);
    const assignments = [...fields.map((key) => `${CHANGE_COLUMNS[key]} = ?`), 'updated_at = ?'].join(', ');
    const now = new Date().toISOString();
    const values = [...fields.map((key) => columnValue(key, changes[key])), now, eui];
    const changed = await this.write(async (tx) => {
      if (changes.tenant !== undefined) await SqlGatewayStore.ensureTenant(tx, changes.tenant, now);
      return tx.run(`UPDATE gateways SET ${assignments} WHERE eui = ?`, values);
    });
    if (changed === 0) throw new GatewayNotFound(`gateway ${eui} is not registered`);
    return (await this.get(eui))!;
  }

  async claimRenewal(
    eui: string,
    renewal: PendingRenewal,
    credentials: Buffer,
  ): Promise<{ claimed: boolean; gateway: Gateway | undefined }> {
    const claimed = await this.write((tx) =>
      tx.run('UPDATE gateways SET renewal = ?, renewal_credentials = ?, updated_at = ? WHERE eui = ? AND renewal IS NULL', [
        JSON.stringify(renewal),
        credentials,
        new Date().toISOString(),
        eui,
      ]),
    );
    return { claimed: claimed > 0, gateway: await this.get(eui, { fresh: true }) };
  }

  async remove(eui: string): Promise<boolean> {
    return (await this.write((tx) => tx.run('DELETE FROM gateways WHERE eui = ?', [eui]))) > 0;
  }

  async recordContacts(contacts: ReadonlyMap<string, LastContact>): Promise<void> {
    await this.ready();
    const rows = [...contacts].map(([eui, c]) => [
      eui,
      c.at,
      c.station,
      c.model,
      c.package,
      c.peer,
      c.certificate?.sha256 ?? null,
      c.certificate?.serial ?? null,
      c.certificate?.notAfter ?? null,
    ]);
    await this.dialect.sql.transaction((tx) => inFixedBatches(rows, recordContactsSql, (sql, params) => tx.run(sql, params)));
    // Neither announced nor forgotten: no answer depends on a contact, and a fleet's contacts would
    // make every instance forget its reads. A kept record shows an older contact until it changes.
  }

  async ping(): Promise<void> {
    await this.read('SELECT 1 AS ok');
  }

  async getSetting(name: string): Promise<Buffer | undefined> {
    return (await this.read<{ value: Buffer }>('SELECT value FROM settings WHERE name = ?', [name]))[0]?.value;
  }

  async setSetting(name: string, value: Buffer): Promise<void> {
    await this.write((tx) =>
      tx.run('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [name, value]),
    );
  }

  async rewriteCredentials(rewrite: (eui: string, field: CredentialsField, stored: Buffer) => Buffer | undefined): Promise<number> {
    return this.write(async (tx) => {
      let changed = 0;
      type Column = (typeof CREDENTIAL_COLUMNS)[CredentialsField];
      const columns = Object.entries(CREDENTIAL_COLUMNS) as [CredentialsField, Column][];
      const rows = await tx.all<Pick<GatewayRow, 'eui' | Column>>(
        `SELECT eui, ${columns.map(([, column]) => column).join(', ')} FROM gateways ORDER BY eui`,
      );
      for (const row of rows) {
        for (const [field, column] of columns) {
          const stored = row[column];
          const next = stored && rewrite(row.eui, field, stored);
          if (!next) continue;
          // Only the value read: one written meanwhile by another process is left as it was written.
          changed += await tx.run(`UPDATE gateways SET ${column} = ? WHERE eui = ? AND ${column} = ?`, [next, row.eui, stored]);
        }
      }
      return changed;
    });
  }

  /** The same database for other tables (the firmware catalog): reads kept like gateways, writes announced. */
  readonly sql: SqlExecutor = {
    all: <T>(sql: string, params: unknown[] = []) =>
      this.kept(this.keptSqlReads, params.length ? `${sql}\n${JSON.stringify(params)}` : sql, () => this.read(sql, params)) as Promise<T[]>,
    run: (sql: string, params: unknown[] = []) => this.write((tx) => tx.run(sql, params)),
    transaction: (work) => this.write(work),
  };

  readonly directSql: SqlExecutor = {
    all: (sql, params = []) => this.read(sql, params),
    run: async (sql, params = []) => {
      await this.ready();
      return this.dialect.sql.run(sql, params);
    },
    transaction: async (work) => {
      await this.ready();
      return this.dialect.sql.transaction(work);
    },
  };

  async close(): Promise<void> {
    await this.watch?.stop();
    await this.dialect.close();
  }
}
