import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { GatewayExists, GatewayNotFound } from '../errors.ts';
import type { Gateway, GatewayChanges, GatewayRegistry, LastContact, NewGateway } from './gateway.ts';

/** Schema migrations, applied in order once each; never edit one that has shipped. */
const MIGRATIONS = [
  `CREATE TABLE gateways (
     eui TEXT PRIMARY KEY CHECK (length(eui) = 16),
     tenant TEXT NOT NULL,
     name TEXT,
     lns_uri TEXT NOT NULL,
     lns_credentials BLOB,
     cups_uri TEXT,
     cups_credentials BLOB,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     last_contact_at TEXT,
     last_station TEXT,
     last_model TEXT,
     last_package TEXT,
     last_peer TEXT
   );
   CREATE INDEX gateways_tenant ON gateways (tenant);`,
];

interface Row {
  eui: string;
  tenant: string;
  name: string | null;
  lns_uri: string;
  lns_credentials: Buffer | null;
  cups_uri: string | null;
  cups_credentials: Buffer | null;
  created_at: string;
  updated_at: string;
  last_contact_at: string | null;
  last_station: string | null;
  last_model: string | null;
  last_package: string | null;
  last_peer: string | null;
}

const COLUMN: Record<keyof GatewayChanges, string> = {
  tenant: 'tenant',
  name: 'name',
  lnsUri: 'lns_uri',
  lnsCredentials: 'lns_credentials',
  cupsUri: 'cups_uri',
  cupsCredentials: 'cups_credentials',
};

/** The embedded registry: one SQLite file, WAL mode so the CLI and the server share it safely. */
export class SqliteRegistry implements GatewayRegistry {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.statements = {
      get: this.db.prepare<[string], Row>('SELECT * FROM gateways WHERE eui = ?'),
      list: this.db.prepare<[], Row>('SELECT * FROM gateways ORDER BY tenant, eui'),
      listTenant: this.db.prepare<[string], Row>('SELECT * FROM gateways WHERE tenant = ? ORDER BY eui'),
      insert: this.db.prepare(
        `INSERT INTO gateways (eui, tenant, name, lns_uri, lns_credentials, cups_uri, cups_credentials, created_at, updated_at)
         VALUES (@eui, @tenant, @name, @lnsUri, @lnsCredentials, @cupsUri, @cupsCredentials, @now, @now)`,
      ),
      remove: this.db.prepare<[string]>('DELETE FROM gateways WHERE eui = ?'),
      contact: this.db.prepare(
        `UPDATE gateways SET last_contact_at = @at, last_station = @station, last_model = @model, last_package = @package, last_peer = @peer
         WHERE eui = @eui`,
      ),
    };
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const applied = new Set(this.db.prepare<[], { version: number }>('SELECT version FROM schema_migrations').all().map((r) => r.version));
    MIGRATIONS.forEach((sql, index) => {
      const version = index + 1;
      if (applied.has(version)) return;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, new Date().toISOString());
      })();
    });
  }

  async get(eui: string): Promise<Gateway | undefined> {
    const row = this.statements.get.get(eui);
    return row && toGateway(row);
  }

  async list(filter: { tenant?: string } = {}): Promise<Gateway[]> {
    const rows = filter.tenant ? this.statements.listTenant.all(filter.tenant) : this.statements.list.all();
    return rows.map(toGateway);
  }

  async add(gateway: NewGateway): Promise<Gateway> {
    try {
      this.statements.insert.run({ ...gateway, now: new Date().toISOString() });
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new GatewayExists(`gateway ${gateway.eui} is already registered`);
      }
      throw error;
    }
    return (await this.get(gateway.eui))!;
  }

  async update(eui: string, changes: GatewayChanges): Promise<Gateway> {
    const fields = (Object.keys(changes) as (keyof GatewayChanges)[]).filter((key) => changes[key] !== undefined);
    const assignments = [...fields.map((key) => `${COLUMN[key]} = @${key}`), 'updated_at = @now'].join(', ');
    const result = this.db.prepare(`UPDATE gateways SET ${assignments} WHERE eui = @eui`).run({ ...changes, eui, now: new Date().toISOString() });
    if (result.changes === 0) throw new GatewayNotFound(`gateway ${eui} is not registered`);
    return (await this.get(eui))!;
  }

  async remove(eui: string): Promise<boolean> {
    return this.statements.remove.run(eui).changes > 0;
  }

  async recordContact(eui: string, contact: LastContact): Promise<void> {
    this.statements.contact.run({ eui, ...contact });
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function toGateway(row: Row): Gateway {
  return {
    eui: row.eui,
    tenant: row.tenant,
    name: row.name,
    lnsUri: row.lns_uri,
    lnsCredentials: row.lns_credentials,
    cupsUri: row.cups_uri,
    cupsCredentials: row.cups_credentials,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastContact: row.last_contact_at
      ? { at: row.last_contact_at, station: row.last_station, model: row.last_model, package: row.last_package, peer: row.last_peer }
      : null,
  };
}
