import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SqlExecutor } from '../registry/sql-dialect.ts';
import { type AdminToken, tokenDigest } from './admin-tokens.ts';

/** How long a console sign-in lasts, whatever is done with it. */
export const SESSION_MS = 8 * 3_600_000;

/** The session cookie's name: with `__Host-`, a browser keeps it only from a secure origin, for the whole host. */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-cups_console' : 'cups_console');

/** A live console session: the admin token it speaks for, and the token its changes must carry. */
export interface ConsoleSession {
  token: AdminToken;
  csrf: string;
}

/**
 * The CSRF token of a session: derived from its secret id, so it needs no storage and no page of
 * another site can know it (the id is in an HttpOnly cookie).
 */
export const csrfTokenOf = (sessionId: string) => hash('sha256', `cups-console-csrf:${sessionId}`, 'base64url');

/** Whether `given` is the session's CSRF token, compared in constant time. */
export function csrfMatches(given: unknown, session: ConsoleSession): boolean {
  if (typeof given !== 'string' || given.length !== session.csrf.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(session.csrf));
}

const idDigest = (id: string) => hash('sha256', id, 'hex');

/**
 * The console's sign-ins, in the registry database (any instance answers any session). A session
 * is kept as the hashes of its id and of the admin token it was opened with: it lasts while that
 * token is live, at most SESSION_MS, and ends when signed out.
 */
export class ConsoleSessions {
  constructor(private readonly sql: SqlExecutor) {}

  /** Opens a session for a token already authenticated; returns the session's secret id. */
  async open(token: string): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    await this.sql.transaction(async (tx) => {
      await tx.run('DELETE FROM console_sessions WHERE expires_at <= ?', [new Date(now).toISOString()]);
      await tx.run('INSERT INTO console_sessions (id_hash, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)', [
        idDigest(id),
        tokenDigest(token),
        new Date(now).toISOString(),
        new Date(now + SESSION_MS).toISOString(),
      ]);
    });
    return id;
  }

  /** The live session of this id, if any: not expired, not signed out, its token not revoked. */
  async find(id: string): Promise<ConsoleSession | undefined> {
    if (id.length !== 43) return undefined;
    const [row] = await this.sql.all<{ name: string; tenant: string | null; created_at: string }>(
      `SELECT t.name, t.tenant, t.created_at FROM console_sessions s JOIN admin_tokens t ON t.hash = s.token_hash
       WHERE s.id_hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL`,
      [idDigest(id), new Date().toISOString()],
    );
    return row && { token: { name: row.name, tenant: row.tenant, createdAt: row.created_at, revokedAt: null }, csrf: csrfTokenOf(id) };
  }

  async end(id: string): Promise<void> {
    await this.sql.run('DELETE FROM console_sessions WHERE id_hash = ?', [idDigest(id)]);
  }
}
