import { InvalidTenant, TenantExists, TenantNotEmpty, TenantNotFound } from '../errors.ts';
import type { SqlExecutor } from '../registry/sql-dialect.ts';
import { gatewayTenantProblem } from '../trust/trust-store.ts';

export interface Tenant {
  id: string;
  createdAt: string;
  gateways: number;
}

/** The tenants: made by the API, the CLI, a gateway registered to a new one, or a tenant folder. */
export class TenantDirectory {
  constructor(private readonly sql: SqlExecutor) {}

  async list(only?: string): Promise<Tenant[]> {
    const rows = await this.sql.all<{ id: string; created_at: string; gateways: number | string }>(
      `SELECT t.id, t.created_at, (SELECT count(*) FROM gateways g WHERE g.tenant = t.id) AS gateways FROM tenants t
       ${only === undefined ? '' : 'WHERE t.id = ?'} ORDER BY t.id`,
      only === undefined ? [] : [only],
    );
    return rows.map((row) => ({ id: row.id, createdAt: row.created_at, gateways: Number(row.gateways) }));
  }

  /** The tenants' ids alone (every one, or `only` if it exists), without counting their gateways. */
  async ids(only?: string): Promise<string[]> {
    const rows = await this.sql.all<{ id: string }>(
      `SELECT id FROM tenants ${only === undefined ? '' : 'WHERE id = ?'} ORDER BY id`,
      only === undefined ? [] : [only],
    );
    return rows.map((row) => row.id);
  }

  async get(id: string): Promise<Tenant> {
    const [tenant] = await this.list(id);
    if (!tenant) throw new TenantNotFound(`there is no tenant ${id}`);
    return tenant;
  }

  async exists(id: string): Promise<boolean> {
    return (await this.sql.all('SELECT id FROM tenants WHERE id = ?', [id])).length > 0;
  }

  /** Whether the tenant accepts gateways registered with a self-signed certificate (no for one that does not exist). */
  async allowsSelfSigned(id: string): Promise<boolean> {
    const [row] = await this.sql.all<{ allow_self_signed: number | string }>('SELECT allow_self_signed FROM tenants WHERE id = ?', [id]);
    return Number(row?.allow_self_signed ?? 0) === 1;
  }

  async setAllowSelfSigned(id: string, allow: boolean): Promise<void> {
    await this.require(id);
    await this.sql.run('UPDATE tenants SET allow_self_signed = ? WHERE id = ?', [allow ? 1 : 0, id]);
  }

  /** TenantNotFound unless the tenant exists (without counting its gateways, as `get` does). */
  async require(id: string): Promise<void> {
    if (!(await this.exists(id))) throw new TenantNotFound(`there is no tenant ${id}`);
  }

  async add(id: string): Promise<Tenant> {
    const problem = gatewayTenantProblem(id);
    if (problem) throw new InvalidTenant(problem);
    const added = await this.sql.run('INSERT INTO tenants (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING', [
      id,
      new Date().toISOString(),
    ]);
    if (added === 0) throw new TenantExists(`tenant ${id} exists`);
    return this.get(id);
  }

  /** Makes the tenants these folders name, if missing (the trust store's folders are tenants too). */
  async adopt(ids: string[]): Promise<void> {
    const now = new Date().toISOString();
    for (const id of ids.filter((id) => !gatewayTenantProblem(id))) {
      await this.sql.run('INSERT INTO tenants (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING', [id, now]);
    }
  }

  /** Removes a tenant that has no gateway left. */
  async remove(id: string): Promise<void> {
    const tenant = await this.get(id);
    if (tenant.gateways > 0)
      throw new TenantNotEmpty(`tenant ${id} still has ${tenant.gateways} gateways: remove them (or move them to another tenant) first`);
    await this.sql.run('DELETE FROM tenants WHERE id = ?', [id]);
  }
}
