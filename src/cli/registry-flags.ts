import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option } from 'commander';
import { type AuditEvent, AuditTrail } from '../audit/audit-trail.ts';
import { DEFAULT_DB_URL } from '../registry/open-registry.ts';
import { openSealedRegistry } from '../registry/open-sealed-registry.ts';
import type { SealedRegistry } from '../registry/sealed-registry.ts';
import { DEFAULT_SECRET_KEY_FILE } from '../secrets/load-keyring.ts';
import type { CliIo } from './output.ts';

export interface RegistryFlags {
  db: string;
  secretKeyFile: string;
}

export const dbOption = () =>
  new Option('--db <url>', 'gateway registry: sqlite:PATH or postgres://…').default(DEFAULT_DB_URL).env('CUPS_DB');
export const secretKeyFileOption = () =>
  new Option(
    '--secret-key-file <file>',
    'master keys sealing stored private keys and tokens, one per line, the first sealing (CUPS_SECRET_KEY overrides)',
  )
    .default(DEFAULT_SECRET_KEY_FILE)
    .env('CUPS_SECRET_KEY_FILE');

/**
 * Opens the registry a command names, proves the master key fits it, runs `work`, and closes it.
 * A command that only reads never makes a key; the first write to a registry that holds no
 * secret yet makes the key file. A key that does not fit fails before anything is written.
 */
export async function withRegistry<T>(
  io: CliIo,
  flags: RegistryFlags,
  access: 'read' | 'write',
  work: (registry: SealedRegistry) => Promise<T>,
): Promise<T> {
  const { registry, createdKeyFile } = await openSealedRegistry(
    flags.db,
    { env: process.env.CUPS_SECRET_KEY, file: flags.secretKeyFile },
    access,
  );
  if (createdKeyFile)
    io.stderr.write(`created a new master key in ${createdKeyFile}: back it up, the stored secrets cannot be read without it\n`);
  try {
    // Reading seals nothing, not even the key check of an empty registry.
    if (access === 'write' || (await registry.hasSealedSecrets())) await registry.checkKeys();
    return await work(registry);
  } finally {
    await registry.close();
  }
}

/** Records a change a command made in the audit trail, done by `cli`. */
export function auditByCli(registry: SealedRegistry, event: Omit<AuditEvent, 'actor'>): Promise<void> {
  return new AuditTrail(registry.store.directSql).record([{ actor: 'cli', ...event }]);
}

/**
 * Records a change to the tenants folder in the audit trail of the registry the flags name, when
 * there is one (a SQLite file that does not exist is not made for it); returns what to tell the user.
 */
export async function auditFolderChange(io: CliIo, flags: RegistryFlags, event: Omit<AuditEvent, 'actor'>): Promise<string | undefined> {
  if (flags.db.startsWith('sqlite:') && !existsSync(resolve(flags.db.slice('sqlite:'.length))))
    return `not in an audit trail: there is no registry at ${flags.db} (give --db to record it in the server's)`;
  await withRegistry(io, flags, 'write', (registry) => auditByCli(registry, event));
  return undefined;
}
