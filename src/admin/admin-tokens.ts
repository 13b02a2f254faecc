import { hash, randomBytes } from 'node:crypto';
import { InvalidTokenName, TokenExists } from '../errors.ts';
import type { SqlExecutor } from '../registry/sql-dialect.ts';

/** Who a token speaks for: the operator (every tenant) or one tenant. */
export interface AdminToken {
  name: string;
  /** null: an operator token. */
  tenant: string | null;
  createdAt: string;
  revokedAt: string | null;
}

interface TokenRow {
  name: string;
  tenant: string | null;
  created_at: string;
  revoked_at: string | null;
}

const TOKEN_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const PREFIX = 'cupsadm_';
const toToken = (row: TokenRow): AdminToken => ({
  name: row.name,
  tenant: row.tenant,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});
/** Tokens are 256 random bits: a plain SHA-256 is enough to store them, and no slow hash is needed. */
export const tokenDigest = (token: string) => hash('sha256', token, 'hex');

/** Admin API tokens: only their SHA-256 is stored; the token itself is shown once, when made. */
export class AdminTokens {
  constructor(private readonly sql: SqlExecutor) {}

  /** Makes a token and returns its text, which is not kept anywhere. */
  async create(name: string, tenant: string | null): Promise<string> {
    if (!TOKEN_NAME.test(name))
      throw new InvalidTokenName(
        `token name "${name}": lowercase letters, digits, ".", "_", "-", at most 64, starting with a letter or digit`,
      );
    const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
    await this.sql.transaction(async (tx) => {
      if ((await tx.all('SELECT name FROM admin_tokens WHERE name = ?', [name])).length)
        throw new TokenExists(`a token named ${name} exists (revoked ones keep their name): choose another name`);
      await tx.run('INSERT INTO admin_tokens (name, tenant, hash, created_at) VALUES (?, ?, ?, ?)', [
        name,
        tenant,
        tokenDigest(token),
        new Date().toISOString(),
      ]);
    });
    return token;
  }

  async list(): Promise<AdminToken[]> {
    return (await this.sql.all<TokenRow>('SELECT name, tenant, created_at, revoked_at FROM admin_tokens ORDER BY name')).map(toToken);
  }

  /** Returns whether a token of that name was live and is now revoked. */
  async revoke(name: string): Promise<boolean> {
    return (
      (await this.sql.run('UPDATE admin_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL', [
        new Date().toISOString(),
        name,
      ])) > 0
    );
  }

  /** The live token this text is, if any. */
  async authenticate(token: string): Promise<AdminToken | undefined> {
    if (!token.startsWith(PREFIX) || token.length > 128) return undefined;
    const [row] = await this.sql.all<TokenRow>(
      'SELECT name, tenant, created_at, revoked_at FROM admin_tokens WHERE hash = ? AND revoked_at IS NULL',
      [tokenDigest(token)],
    );
    return row && toToken(row);
  }
}
